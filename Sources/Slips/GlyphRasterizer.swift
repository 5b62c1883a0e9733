import CFreeType
import Foundation
import Synchronization

/// Why a slip could not be rendered or encoded, with what to do about it.
public enum SlipRenderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No CJK font file was found.
    case noFont(searched: [String])
    /// FreeType refused a font file.
    case font(path: String, code: Int32)
    case encoding(String)
    case png(String)
    case qr(QRError)

    public var description: String {
        switch self {
        case let .noFont(searched):
            "no CJK font for slips: none of \(searched.joined(separator: ", ")) exists (install fonts-wqy-microhei, or set ONEWINDOW_SLIP_FONT to a .ttf/.ttc/.otf file)"
        case let .font(path, code): "FreeType cannot open font \(path) (error \(code))"
        case let .encoding(message): message
        case let .png(message): "PNG encoding failed: \(message)"
        case let .qr(error): error.description
        }
    }
}

/// Draws characters into printer-sized cells with FreeType, from a CJK font (and fallbacks for
/// characters the first font lacks). Glyphs are cached per character and size; the FreeType
/// handles live as long as the rasterizer and every call is serialised by a lock.
public final class GlyphRasterizer: @unchecked Sendable {
    /// Fonts tried in order; `ONEWINDOW_SLIP_FONT` goes first when set.
    public static let defaultFontPaths = [
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/truetype/arphic/uming.ttc",
    ]

    private struct Key: Hashable {
        var character: Character
        var width: Int
        var height: Int
        var doubleCell: Bool
    }

    private let lock = NSLock()
    private var library: FT_Library?
    private var faces: [FT_Face] = []
    private var cache: [Key: MonochromeBitmap] = [:]
    public let fontPaths: [String]

    private static let sharedInstance = Mutex<GlyphRasterizer?>(nil)

    /// One rasterizer per process over the default fonts (opening a CJK font costs milliseconds).
    public static func shared() throws(SlipRenderError) -> GlyphRasterizer {
        try sharedInstance.withLock { (current: inout GlyphRasterizer?) throws(SlipRenderError) -> GlyphRasterizer in
            if let current { return current }
            let made = try GlyphRasterizer(fontPaths: candidatePaths())
            current = made
            return made
        }
    }

    static func candidatePaths() -> [String] {
        var paths = defaultFontPaths
        if let custom = ProcessInfo.processInfo.environment["ONEWINDOW_SLIP_FONT"], !custom.isEmpty {
            paths.insert(custom, at: 0)
        }
        return paths
    }

    /// Opens every existing font of `fontPaths`; throws if none exists.
    public init(fontPaths: [String]) throws(SlipRenderError) {
        let existing = fontPaths.filter { FileManager.default.fileExists(atPath: $0) }
        guard !existing.isEmpty else { throw .noFont(searched: fontPaths) }
        var library: FT_Library?
        let status = FT_Init_FreeType(&library)
        guard status == 0, let library else { throw .font(path: existing[0], code: status) }
        self.library = library
        self.fontPaths = existing
        var lastError: Int32 = 0
        for path in existing {
            var face: FT_Face?
            lastError = FT_New_Face(library, path, 0, &face)
            if lastError == 0, let face { faces.append(face) }
        }
        guard !faces.isEmpty else {
            FT_Done_FreeType(library)
            self.library = nil
            throw .font(path: existing[existing.count - 1], code: lastError)
        }
    }

    deinit {
        for face in faces { FT_Done_Face(face) }
        if let library { FT_Done_FreeType(library) }
    }

    /// A cell of `cellWidth`×`cellHeight` dots (twice as wide for a full-width character) with the
    /// character drawn in it, scaled `size` times like the printer's `GS !`.
    public func cell(for character: Character, cellWidth: Int, cellHeight: Int, size: TextSize) -> MonochromeBitmap {
        let doubleCell = !character.isASCII
        let key = Key(character: character, width: cellWidth * size.width, height: cellHeight * size.height, doubleCell: doubleCell)
        lock.lock()
        defer { lock.unlock() }
        if let cached = cache[key] { return cached }
        let rendered = render(character, key: key, emHeight: cellHeight, size: size)
        cache[key] = rendered
        return rendered
    }

    private func render(_ character: Character, key: Key, emHeight: Int, size: TextSize) -> MonochromeBitmap {
        let cellWidthDots = key.width * (key.doubleCell ? 2 : 1)
        var cell = MonochromeBitmap(width: cellWidthDots, height: key.height)
        guard character != " ", let scalar = character.unicodeScalars.first else { return cell }
        guard let face = faces.first(where: { FT_Get_Char_Index($0, FT_ULong(scalar.value)) != 0 }) else {
            drawMissingGlyphBox(into: &cell)
            return cell
        }
        let pixelWidth = FT_UInt(emHeight * size.width)
        let pixelHeight = FT_UInt(emHeight * size.height)
        guard FT_Set_Pixel_Sizes(face, pixelWidth, pixelHeight) == 0,
              FT_Load_Char(face, FT_ULong(scalar.value), FT_Int32(FT_LOAD_RENDER)) == 0,
              let slot = face.pointee.glyph else {
            drawMissingGlyphBox(into: &cell)
            return cell
        }
        let bitmap = slot.pointee.bitmap
        let advance = Int(slot.pointee.advance.x) >> 6
        let baseline = Int((Double(key.height) * 0.86).rounded())
        let left = Int(slot.pointee.bitmap_left) + (key.doubleCell ? 0 : max(0, (cellWidthDots - advance) / 2))
        let top = baseline - Int(slot.pointee.bitmap_top)
        let rows = Int(bitmap.rows)
        let columns = Int(bitmap.width)
        let pitch = Int(bitmap.pitch)
        guard let buffer = bitmap.buffer else { return cell }
        let isMono = bitmap.pixel_mode == UInt8(FT_PIXEL_MODE_MONO.rawValue)
        for row in 0..<rows {
            let line = buffer.advanced(by: row * pitch)
            for column in 0..<columns {
                let black = isMono ? (line[column >> 3] & (0x80 >> UInt8(column & 7))) != 0 : line[column] >= 0x80
                if black { cell.setBlack(x: left + column, y: top + row) }
            }
        }
        return cell
    }

    /// A hollow box where a character has no glyph in any font: visibly missing, never a wrong glyph.
    private func drawMissingGlyphBox(into cell: inout MonochromeBitmap) {
        let inset = max(cell.width / 8, 1)
        let top = cell.height / 8
        let bottom = cell.height - cell.height / 8
        for y in top..<bottom {
            if y == top || y == bottom - 1 {
                cell.fillRow(y, from: inset, count: cell.width - 2 * inset)
            } else {
                cell.setBlack(x: inset, y: y)
                cell.setBlack(x: cell.width - inset - 1, y: y)
            }
        }
    }
}
