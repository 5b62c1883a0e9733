/// ESC/POS command bytes this product sends (Epson ESC/POS as Chinese thermal printers implement it).
public enum EscPos {
    public static let initialize: [UInt8] = [0x1B, 0x40]                 // ESC @
    public static let chineseModeOn: [UInt8] = [0x1C, 0x26]              // FS &
    public static let chineseModeOff: [UInt8] = [0x1C, 0x2E]             // FS .
    public static let lineFeed: UInt8 = 0x0A
    public static func lineSpacing(_ dots: Int) -> [UInt8] { [0x1B, 0x33, UInt8(clamping: dots)] }   // ESC 3 n
    public static func align(_ a: TextAlignment) -> [UInt8] {                                       // ESC a n
        [0x1B, 0x61, a == .left ? 0 : a == .center ? 1 : 2]
    }
    public static func size(_ s: TextSize) -> [UInt8] {                                             // GS ! n
        [0x1D, 0x21, UInt8((s.width - 1) << 4 | (s.height - 1))]
    }
    public static func bold(_ on: Bool) -> [UInt8] { [0x1B, 0x45, on ? 1 : 0] }                     // ESC E n
    public static let printModeReset: [UInt8] = [0x1B, 0x21, 0x00]                                  // ESC ! 0
    public static func feed(dots: Int) -> [UInt8] { [0x1B, 0x4A, UInt8(clamping: dots)] }           // ESC J n
    public static func feed(lines: Int) -> [UInt8] { [0x1B, 0x64, UInt8(clamping: lines)] }         // ESC d n
    public static func cut(_ kind: PrinterProfile.CutKind) -> [UInt8] {                            // GS V m
        switch kind {
        case .full: [0x1D, 0x56, 0x00]
        case .partial: [0x1D, 0x56, 0x01]
        case .none: []
        }
    }

    /// `GS v 0` raster image, normal scale: `xL xH` bytes per row, `yL yH` rows, then the rows.
    public static func rasterHeader(bytesPerRow: Int, rows: Int) -> [UInt8] {
        [0x1D, 0x76, 0x30, 0x00, UInt8(bytesPerRow & 0xFF), UInt8(bytesPerRow >> 8), UInt8(rows & 0xFF), UInt8(rows >> 8)]
    }

    /// `GS ( k` function 165/167/169/180/181: QR model 2, module size, error correction M, store, print.
    public static func nativeQR(_ payload: [UInt8], moduleDots: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes += [0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]               // model 2
        bytes += [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, UInt8(clamping: moduleDots)] // module size
        bytes += [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31]                      // level M
        let length = payload.count + 3
        bytes += [0x1D, 0x28, 0x6B, UInt8(length & 0xFF), UInt8(length >> 8), 0x31, 0x50, 0x30]
        bytes += payload
        bytes += [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]                      // print
        return bytes
    }

    /// Tallest raster band sent in one `GS v 0` (cheap printers have small buffers).
    public static let maximumBandRows = 256
}

/// Turns a laid-out slip into the bytes a thermal printer takes, by its profile: GB18030 text in
/// the printer's Chinese mode, lines its font cannot print as raster images (never `?`), QR codes
/// natively or as raster images from libqrencode, print mode reset before every image, and the
/// profile's cut. One encoder holds one iconv handle: reuse it, but not from two threads at once.
public final class EscPosEncoder {
    private let converter: GB18030Converter
    private var renderer: SlipBitmapRenderer?

    /// `renderer` draws lines the printer's font cannot print; without one the process-wide
    /// FreeType renderer is opened the first time a line needs it.
    public init(renderer: SlipBitmapRenderer? = nil) throws(SlipRenderError) {
        converter = try GB18030Converter()
        self.renderer = renderer
    }

    private struct ModeState {
        var alignment: TextAlignment = .left
        var size: TextSize = .normal
        var bold = false
    }

    public func encode(_ layout: SlipLayout) throws(SlipRenderError) -> [UInt8] {
        let profile = layout.profile
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        out += EscPos.initialize
        let usesFS = profile.text.chineseMode == .fsAmpersand
        if usesFS { out += EscPos.chineseModeOn }
        out += EscPos.lineSpacing(profile.lineSpacing)
        var mode = ModeState()

        func setMode(_ style: TextStyle) {
            if style.alignment != mode.alignment { out += EscPos.align(style.alignment); mode.alignment = style.alignment }
            if style.size != mode.size { out += EscPos.size(style.size); mode.size = style.size }
            if style.bold != mode.bold { out += EscPos.bold(style.bold); mode.bold = style.bold }
        }
        /// Printer mode back to normal before an image or QR, with Chinese mode off around it.
        func resetForImage(alignment: TextAlignment) {
            out += EscPos.printModeReset
            out += EscPos.size(.normal)
            out += EscPos.bold(false)
            if usesFS { out += EscPos.chineseModeOff }
            out += EscPos.align(alignment)
            mode = ModeState(alignment: alignment)
        }
        func afterImage() {
            if usesFS { out += EscPos.chineseModeOn }
        }

        for line in layout.lines {
            switch line {
            case let .text(text, style):
                let bytes = try converter.encode(text)
                if textPrintable(bytes, profile: profile) {
                    setMode(style)
                    out += bytes
                    out.append(EscPos.lineFeed)
                } else {
                    let band = try lineRenderer().renderLine(text, style: style, profile: profile)
                    resetForImage(alignment: .left)
                    appendRaster(band, to: &out)
                    afterImage()
                }
            case .rule:
                setMode(TextStyle())
                out += [UInt8](repeating: UInt8(ascii: "-"), count: profile.columns)
                out.append(EscPos.lineFeed)
            case let .qr(payload, moduleDots):
                resetForImage(alignment: .center)
                if profile.qr.native {
                    out += EscPos.nativeQR(Array(payload.utf8), moduleDots: moduleDots)
                    out.append(EscPos.lineFeed)
                } else {
                    let qr: QRMatrix
                    do { qr = try QRMatrix(payload) } catch { throw .qr(error) }
                    appendRaster(qr.bitmap(moduleDots: moduleDots), to: &out)
                }
                afterImage()
            case let .feed(dots):
                var remaining = dots
                while remaining > 0 {
                    out += EscPos.feed(dots: min(remaining, 255))
                    remaining -= 255
                }
            case .cut:
                out += EscPos.feed(lines: profile.feedLinesBeforeCut ?? 4)
                out += EscPos.cut(profile.cut)
            }
        }
        return out
    }

    private func textPrintable(_ bytes: [UInt8], profile: PrinterProfile) -> Bool {
        if bytes.allSatisfy({ $0 < 0x80 }) { return true }
        guard profile.text.chineseMode != .none else { return false }
        return GB18030Converter.isCovered(bytes, by: profile.text.coverage)
    }

    private func lineRenderer() throws(SlipRenderError) -> SlipBitmapRenderer {
        if let renderer { return renderer }
        let made = try SlipBitmapRenderer()
        renderer = made
        return made
    }

    private func appendRaster(_ bitmap: MonochromeBitmap, to out: inout [UInt8]) {
        var row = 0
        while row < bitmap.height {
            let rows = min(EscPos.maximumBandRows, bitmap.height - row)
            out += EscPos.rasterHeader(bytesPerRow: bitmap.bytesPerRow, rows: rows)
            out += bitmap.bits[(row * bitmap.bytesPerRow)..<((row + rows) * bitmap.bytesPerRow)]
            row += rows
        }
    }
}
