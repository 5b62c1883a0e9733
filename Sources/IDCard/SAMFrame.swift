/// GA/T 467 SAM frames: `AA AA AA 96 69` + 2-byte big-endian length + body + XOR checksum.
/// The length counts the body and the checksum; the checksum is the XOR of the length bytes and
/// the body. Requests carry CMD PARA [data]; responses SW1 SW2 SW3 [data].
public enum SAMFrame {
    public static let preamble: [UInt8] = [0xAA, 0xAA, 0xAA, 0x96, 0x69]
    /// Preamble plus the two length bytes.
    public static let headerLength = 7
    /// The largest length field a SAM sends (read with fingerprint is 2,314 bytes in all).
    public static let maxLengthField = 4096

    /// Encodes a frame around `body` (CMD PARA data, or SW1 SW2 SW3 data).
    public static func encode(body: [UInt8]) -> [UInt8] {
        let length = body.count + 1
        var frame = preamble
        frame.reserveCapacity(headerLength + length)
        frame.append(UInt8(truncatingIfNeeded: length >> 8))
        frame.append(UInt8(truncatingIfNeeded: length))
        frame.append(contentsOf: body)
        frame.append(checksum(frame[5...]))
        return frame
    }

    /// XOR of the given bytes.
    @inlinable
    public static func checksum<C: Collection>(_ bytes: C) -> UInt8 where C.Element == UInt8 {
        var x: UInt8 = 0
        for b in bytes { x ^= b }
        return x
    }

    /// Validates one complete frame and returns its body (without checksum). Strict: the frame must
    /// start with the preamble and be exactly as long as its length field says.
    public static func body(of frame: [UInt8]) throws(SAMFrameError) -> ArraySlice<UInt8> {
        guard frame.count >= headerLength else { throw .truncated(expected: headerLength, got: frame.count) }
        guard frame[0..<5].elementsEqual(preamble) else {
            if let start = indexOfPreamble(in: frame[...]) { throw .garbageBeforePreamble(count: start) }
            throw .noPreamble
        }
        let length = Int(frame[5]) << 8 | Int(frame[6])
        guard length >= 2 else { throw .lengthTooSmall(length) }
        guard length <= maxLengthField else { throw .lengthTooLarge(length) }
        let expected = headerLength + length
        guard frame.count >= expected else { throw .truncated(expected: expected, got: frame.count) }
        guard frame.count == expected else { throw .trailingBytes(count: frame.count - expected) }
        let computed = checksum(frame[5..<(expected - 1)])
        guard computed == frame[expected - 1] else { throw .badChecksum(expected: computed, got: frame[expected - 1]) }
        return frame[headerLength..<(expected - 1)]
    }

    static func indexOfPreamble(in bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count >= preamble.count else { return nil }
        var i = bytes.startIndex
        while i <= bytes.endIndex - preamble.count {
            if bytes[i] == 0xAA && bytes[i + 1] == 0xAA && bytes[i + 2] == 0xAA && bytes[i + 3] == 0x96 && bytes[i + 4] == 0x69 {
                return i - bytes.startIndex
            }
            i += 1
        }
        return nil
    }
}

/// What is wrong with bytes that should be a SAM frame.
public enum SAMFrameError: Error, Sendable, Hashable, CustomStringConvertible {
    case truncated(expected: Int, got: Int)
    case noPreamble
    case garbageBeforePreamble(count: Int)
    case lengthTooSmall(Int)
    case lengthTooLarge(Int)
    case trailingBytes(count: Int)
    case badChecksum(expected: UInt8, got: UInt8)
    /// The body is too short for what the command's reply must hold.
    case payloadTooShort(command: String, expected: Int, got: Int)
    /// The lengths announced inside the payload disagree with the bytes present.
    case payloadLengthMismatch(command: String, announced: Int, present: Int)

    public var description: String {
        switch self {
        case let .truncated(expected, got): "frame truncated: \(got) of \(expected) bytes"
        case .noPreamble: "no SAM preamble (AA AA AA 96 69) in the data"
        case let .garbageBeforePreamble(count): "\(count) stray byte(s) before the SAM preamble"
        case let .lengthTooSmall(n): "length field \(n) is too small for a SAM frame"
        case let .lengthTooLarge(n): "length field \(n) exceeds the SAM maximum of \(SAMFrame.maxLengthField)"
        case let .trailingBytes(count): "\(count) byte(s) after the end of the frame"
        case let .badChecksum(expected, got): "checksum mismatch: computed 0x\(hex(expected)), frame says 0x\(hex(got))"
        case let .payloadTooShort(command, expected, got): "\(command) reply holds \(got) data bytes, needs \(expected)"
        case let .payloadLengthMismatch(command, announced, present): "\(command) reply announces \(announced) data bytes but holds \(present)"
        }
    }
}

func hex(_ b: UInt8) -> String {
    let s = String(b, radix: 16, uppercase: true)
    return s.count == 1 ? "0" + s : s
}

/// Reassembles response frames from bytes that arrive in pieces (64-byte USB packets, serial
/// bytes trickling in). Never reads past its buffer; garbage before a preamble is dropped and
/// reported once as `garbageBeforePreamble`, so a noisy line resynchronises.
public struct SAMFrameAssembler: Sendable {
    private var buffer: [UInt8] = []

    public init() {}

    public var bufferedCount: Int { buffer.count }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 { buffer.append(contentsOf: bytes) }

    public mutating func reset() { buffer.removeAll(keepingCapacity: true) }

    /// The next complete frame, nil if more bytes are needed, or a typed error for bad data
    /// (the offending bytes are dropped so the next call can continue).
    public mutating func nextFrame() throws(SAMFrameError) -> [UInt8]? {
        guard !buffer.isEmpty else { return nil }
        // Resynchronise on the preamble.
        if !(buffer.count >= 5 ? buffer[0..<5].elementsEqual(SAMFrame.preamble) : SAMFrame.preamble.starts(with: buffer)) {
            if let start = SAMFrame.indexOfPreamble(in: buffer[...]) {
                buffer.removeFirst(start)
                throw .garbageBeforePreamble(count: start)
            }
            // Keep a tail that could be the start of a preamble; drop the rest.
            let keep = trailingPreamblePrefix()
            let dropped = buffer.count - keep
            if dropped > 0 {
                buffer.removeFirst(dropped)
                throw .garbageBeforePreamble(count: dropped)
            }
            return nil
        }
        guard buffer.count >= SAMFrame.headerLength else { return nil }
        let length = Int(buffer[5]) << 8 | Int(buffer[6])
        if length < 2 || length > SAMFrame.maxLengthField {
            buffer.removeFirst(SAMFrame.preamble.count)  // skip this false start
            throw length < 2 ? .lengthTooSmall(length) : .lengthTooLarge(length)
        }
        let total = SAMFrame.headerLength + length
        guard buffer.count >= total else { return nil }
        let frame = Array(buffer[0..<total])
        buffer.removeFirst(total)
        let computed = SAMFrame.checksum(frame[5..<(total - 1)])
        guard computed == frame[total - 1] else { throw .badChecksum(expected: computed, got: frame[total - 1]) }
        return frame
    }

    private func trailingPreamblePrefix() -> Int {
        let maxKeep = min(buffer.count, SAMFrame.preamble.count - 1)
        for n in stride(from: maxKeep, to: 0, by: -1) where SAMFrame.preamble.starts(with: buffer[(buffer.count - n)...]) {
            return n
        }
        return 0
    }
}
