import Foundation
import IDCard

/// A field capture of an ID-card reader (`kioskctl idcard record`): the request and response
/// frames a real reader exchanged with the driver, with the citizen's data already replaced by a
/// synthetic card, in the order the driver sent them; `kioskctl idcard replay` plays it back to
/// the real driver under umockdev. The JSON format (`onewindow-sam-capture/1`) is documented in
/// devices/README.md.
public struct SAMCapture: Codable, Sendable, Hashable {
    public static let formatName = "onewindow-sam-capture/1"

    /// How the reader was reached: what the replay emulates.
    public struct Link: Codable, Sendable, Hashable {
        /// `usb` or `serial`.
        public var transport: String
        /// USB ids in hex (`"0400"`, `"C35A"`).
        public var vendorID: String?
        public var productID: String?
        /// USB endpoints: `split` (request header OUT, request body OUT, reply header IN, reply body
        /// IN) or `single` (OUT, IN), hex strings such as "0x81".
        public var scheme: String?
        public var endpoints: [String]?
        /// Bytes the driver asks for per IN transfer in the single scheme.
        public var inTransferSize: Int?
        /// Serial speed.
        public var baud: Int?

        public init(transport: String, vendorID: String? = nil, productID: String? = nil, scheme: String? = nil,
                    endpoints: [String]? = nil, inTransferSize: Int? = nil, baud: Int? = nil) {
            self.transport = transport
            self.vendorID = vendorID
            self.productID = productID
            self.scheme = scheme
            self.endpoints = endpoints
            self.inTransferSize = inTransferSize
            self.baud = baud
        }

        /// The endpoints as bytes, nil if any is not hex.
        public var endpointBytes: [UInt8]? {
            guard let endpoints else { return nil }
            let bytes = endpoints.compactMap { UInt8($0.hasPrefix("0x") ? String($0.dropFirst(2)) : $0, radix: 16) }
            return bytes.count == endpoints.count ? bytes : nil
        }

        public var usbIDs: (vendorID: UInt16, productID: UInt16)? {
            guard let v = vendorID.flatMap({ UInt16($0, radix: 16) }), let p = productID.flatMap({ UInt16($0, radix: 16) }) else { return nil }
            return (v, p)
        }
    }

    /// One request frame and the complete response frame the reader gave back.
    public struct Exchange: Codable, Sendable, Hashable {
        /// The command's name (`find card`, `read text+photo`…), for the reader of the file.
        public var command: String
        public var request: [UInt8]
        public var response: [UInt8]

        public init(command: String, request: [UInt8], response: [UInt8]) {
            self.command = command
            self.request = request
            self.response = response
        }

