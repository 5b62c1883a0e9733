import CQREncode

/// Why a QR code could not be made.
public enum QRError: Error, Sendable, Hashable, CustomStringConvertible {
    case empty
    /// More data than a version-40 symbol holds at level M.
    case tooLong(bytes: Int)

    public var description: String {
        switch self {
        case .empty: "QR payload is empty"
        case let .tooLong(bytes): "QR payload of \(bytes) bytes is too long for a QR code (max ≈ 2300 at level M)"
        }
    }
}

/// A QR symbol's modules from libqrencode (byte mode, error correction M), copied out of the C
/// structure and freed at once.
public struct QRMatrix: Sendable, Hashable {
    /// Modules of quiet zone drawn on each side (the standard's minimum).
    public static let quietZone = 4

    /// Modules per side, without the quiet zone.
    public let size: Int
    /// Row-major, `true` = dark.
    public let modules: [Bool]

    public init(_ payload: String) throws(QRError) {
        let bytes = Array(payload.utf8)
        guard !bytes.isEmpty else { throw .empty }
        guard let code = bytes.withUnsafeBufferPointer({ QRcode_encodeData(Int32($0.count), $0.baseAddress, 0, QR_ECLEVEL_M) }) else {
            throw .tooLong(bytes: bytes.count)
        }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        size = width
        let data = UnsafeBufferPointer(start: code.pointee.data, count: width * width)
        modules = data.map { $0 & 1 == 1 }
    }

    @inline(__always)
    public func isDark(x: Int, y: Int) -> Bool { modules[y * size + x] }

    /// The symbol as a bitmap with a quiet zone, `moduleDots` dots per module.
    public func bitmap(moduleDots: Int) -> MonochromeBitmap {
        let scale = max(moduleDots, 1)
        let side = (size + 2 * Self.quietZone) * scale
        var bitmap = MonochromeBitmap(width: side, height: side)
        let offset = Self.quietZone * scale
        // Build each module row once, then copy it to the `scale` dot rows it covers.
        for y in 0..<size {
            let firstRow = offset + y * scale
            for x in 0..<size where isDark(x: x, y: y) {
                bitmap.fillRow(firstRow, from: offset + x * scale, count: scale)
            }
            for r in 1..<scale { bitmap.copyRow(firstRow, to: firstRow + r) }
        }
        return bitmap
    }
}
