/// A slip fitted to one printer's paper: every text line already wrapped to the columns its size
/// allows, key–value rows padded so values align, QR codes at the profile's module size. The
/// ESC/POS encoder and the bitmap renderer both draw exactly these lines, so a preview is the print.
public struct SlipLayout: Sendable, Hashable {
    public enum Line: Sendable, Hashable {
        /// One printed line of text that fits the paper at its style's size.
        case text(String, TextStyle)
        /// A horizontal rule across the paper.
        case rule
        /// A centred QR code.
        case qr(payload: String, moduleDots: Int)
        /// Vertical space in dots.
        case feed(dots: Int)
        /// Feed to the blade and cut.
        case cut
    }

    public let profile: PrinterProfile
    public let kind: String
    public private(set) var lines: [Line]

    /// Share of the paper a key column may take before keys wrap.
    static let maximumKeyShare = 0.45

    public init(_ document: SlipDocument, profile: PrinterProfile) {
        self.profile = profile
        self.kind = document.kind
        self.lines = []
        lines.reserveCapacity(document.elements.count * 2)
        let columns = profile.columns
        var index = 0
        let elements = document.elements
        while index < elements.count {
            switch elements[index] {
            case let .text(text, style):
                for line in TextWrapper.wrap(text, columns: columns / style.size.width) {
                    lines.append(.text(line, style))
                }
                index += 1
            case .keyValue:
                // A run of consecutive rows shares one key column.
                var end = index
                var keyWidth = 0
                while end < elements.count, case let .keyValue(key, _, _) = elements[end] {
                    keyWidth = max(keyWidth, DisplayWidth.of(DisplayWidth.printable(key)))
                    end += 1
                }
                keyWidth = min(keyWidth, Int(Double(columns) * Self.maximumKeyShare))
                for case let .keyValue(key, value, bold) in elements[index..<end] {
                    appendRow(key: key, value: value, bold: bold, keyWidth: keyWidth, columns: columns)
                }
                index = end
            case .rule:
                lines.append(.rule)
                index += 1
            case let .qr(payload, caption):
                lines.append(.qr(payload: payload, moduleDots: profile.qr.moduleDots))
                if let caption, !caption.isEmpty {
                    for line in TextWrapper.wrap(caption, columns: columns) {
                        lines.append(.text(line, .centered))
                    }
                }
                index += 1
            case let .space(count):
                lines.append(.feed(dots: max(0, count) * profile.lineSpacing))
                index += 1
            case .cut:
                lines.append(.cut)
                index += 1
            }
        }
    }

    private mutating func appendRow(key: String, value: String, bold: Bool, keyWidth: Int, columns: Int) {
        let gap = 1
        let valueWidth = max(columns - keyWidth - gap, 4)
        let keyLines = TextWrapper.wrap(key, columns: keyWidth)
        let valueLines = TextWrapper.wrap(value, columns: valueWidth)
        let style = TextStyle(bold: bold)
        for i in 0..<max(keyLines.count, valueLines.count) {
            let keyPart = i < keyLines.count ? keyLines[i] : ""
            let valuePart = i < valueLines.count ? valueLines[i] : ""
            let text = valuePart.isEmpty ? keyPart : TextWrapper.pad(keyPart, to: keyWidth + gap) + valuePart
            lines.append(.text(text, style))
        }
    }

    /// Length of paper this slip feeds, in millimetres (for the roll estimate).
    public var paperLengthMillimetres: Double {
        var dots = 0
        for line in lines {
            switch line {
            case let .text(_, style): dots += profile.lineSpacing * style.size.height
            case .rule: dots += profile.lineSpacing
            case let .qr(payload, moduleDots):
                dots += (((try? QRMatrix(payload).size) ?? 33) + 2 * QRMatrix.quietZone) * moduleDots + profile.lineSpacing
            case let .feed(d): dots += d
            case .cut: dots += (profile.feedLinesBeforeCut ?? 4) * profile.lineSpacing
            }
        }
        return Double(dots) / Double(profile.dotsPerMM)
    }

    /// The text of the slip as plain lines (for logs of what was printed, tests and the CLI).
    public var plainText: String {
        lines.compactMap { line -> String? in
            switch line {
            case let .text(text, _): text
            case .rule: String(repeating: "-", count: profile.columns)
            case let .qr(payload, _): "[QR \(payload)]"
            case .feed: ""
            case .cut: nil
            }
        }.joined(separator: "\n")
    }
}
