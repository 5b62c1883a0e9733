/// Draws a laid-out slip as a 1-bit image the width of the paper, on the same character grid the
/// printer uses (a half-width cell per ASCII character, two per Chinese one), so the preview shows
/// where every line breaks. Also draws single lines for printers that need raster text.
public struct SlipBitmapRenderer {
    public let rasterizer: GlyphRasterizer

    public init(rasterizer: GlyphRasterizer) {
        self.rasterizer = rasterizer
    }

    /// Uses the process-wide rasterizer over the installed CJK fonts.
    public init() throws(SlipRenderError) {
        self.rasterizer = try GlyphRasterizer.shared()
    }

    public func render(_ layout: SlipLayout) throws(SlipRenderError) -> MonochromeBitmap {
        let profile = layout.profile
        var image = MonochromeBitmap(width: profile.dotsPerLine, height: 0)
        for line in layout.lines {
            let top = image.height
            switch line {
            case let .text(text, style):
                image.appendRows(profile.lineSpacing * style.size.height)
                draw(text, style: style, profile: profile, into: &image, top: top)
            case .rule:
                image.appendRows(profile.lineSpacing)
                let middle = top + profile.lineSpacing / 2
                image.fillRow(middle, from: 0, count: profile.dotsPerLine)
            case let .qr(payload, moduleDots):
                let qr: QRMatrix
                do { qr = try QRMatrix(payload) } catch { throw .qr(error) }
                let symbol = qr.bitmap(moduleDots: moduleDots)
                image.appendRows(symbol.height)
                image.draw(symbol, x: max(0, (profile.dotsPerLine - symbol.width) / 2), y: top)
            case let .feed(dots):
                image.appendRows(dots)
            case .cut:
                let feed = (profile.feedLinesBeforeCut ?? 4) * profile.lineSpacing
                image.appendRows(feed)
                var x = 0
                while x < profile.dotsPerLine {  // a dashed mark where the blade cuts
                    image.fillRow(image.height - 1, from: x, count: 8)
                    x += 16
                }
            }
        }
        return image
    }

    /// One line of text as a raster band the width of the paper (for ESC/POS raster fallback).
    public func renderLine(_ text: String, style: TextStyle, profile: PrinterProfile) -> MonochromeBitmap {
        var band = MonochromeBitmap(width: profile.dotsPerLine, height: profile.lineSpacing * style.size.height)
        draw(text, style: style, profile: profile, into: &band, top: 0)
        return band
    }

    private func draw(_ text: String, style: TextStyle, profile: PrinterProfile, into image: inout MonochromeBitmap, top: Int) {
        let cellWidth = profile.cellWidth * style.size.width
        let width = DisplayWidth.of(text) * cellWidth
        var x: Int
        switch style.alignment {
        case .left: x = 0
        case .center: x = max(0, (profile.dotsPerLine - width) / 2)
        case .right: x = max(0, profile.dotsPerLine - width)
        }
        for character in text {
            let cell = rasterizer.cell(for: character, cellWidth: profile.cellWidth, cellHeight: profile.cellHeight, size: style.size)
            image.draw(cell, x: x, y: top)
            if style.bold { image.draw(cell, x: x + 1, y: top) }
            x += cell.width
        }
    }
}
