/// A parsed SAM response: its status word and data.
public struct SAMResponse: Sendable, Hashable {
    public var sw1: UInt8
    public var sw2: UInt8
    public var status: SAMStatus
    public var data: ArraySlice<UInt8>

    /// Parses one complete response frame (see `SAMFrame.body(of:)` for the checks).
    public init(frame: [UInt8]) throws(SAMFrameError) {
        let body = try SAMFrame.body(of: frame)
        guard body.count >= 3 else { throw .payloadTooShort(command: "response", expected: 3, got: body.count) }
        let s = body.startIndex
        sw1 = body[s]
        sw2 = body[s + 1]
        status = SAMStatus(code: body[s + 2])
        data = body[(s + 3)...]
    }

    /// The SW3 of a well-formed response frame, nil otherwise.
    public static func statusCode(of frame: [UInt8]) -> UInt8? {
        (try? SAMResponse(frame: frame))?.status.code
    }

    /// Encodes a response frame (used by the device-side simulator).
    public static func frame(status: SAMStatus, data: [UInt8] = []) -> [UInt8] {
        SAMFrame.encode(body: [0x00, 0x00, status.code] + data)
    }
}

/// The raw card data of a read reply: 256 bytes of text, 1024 bytes of WLT photo, optionally
/// 1024 bytes of fingerprint templates.
public struct CardReadPayload: Sendable, Hashable {
    public var text: [UInt8]
    public var photo: [UInt8]
    public var fingerprint: [UInt8]?

    public init(text: [UInt8], photo: [UInt8], fingerprint: [UInt8]? = nil) {
        self.text = text
        self.photo = photo
        self.fingerprint = fingerprint
    }

    /// Splits a read reply's data: lengths (2 bytes BE each) then the blocks, every length checked.
    public init(readReplyData data: ArraySlice<UInt8>, withFingerprint: Bool) throws(SAMFrameError) {
        let name = withFingerprint ? "read with fingerprint" : "read text+photo"
        let lengthBytes = withFingerprint ? 6 : 4
        guard data.count >= lengthBytes else { throw .payloadTooShort(command: name, expected: lengthBytes, got: data.count) }
        let s = data.startIndex
        func length(at offset: Int) -> Int { Int(data[s + offset]) << 8 | Int(data[s + offset + 1]) }
        let textLength = length(at: 0)
        let photoLength = length(at: 2)
        let fingerprintLength = withFingerprint ? length(at: 4) : 0
        let announced = textLength + photoLength + fingerprintLength
        let present = data.count - lengthBytes
        guard announced == present else { throw .payloadLengthMismatch(command: name, announced: announced, present: present) }
        guard textLength == CardText.length else { throw .payloadLengthMismatch(command: name + " (text)", announced: textLength, present: CardText.length) }
        var i = s + lengthBytes
        text = Array(data[i..<(i + textLength)]); i += textLength
        photo = Array(data[i..<(i + photoLength)]); i += photoLength
        fingerprint = withFingerprint ? Array(data[i..<(i + fingerprintLength)]) : nil
    }

    /// The reply data the SAM sends for this payload.
    public var replyData: [UInt8] {
        var out: [UInt8] = []
        func append16(_ n: Int) { out.append(UInt8(truncatingIfNeeded: n >> 8)); out.append(UInt8(truncatingIfNeeded: n)) }
        append16(text.count)
        append16(photo.count)
        if let fingerprint { append16(fingerprint.count) }
        out += text
        out += photo
        if let fingerprint { out += fingerprint }
        return out
    }
}

/// The SAM module's identity (command 12 FF): 16 bytes, shown as `05.01-20101010-0012345678-1234567890`.
public struct SAMIdentifier: Sendable, Hashable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(data: ArraySlice<UInt8>) throws(SAMFrameError) {
        guard data.count >= 16 else { throw .payloadTooShort(command: "SAM id", expected: 16, got: data.count) }
        bytes = Array(data.prefix(16))
    }

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var description: String {
        func le(_ offset: Int, _ count: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in (0..<count).reversed() { v = v << 8 | UInt64(bytes[offset + i]) }
            return v
        }
        func pad(_ v: UInt64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(le(0, 2), 2)).\(pad(le(2, 2), 2))-\(pad(le(4, 4), 8))-\(pad(le(8, 4), 10))-\(pad(le(12, 4), 10))"
    }
}
