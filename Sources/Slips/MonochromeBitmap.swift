import CPNG

/// A 1-bit image as thermal printers take it: rows of bytes, most significant bit first, 1 = black.
/// This is both the PBM P4 packing and the ESC/POS `GS v 0` raster packing, so a slip's image,
/// its preview file and the bytes sent to the printer are the same bits.
public struct MonochromeBitmap: Sendable, Hashable {
    public let width: Int
    public private(set) var height: Int
    public let bytesPerRow: Int
    public private(set) var bits: [UInt8]

    public init(width: Int, height: Int) {
        self.width = max(width, 0)
        self.height = max(height, 0)
        bytesPerRow = (self.width + 7) / 8
        bits = [UInt8](repeating: 0, count: bytesPerRow * self.height)
    }

    /// Wraps already-packed rows (e.g. raster data read back from ESC/POS bytes).
    public init(width: Int, bytesPerRow: Int, height: Int, bits: [UInt8]) {
        self.width = width
        self.bytesPerRow = bytesPerRow
        self.height = height
        self.bits = bits
    }

    @inline(__always)
    public func isBlack(x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < width, y < height else { return false }
        return bits[y * bytesPerRow + x >> 3] & (0x80 >> UInt8(x & 7)) != 0
    }

    @inline(__always)
    public mutating func setBlack(x: Int, y: Int) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        bits[y * bytesPerRow + x >> 3] |= 0x80 >> UInt8(x & 7)
    }

    /// Blackens `count` dots of row `y` from `x`.
    public mutating func fillRow(_ y: Int, from x: Int, count: Int) {
        guard y >= 0, y < height else { return }
        let start = max(x, 0)
        let end = min(x + count, width)
        guard start < end else { return }
        let base = y * bytesPerRow
        var position = start
        while position < end {
            if position & 7 == 0, end - position >= 8 {
                bits[base + position >> 3] = 0xFF
                position += 8
            } else {
                bits[base + position >> 3] |= 0x80 >> UInt8(position & 7)
                position += 1
            }
        }
    }

    public mutating func copyRow(_ source: Int, to destination: Int) {
        guard source >= 0, source < height, destination >= 0, destination < height, source != destination else { return }
        let s = source * bytesPerRow
        let d = destination * bytesPerRow
        for i in 0..<bytesPerRow { bits[d + i] = bits[s + i] }
    }

    /// Draws `other`'s black dots with its top-left corner at (`x`, `y`).
    public mutating func draw(_ other: MonochromeBitmap, x: Int, y: Int) {
        for row in 0..<other.height where y + row >= 0 && y + row < height {
            for column in 0..<other.width where other.isBlack(x: column, y: row) {
                setBlack(x: x + column, y: y + row)
            }
        }
    }

    /// Adds `count` white rows at the bottom.
    public mutating func appendRows(_ count: Int) {
        guard count > 0 else { return }
        bits.append(contentsOf: repeatElement(0, count: count * bytesPerRow))
        height += count
    }

    /// The image as a binary PBM (P4) file.
    public var pbm: [UInt8] {
        Array("P4\n\(width) \(height)\n".utf8) + packedRows(bytesPerRow: (width + 7) / 8)
    }

    /// Rows packed at `bytesPerRow` (cropping or padding with white).
    func packedRows(bytesPerRow target: Int) -> [UInt8] {
        if target == bytesPerRow { return bits }
        var out = [UInt8](repeating: 0, count: target * height)
        let copy = min(target, bytesPerRow)
        for y in 0..<height {
            for i in 0..<copy { out[y * target + i] = bits[y * bytesPerRow + i] }
        }
        return out
    }

    /// Reads a binary PBM (P4) file.
    public init?(pbm data: [UInt8]) {
        var fields: [Int] = []
        var index = 0
        guard data.count > 2, data[0] == UInt8(ascii: "P"), data[1] == UInt8(ascii: "4") else { return nil }
        index = 2
        while fields.count < 2, index < data.count {
            let byte = data[index]
            if byte == UInt8(ascii: "#") {
                while index < data.count, data[index] != 0x0A { index += 1 }
            } else if byte >= 0x30, byte <= 0x39 {
                var value = 0
                while index < data.count, data[index] >= 0x30, data[index] <= 0x39 {
                    value = value * 10 + Int(data[index] - 0x30)
                    index += 1
                }
                fields.append(value)
                continue
            }
            index += 1
        }
        index += 1  // the single whitespace after the height
        let rowBytes = (fields.count == 2 ? fields[0] + 7 : 0) / 8
        guard fields.count == 2, data.count - index >= rowBytes * fields[1] else { return nil }
        self.init(width: fields[0], bytesPerRow: rowBytes, height: fields[1],
                  bits: Array(data[index..<(index + rowBytes * fields[1])]))
    }

    /// The image as a PNG file (8-bit grey, through libpng).
    public func png() throws(SlipRenderError) -> [UInt8] {
        var gray = [UInt8](repeating: 0xFF, count: width * height)
        for y in 0..<height {
            for x in 0..<width where isBlack(x: x, y: y) { gray[y * width + x] = 0 }
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_GRAY)
        var size: Int = 0
        let ok = gray.withUnsafeBufferPointer { buffer in
            png_image_write_to_memory(&image, nil, &size, 0, buffer.baseAddress, Int32(width), nil)
        }
        guard ok != 0, size > 0 else { throw .png(message(of: &image)) }
        var output = [UInt8](repeating: 0, count: size)
        let written = output.withUnsafeMutableBytes { raw in
            gray.withUnsafeBufferPointer { buffer in
                png_image_write_to_memory(&image, raw.baseAddress, &size, 0, buffer.baseAddress, Int32(width), nil)
            }
        }
        guard written != 0 else { throw .png(message(of: &image)) }
        png_image_free(&image)
        return Array(output.prefix(size))
    }

    private func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
