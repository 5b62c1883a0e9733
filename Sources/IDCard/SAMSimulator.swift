/// A device-side GA/T 467 SAM: answers request frames the way a reader module does, with a
/// configurable card, SAM identity and faults. The demo's simulated reader, the tests and the
/// umockdev fixture generator all use it, so fixtures are generated, never written by hand.
public struct SAMSimulator: Sendable {
    /// What is on the reader.
    public struct Card: Sendable, Hashable {
        public var text: [UInt8]
        public var photo: [UInt8]
        public var fingerprint: [UInt8]?
        /// The newer address (read latest address, 30 03), if the card has one.
        public var latestAddress: String?

        public init(text: [UInt8], photo: [UInt8], fingerprint: [UInt8]? = nil, latestAddress: String? = nil) {
            self.text = text
            self.photo = photo
            self.fingerprint = fingerprint
            self.latestAddress = latestAddress
        }
    }

    public var card: Card?
    public var samID: SAMIdentifier
    /// Faults to inject: the next answers to a command carry this status instead (consumed in order).
    public var injectedStatuses: [(command: SAMCommand, status: SAMStatus)] = []
    private var selected = false

    public init(card: Card? = nil, samID: SAMIdentifier = SAMIdentifier(bytes: [0x05, 0x00, 0x01, 0x00, 0x9A, 0xC4, 0x32, 0x01,
                                                                                   0x4E, 0x61, 0xBC, 0x00, 0xD2, 0x02, 0x96, 0x49])) {
        self.card = card
        self.samID = samID
    }

    public mutating func place(_ card: Card) {
        self.card = card
        selected = false
    }

    public mutating func remove() {
        card = nil
        selected = false
    }

    /// The response frame to one request frame.
    public mutating func respond(to request: [UInt8]) -> [UInt8] {
        let body: ArraySlice<UInt8>
        do {
            body = try SAMFrame.body(of: request)
        } catch let error {
            switch error {
            case .badChecksum: return SAMResponse.frame(status: .checksumError)
            default: return SAMResponse.frame(status: .lengthError)
            }
        }
        guard let command = SAMCommand(body: body) else { return SAMResponse.frame(status: .commandError) }
        if let index = injectedStatuses.firstIndex(where: { $0.command == command }) {
            let status = injectedStatuses.remove(at: index).status
            if command == .findCard || command == .selectCard { selected = false }
            return SAMResponse.frame(status: status)
        }
        switch command {
        case .resetSAM, .samStatus, .setBaudRate, .setMaxFrameSize:
            return SAMResponse.frame(status: .success)
        case .samID:
            return SAMResponse.frame(status: .success, data: samID.bytes)
        case .findCard:
            selected = false
            guard card != nil else { return SAMResponse.frame(status: .noCard) }
            return SAMResponse.frame(status: .findCardSuccess, data: [0, 0, 0, 0])
        case .selectCard:
            guard card != nil else { return SAMResponse.frame(status: .selectFailed) }
            selected = true
            return SAMResponse.frame(status: .success, data: [UInt8](repeating: 0, count: 8))
        case .readBase, .readWithFingerprint:
            guard let card, selected else { return SAMResponse.frame(status: .readFailed) }
            let withFingerprint = command == .readWithFingerprint
            if withFingerprint && card.fingerprint == nil { return SAMResponse.frame(status: .noSuchItem) }
            let payload = CardReadPayload(text: card.text, photo: card.photo, fingerprint: withFingerprint ? card.fingerprint : nil)
            return SAMResponse.frame(status: .success, data: payload.replyData)
        case .readLatestAddress:
            guard let card, selected else { return SAMResponse.frame(status: .readFailed) }
            guard let address = card.latestAddress else { return SAMResponse.frame(status: .noSuchItem) }
            var data = [UInt8](repeating: 0, count: 70)
            for i in stride(from: 0, to: 70, by: 2) { data[i] = 0x20 }
            var i = 0
            for unit in address.utf16 where i + 1 < 70 {
                data[i] = UInt8(unit & 0xFF); data[i + 1] = UInt8(unit >> 8); i += 2
            }
            return SAMResponse.frame(status: .success, data: data)
        }
    }
}

/// Sample cards for the simulator, the demo and tests: one of each type, with valid numbers.
/// Their photo is a recognisable byte pattern, not a real WLT image.
public enum SampleCards {
    static func photo(seed: UInt8) -> [UInt8] { (0..<CardText.photoLength).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) } }

    public static let resident = SAMSimulator.Card(
        text: CardText.encode(type: .resident, values: [
            "name": "张三", "sex": "1", "nation": "01", "birth": "19491231", "address": "山东省滕州市荆河街道善国北路100号",
            "idNumber": "11010519491231002X", "authority": "滕州市公安局", "validFrom": "20200101", "validUntil": "长期",
        ]),
        photo: photo(seed: 1), latestAddress: "山东省滕州市北辛街道学院中路1号")

    public static let residencePermit = SAMSimulator.Card(
        text: CardText.encode(type: .residencePermit, values: [
            "name": "陈大文", "sex": "1", "birth": "19900315", "address": "山东省济南市历下区泉城路1号",
            "idNumber": "810000199003150031", "authority": "济南市公安局", "validFrom": "20230601", "validUntil": "20280601",
            "passNumber": "H12345678", "issueCount": "01",
        ]),
        photo: photo(seed: 2))

    public static let foreign2017 = SAMSimulator.Card(
        text: CardText.encode(type: .foreignPermanentResident2017, values: [
            "englishName": "SMITH, JOHN", "sex": "1", "idNumber": "USA370081010150", "nationality": "USA",
            "name": "史密斯", "validFrom": "20180101", "validUntil": "20280101", "birth": "19810101", "version": "01",
            "authority": "1500",
        ]),
        photo: photo(seed: 3))

    public static let foreign2023 = SAMSimulator.Card(
        text: CardText.encode(type: .foreignPermanentResident2023, values: [
            "name": "玛丽", "sex": "2", "renewalCount": "00", "birth": "19850520", "englishName": "MARY ANN JOHNSON",
            "idNumber": "937001198505200022", "authority": "国家移民管理局", "validFrom": "20231201", "validUntil": "20331201",
            "nationality": "GBR",
        ]),
        photo: photo(seed: 4))
}
