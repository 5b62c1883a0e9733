/// Reads ESC/POS bytes back (the subset `EscPosEncoder` writes): the raster images, the native QR
/// payloads and the text lines. Tests use it to prove what reached the printer; `kioskctl slip
/// inspect` uses it to show a captured job.
public struct EscPosReader {
    public enum ReadError: Error, Sendable, Hashable, CustomStringConvertible {
        case truncated(offset: Int)
        case unknownCommand(offset: Int, bytes: [UInt8])

        public var description: String {
            switch self {
            case let .truncated(offset): "ESC/POS data ends inside a command at byte \(offset)"
            case let .unknownCommand(offset, bytes):
                "unknown ESC/POS command \(bytes.map { String(format2: $0) }.joined(separator: " ")) at byte \(offset)"
            }
        }
    }

    /// Raster images: consecutive `GS v 0` bands of the same width joined into one.
    public private(set) var images: [MonochromeBitmap] = []
    /// `GS ( k` QR payloads, in order.
    public private(set) var nativeQRPayloads: [String] = []
    /// GB18030 bytes of each printed text line (without the line feed).
    public private(set) var textLines: [[UInt8]] = []
    public private(set) var cuts = 0

    public init(_ bytes: [UInt8]) throws(ReadError) {
        var i = 0
        var text: [UInt8] = []
        var lastWasRaster = false
        func need(_ n: Int) throws(ReadError) { if i + n > bytes.count { throw .truncated(offset: i) } }
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case 0x0A:
                textLines.append(text)
                text = []
                i += 1
                lastWasRaster = false
            case 0x1B:
                try need(2)
                switch bytes[i + 1] {
                case 0x40: i += 2
                case 0x33, 0x61, 0x45, 0x21, 0x4A, 0x64: try need(3); i += 3
                default: throw .unknownCommand(offset: i, bytes: Array(bytes[i..<min(i + 3, bytes.count)]))
                }
            case 0x1C:
                try need(2)
                guard bytes[i + 1] == 0x26 || bytes[i + 1] == 0x2E else {
                    throw .unknownCommand(offset: i, bytes: Array(bytes[i..<(i + 2)]))
                }
                i += 2
            case 0x1D:
                try need(2)
                switch bytes[i + 1] {
                case 0x21: try need(3); i += 3
                case 0x56:
                    try need(3)
                    cuts += 1
                    i += bytes[i + 2] >= 65 ? 4 : 3
                case 0x76:
                    try need(8)
                    let bytesPerRow = Int(bytes[i + 4]) | Int(bytes[i + 5]) << 8
                    let rows = Int(bytes[i + 6]) | Int(bytes[i + 7]) << 8
                    try need(8 + bytesPerRow * rows)
                    let data = Array(bytes[(i + 8)..<(i + 8 + bytesPerRow * rows)])
                    if lastWasRaster, let last = images.last, last.bytesPerRow == bytesPerRow {
                        images[images.count - 1] = MonochromeBitmap(width: bytesPerRow * 8, bytesPerRow: bytesPerRow,
                                                                    height: last.height + rows, bits: last.bits + data)
                    } else {
                        images.append(MonochromeBitmap(width: bytesPerRow * 8, bytesPerRow: bytesPerRow, height: rows, bits: data))
                    }
                    i += 8 + bytesPerRow * rows
                    lastWasRaster = true
                    continue
                case 0x28:
                    try need(5)
                    let length = Int(bytes[i + 3]) | Int(bytes[i + 4]) << 8
                    try need(5 + length)
                    if bytes[i + 2] == 0x6B, length >= 3, bytes[i + 6] == 0x50 {
                        nativeQRPayloads.append(String(decoding: bytes[(i + 8)..<(i + 5 + length)], as: UTF8.self))
                    }
                    i += 5 + length
                default: throw .unknownCommand(offset: i, bytes: Array(bytes[i..<(i + 2)]))
                }
            default:
                text.append(b)
                i += 1
            }
            lastWasRaster = false
        }
        if !text.isEmpty { textLines.append(text) }
    }
}

extension String {
    init(format2 byte: UInt8) {
        let digits = String(byte, radix: 16, uppercase: true)
        self = digits.count == 1 ? "0" + digits : digits
    }
}
