import Glibc

/// Converts text to GB18030 with glibc's iconv, reusing one conversion handle. Not thread-safe:
/// each encoder owns its own.
final class GB18030Converter {
    private let handle: iconv_t

    init() throws(SlipRenderError) {
        let handle = iconv_open("GB18030", "UTF-8")
        guard let handle, Int(bitPattern: handle) != -1 else {
            throw .encoding("iconv has no GB18030 converter (glibc gconv modules missing?)")
        }
        self.handle = handle
    }

    deinit { iconv_close(handle) }

    /// The GB18030 bytes of `text`. Every Unicode scalar has a GB18030 code, so this only fails if
    /// iconv itself fails.
    func encode(_ text: String) throws(SlipRenderError) -> [UInt8] {
        var utf8 = Array(text.utf8)
        if utf8.allSatisfy({ $0 < 0x80 }) { return utf8 }
        var output = [UInt8](repeating: 0, count: utf8.count * 2 + 8)
        let inputCount = utf8.count
        let produced: Int? = utf8.withUnsafeMutableBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(input.baseAddress!).assumingMemoryBound(to: CChar.self)
                var inLeft = inputCount
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(out.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outLeft = out.count
                iconv(handle, nil, nil, nil, nil)  // reset shift state
                let result = iconv(handle, &inPointer, &inLeft, &outPointer, &outLeft)
                guard result != -1 || inLeft == 0 else { return nil }
                return out.count - outLeft
            }
        }
        guard let produced else { throw .encoding("iconv could not convert a line to GB18030 (errno \(errno))") }
        return Array(output.prefix(produced))
    }

    /// Whether every character in GB18030 `bytes` is in the font `coverage` describes. User-defined
    /// areas (where ID cards' private-use rare characters land) are never covered.
    static func isCovered(_ bytes: [UInt8], by coverage: PrinterProfile.FontCoverage) -> Bool {
        var i = 0
        while i < bytes.count {
            let b1 = bytes[i]
            if b1 < 0x80 { i += 1; continue }
            guard i + 1 < bytes.count else { return false }
            let b2 = bytes[i + 1]
            if b2 >= 0x30, b2 <= 0x39 {  // four-byte sequence
                guard coverage == .gb18030, i + 3 < bytes.count else { return false }
                // 81–84: the rest of the BMP; 90–E3: supplementary planes (CJK Extension B and later).
                guard (0x81...0x84).contains(b1) || (0x90...0xE3).contains(b1) else { return false }
                i += 4
                continue
            }
            let userDefined = (b1 >= 0xAA && b1 <= 0xAF && b2 >= 0xA1) || (b1 >= 0xF8 && b2 >= 0xA1)
                || (b1 >= 0xA1 && b1 <= 0xA7 && b2 < 0xA1)
            if userDefined { return false }
            if coverage == .gb2312 {
                let inGB2312 = ((b1 >= 0xA1 && b1 <= 0xA9) || (b1 >= 0xB0 && b1 <= 0xF7)) && b2 >= 0xA1 && b2 <= 0xFE
                if !inGB2312 { return false }
            }
            i += 2
        }
        return true
    }
}
