/// A slip as the kiosk means it, independent of any printer: what to print, not how. Templates
/// build one; `SlipLayout` fits it to a paper width; `EscPosEncoder` and `SlipBitmapRenderer` turn
/// the layout into printer bytes or a preview image.
public struct SlipDocument: Sendable, Hashable, Codable {
    /// A template's name (`acceptance`, `ticket`…), kept with print jobs and in logs.
    public var kind: String
    public var elements: [SlipElement]

    public init(kind: String, elements: [SlipElement] = []) {
        self.kind = kind
        self.elements = elements
    }

    public mutating func append(_ element: SlipElement) { elements.append(element) }

    /// The QR payloads on the slip, in order (what a scanner must read back).
    public var qrPayloads: [String] {
        elements.compactMap { if case let .qr(payload, _) = $0 { payload } else { nil } }
    }
}

/// Character magnification, as thermal printers do it (`GS !`): each multiplies a glyph's cell.
public struct TextSize: Sendable, Hashable, Codable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = min(max(width, 1), 8)
        self.height = min(max(height, 1), 8)
    }

    public static let normal = TextSize(width: 1, height: 1)
    /// Titles.
    public static let double = TextSize(width: 2, height: 2)
    /// Tall but not wide: emphasised values on narrow paper.
    public static let tall = TextSize(width: 1, height: 2)
    /// Queue-ticket numbers.
    public static let huge = TextSize(width: 4, height: 4)
}

public enum TextAlignment: String, Sendable, Hashable, Codable {
    case left, center, right
}

/// How a run of text looks.
public struct TextStyle: Sendable, Hashable, Codable {
    public var size: TextSize
    public var bold: Bool
    public var alignment: TextAlignment

    public init(size: TextSize = .normal, bold: Bool = false, alignment: TextAlignment = .left) {
        self.size = size
        self.bold = bold
        self.alignment = alignment
    }

    public static let body = TextStyle()
    public static let title = TextStyle(size: .double, bold: true, alignment: .center)
    public static let centered = TextStyle(alignment: .center)
}

/// One block of a slip.
public enum SlipElement: Sendable, Hashable, Codable {
    /// A paragraph, wrapped to the paper width.
    case text(String, TextStyle)
    /// A label and its value in aligned columns (`办件编号  3704…`); long values wrap under the value column.
    case keyValue(key: String, value: String, bold: Bool)
    /// A horizontal rule across the paper.
    case rule
    /// A QR code (byte mode, error correction M), centred, with an optional caption under it.
    case qr(payload: String, caption: String?)
    /// Blank lines of the normal height.
    case space(lines: Int)
    /// Feed to the cutter and cut (full or partial per the printer's profile).
    case cut

    public static func title(_ text: String) -> SlipElement { .text(text, .title) }
    public static func line(_ text: String, _ style: TextStyle = .body) -> SlipElement { .text(text, style) }
    public static func row(_ key: String, _ value: String, bold: Bool = false) -> SlipElement {
        .keyValue(key: key, value: value, bold: bold)
    }
}