        enum CodingKeys: String, CodingKey { case command, request, response }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            command = try c.decode(String.self, forKey: .command)
            func bytes(_ key: CodingKeys) throws -> [UInt8] {
                let text = try c.decode(String.self, forKey: key)
                guard let bytes = SAMCapture.bytes(hex: text) else {
                    throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not an even-length hex string")
                }
                return bytes
            }
            request = try bytes(.request)
            response = try bytes(.response)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(command, forKey: .command)
            try c.encode(SAMCapture.hex(request), forKey: .request)
            try c.encode(SAMCapture.hex(response), forKey: .response)
        }
    }

    public var format: String
    /// The profile the reader was opened with, when one was given.
    public var profile: String?
    /// The driver's description of the connection it recorded on.
    public var recordedOn: String
    public var link: Link
    /// What the scrubber replaced, one line each (never the replaced values).
    public var scrubbed: [String]
    public var exchanges: [Exchange]

    public init(profile: String?, recordedOn: String, link: Link, scrubbed: [String], exchanges: [Exchange]) {
        format = Self.formatName
        self.profile = profile
        self.recordedOn = recordedOn
        self.link = link
        self.scrubbed = scrubbed
        self.exchanges = exchanges
    }

    /// Reads and checks a capture file: its format, every frame well-formed with a valid checksum,
    /// every request a known command, the read replies decodable.
    public static func load(path: String) throws(SAMCaptureError) -> SAMCapture {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw .unreadable("\(path): \(error.localizedDescription)") }
        let capture: SAMCapture
        do { capture = try JSONDecoder().decode(SAMCapture.self, from: data) } catch { throw .unreadable("\(path): \(error)") }
        guard capture.format == formatName else { throw .unreadable("\(path): format '\(capture.format)' is not \(formatName)") }
        try capture.verify()
        return capture
    }

    /// The checks of `load` on a capture in memory.
    public func verify() throws(SAMCaptureError) {
        guard !exchanges.isEmpty else { throw .invalid("the capture holds no exchange") }
        for (i, exchange) in exchanges.enumerated() {
            let request: ArraySlice<UInt8>
            do { request = try SAMFrame.body(of: exchange.request) } catch { throw .invalid("exchange \(i + 1): request: \(error)") }
            guard let command = SAMCommand(body: request) else { throw .invalid("exchange \(i + 1): unknown command \(Self.hex(Array(request.prefix(2))))") }
            let response: SAMResponse
            do { response = try SAMResponse(frame: exchange.response) } catch { throw .invalid("exchange \(i + 1) (\(command)): response: \(error)") }
            if (command == .readBase || command == .readWithFingerprint) && response.status.code == 0x90 {
                do {
                    _ = try CardReadPayload(readReplyData: response.data, withFingerprint: command == .readWithFingerprint)
                } catch {
                    throw .invalid("exchange \(i + 1) (\(command)): \(error)")
                }
            }
        }
    }

    /// The pretty, key-sorted JSON written to the fixture file.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02X", $0) }.joined() }

    /// Bytes from an even-length hex string, nil if it is not one (the capture files' encoding).
    public static func bytes(hex text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let b = UInt8(String(decoding: chars[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
            i += 2
        }
        return out
    }
}

/// Why a capture cannot be written or replayed.
public enum SAMCaptureError: Error, Sendable, Hashable, CustomStringConvertible {
    case unreadable(String)
    case invalid(String)
    /// The scrubber cannot tell where the personal data of a reply is, so it refuses to keep it.
    case cannotScrub(String)

    public var description: String {
        switch self {
        case let .unreadable(why): "cannot read the capture: \(why)"
        case let .invalid(why): "the capture is not valid: \(why)"
        case let .cannotScrub(why): "personal data could not be removed, nothing written: \(why)"
        }
    }
}

/// Replaces the citizen's data in recorded SAM replies by a synthetic card while every frame keeps
/// its status words, its lengths and a valid checksum: the text block (UCS-2 at the card type's
/// fixed offsets) becomes the sample card of the same type, the WLT photo and fingerprint blocks
/// synthetic bytes of the same length, the newer address a sample one of the same length, and the
/// find/select replies' data (which may carry the chip's serial) zeros. The SAM's own id is kept:
/// it names the module, not a person. A reply it cannot parse is refused, never kept as it came.
public enum SAMCaptureScrubber {
    /// What a scrub found: the replaced exchanges, a line per replacement, and the original byte
    /// strings (text fields, photo) that must no longer appear anywhere — for the caller's own
    /// check, never to be written out.
    public struct Result: Sendable {
        public var exchanges: [SAMCapture.Exchange]
        public var notes: [String]
        public var secrets: [[UInt8]]
    }

    /// A synthetic photo / fingerprint block: a byte pattern no WLT encoder would produce.
    public static func syntheticBlock(length: Int, seed: UInt8) -> [UInt8] {
        (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ Int(seed)) }
    }

    /// The sample card of a card type (SampleCards), whose text replaces a recorded card's.
    static func syntheticText(for type: CardType) -> [UInt8] {
        switch type {
        case .resident: SampleCards.resident.text
        case .residencePermit: SampleCards.residencePermit.text
        case .foreignPermanentResident2017: SampleCards.foreign2017.text
        case .foreignPermanentResident2023: SampleCards.foreign2023.text
        }
    }

    public static func scrub(_ exchanges: [(request: [UInt8], response: [UInt8])]) throws(SAMCaptureError) -> Result {
        var out: [SAMCapture.Exchange] = []
        var notes: [String] = []
        var secrets: [[UInt8]] = []
        for (i, (request, response)) in exchanges.enumerated() {
            let label = "exchange \(i + 1)"
            guard let body = try? SAMFrame.body(of: request), let command = SAMCommand(body: body) else {
                throw .cannotScrub("\(label): the request is not a known SAM command")
            }
            let parsed: SAMResponse
            do { parsed = try SAMResponse(frame: response) } catch { throw .cannotScrub("\(label) (\(command)): \(error)") }
            var data = Array(parsed.data)
            if !data.isEmpty {
                switch command {
                case .readBase, .readWithFingerprint:
                    let withFingerprint = command == .readWithFingerprint
                    var payload: CardReadPayload
                    do { payload = try CardReadPayload(readReplyData: parsed.data, withFingerprint: withFingerprint) } catch {
                        throw .cannotScrub("\(label) (\(command)): \(error)")
                    }
                    let type = try? CardText.cardType(of: payload.text)
                    var text = syntheticText(for: type ?? .resident)
                    // A value the sample card happens to share (the same birth date) is no leak.
                    secrets += fieldSecrets(payload.text).filter { !contains(text, $0) }
                    secrets.append(payload.photo)
                    if type == nil {
                        // An unknown type keeps its mark (no one's data) so the replay shows the same refusal.
                        text[248] = payload.text[248]
                        text[249] = payload.text[249]
                    }
                    payload.text = text
                    payload.photo = syntheticBlock(length: payload.photo.count, seed: 0x5A)
                    notes.append("\(label) (\(command)): text → the sample \(type.map { "\($0)" } ?? "resident") card, photo \(payload.photo.count) bytes → synthetic")
                    if let fingerprint = payload.fingerprint {
                        secrets.append(fingerprint)
                        payload.fingerprint = syntheticBlock(length: fingerprint.count, seed: 0xA5)
                        notes.append("\(label) (\(command)): fingerprint \(fingerprint.count) bytes → synthetic")
                    }
                    data = payload.replyData
                case .readLatestAddress:
                    secrets += runs(of: data)
                    var synthetic = [UInt8](repeating: 0, count: data.count)
                    for j in stride(from: 0, to: data.count - 1, by: 2) { synthetic[j] = 0x20 }
                    var j = 0
                    for unit in (SampleCards.resident.latestAddress ?? "").utf16 where j + 1 < data.count {
                        synthetic[j] = UInt8(unit & 0xFF); synthetic[j + 1] = UInt8(unit >> 8); j += 2
                    }
                    data = synthetic
                    notes.append("\(label) (\(command)): address \(data.count) bytes → the sample card's")
                case .findCard, .selectCard:
                    data = [UInt8](repeating: 0, count: data.count)
                    notes.append("\(label) (\(command)): \(data.count) data bytes (the chip's serial, if any) → zeros")
                case .samID, .samStatus, .resetSAM, .setBaudRate, .setMaxFrameSize:
                    break
                }
            }
            let frame = SAMFrame.encode(body: [parsed.sw1, parsed.sw2, parsed.status.code] + data)
            out.append(SAMCapture.Exchange(command: "\(command)", request: request, response: frame))
        }
        return Result(exchanges: out, notes: notes, secrets: secrets.filter { $0.count >= 4 })
    }

    /// The non-blank UCS-2 runs of each text field (name, number, address…) of any card type.
    static func fieldSecrets(_ text: [UInt8]) -> [[UInt8]] {
        let type = (try? CardText.cardType(of: text)) ?? .resident
        var out: [[UInt8]] = []
        // What names a person; dates of issue, sex, nation and the authority are shared by many.
        for (key, field) in CardText.Layout.fields(for: type)
        where ["name", "englishName", "englishName2", "address", "idNumber", "passNumber", "birth"].contains(key) {
            guard field.offset + field.length <= text.count else { continue }
            out += runs(of: Array(text[field.offset..<(field.offset + field.length)]))
        }
        return out
    }

    /// The UCS-2LE runs between spaces/NULs of a block (a value without its padding).
    static func runs(of block: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var current: [UInt8] = []
        var j = 0
        while j + 1 < block.count {
            let unit = UInt16(block[j]) | UInt16(block[j + 1]) << 8
            if unit == 0x20 || unit == 0 {
                if !current.isEmpty { out.append(current); current = [] }
            } else {
                current += [block[j], block[j + 1]]
            }
            j += 2
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Whether any secret still appears in `bytes` (the scrubbed frames, or the file's text).
    public static func leaks(_ secrets: [[UInt8]], in exchanges: [SAMCapture.Exchange]) -> Bool {
        for exchange in exchanges {
            for frame in [exchange.request, exchange.response] where secrets.contains(where: { contains(frame, $0) }) { return true }
        }
        return false
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
