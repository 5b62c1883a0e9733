import Workflow

/// The 256-byte UCS-2LE text block of a card, with the field layout of each card type
/// (offset and length in bytes), and its decoding into a `CardIdentity`.
public enum CardText {
    public static let length = 256
    public static let photoLength = 1024
    public static let fingerprintLength = 1024
    static let typeMarkOffset = 248

    /// A field of the text block.
    public struct Field: Sendable, Hashable {
        public var offset: Int
        public var length: Int

        public init(offset: Int, length: Int) {
            self.offset = offset
            self.length = length
        }
    }

    /// Field layouts by card type.
    public enum Layout {
        public static let resident: [String: Field] = [
            "name": .init(offset: 0, length: 30), "sex": .init(offset: 30, length: 2), "nation": .init(offset: 32, length: 4),
            "birth": .init(offset: 36, length: 16), "address": .init(offset: 52, length: 70),
            "idNumber": .init(offset: 122, length: 36), "authority": .init(offset: 158, length: 30),
            "validFrom": .init(offset: 188, length: 16), "validUntil": .init(offset: 204, length: 16),
        ]
        public static let residencePermit: [String: Field] = resident.filter { $0.key != "nation" }.merging([
            "passNumber": .init(offset: 220, length: 18), "issueCount": .init(offset: 238, length: 4),
        ]) { a, _ in a }
        public static let foreign2017: [String: Field] = [
            "englishName": .init(offset: 0, length: 120), "sex": .init(offset: 120, length: 2),
            "idNumber": .init(offset: 122, length: 30), "nationality": .init(offset: 152, length: 6),
            "name": .init(offset: 158, length: 30), "validFrom": .init(offset: 188, length: 16),
            "validUntil": .init(offset: 204, length: 16), "birth": .init(offset: 220, length: 16),
            "version": .init(offset: 236, length: 4), "authority": .init(offset: 240, length: 8),
        ]
        public static let foreign2023: [String: Field] = [
            "name": .init(offset: 0, length: 30), "sex": .init(offset: 30, length: 2),
            "renewalCount": .init(offset: 32, length: 4), "birth": .init(offset: 36, length: 16),
            "englishName": .init(offset: 52, length: 70), "idNumber": .init(offset: 122, length: 36),
            "authority": .init(offset: 158, length: 30), "validFrom": .init(offset: 188, length: 16),
            "validUntil": .init(offset: 204, length: 16), "englishName2": .init(offset: 220, length: 22),
            "nationality": .init(offset: 242, length: 6), "previousNumberLink": .init(offset: 250, length: 6),
        ]

        public static func fields(for type: CardType) -> [String: Field] {
            switch type {
            case .resident: resident
            case .residencePermit: residencePermit
            case .foreignPermanentResident2017: foreign2017
            case .foreignPermanentResident2023: foreign2023
            }
        }
    }

    /// Reads the UCS-2LE string of a field, without trailing spaces and NULs.
    public static func string(_ text: [UInt8], _ field: Field) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(field.length / 2)
        var i = field.offset
        while i + 1 < field.offset + field.length, i + 1 < text.count {
            units.append(UInt16(text[i]) | UInt16(text[i + 1]) << 8)
            i += 2
        }
        while let last = units.last, last == 0x20 || last == 0 || last == 0x3000 { units.removeLast() }
        return String(decoding: units, as: UTF16.self)
    }

    /// The card type from the mark at offset 248.
    public static func cardType(of text: [UInt8]) throws(CardTextError) -> CardType {
        guard text.count == length else { throw .wrongLength(text.count) }
        let mark = UInt16(text[typeMarkOffset]) | UInt16(text[typeMarkOffset + 1]) << 8
        switch mark {
        case 0x20, 0x00, 0x3000: return .resident
        case 0x4A: return .residencePermit   // J
        case 0x49: return .foreignPermanentResident2017  // I
        case 0x59: return .foreignPermanentResident2023  // Y
        default: throw .unknownCardType(mark: mark)
        }
    }

    /// Decodes a card's text and photo into an identity. Fields that cannot be what they claim
    /// (a sex code of 7, a birth date of 19491331) are typed errors, never guessed.
    public static func decode(text: [UInt8], photo: [UInt8], fingerprint: [UInt8]? = nil) throws(CardTextError) -> CardIdentity {
        let type = try cardType(of: text)
        let fields = Layout.fields(for: type)
        func value(_ key: String) -> String { fields[key].map { string(text, $0) } ?? "" }
        func optional(_ key: String) -> String? { let v = value(key); return v.isEmpty ? nil : v }

        let sexCode = value("sex")
        guard let sex = Sex(code: sexCode) else { throw .invalidField(name: "sex", value: sexCode) }
        let birth = try date(value("birth"), field: "birth", required: true)
        let idNumber = value("idNumber")
        guard !idNumber.isEmpty else { throw .invalidField(name: "idNumber", value: "") }
        var nationCode: String?
        if type == .resident {
            let code = value("nation")
            guard Nations.name(code: code) != nil else { throw .invalidField(name: "nation", value: code) }
            nationCode = code
        }
        let validFrom = try date(value("validFrom"), field: "validFrom", required: false)
        let untilText = value("validUntil")
        let validUntil: CardValidity?
        if untilText == "长期" {
            validUntil = .longTerm
        } else if let until = try date(untilText, field: "validUntil", required: false) {
            validUntil = .until(until)
        } else {
            validUntil = nil
        }
        var englishName = optional("englishName")
        if type == .foreignPermanentResident2023, let second = optional("englishName2") {
            englishName = (englishName ?? "") + second
        }
        func number(_ key: String) throws(CardTextError) -> Int? {
            guard let text = optional(key) else { return nil }
            guard let n = Int(text), n >= 0 else { throw .invalidField(name: key, value: text) }
            return n
        }
        if photo.count != photoLength { throw .wrongPhotoLength(photo.count) }
        return CardIdentity(
            cardType: type, name: value("name"), englishName: englishName, sex: sex, nationCode: nationCode,
            nationality: optional("nationality"), birthDate: birth, address: optional("address"), idNumber: idNumber,
            issuingAuthority: optional("authority"), validFrom: validFrom, validUntil: validUntil,
            passNumber: optional("passNumber"), issueCount: try number("issueCount"), renewalCount: try number("renewalCount"),
            cardVersion: optional("version"), previousNumberLink: optional("previousNumberLink"),
            photo: photo, fingerprint: fingerprint)
    }

    static func date(_ text: String, field: String, required: Bool) throws(CardTextError) -> CivilDate? {
        if text.isEmpty {
            if required { throw .invalidField(name: field, value: text) }
            return nil
        }
        guard text.count == 8, text.allSatisfy({ $0.isASCII && $0.isNumber }),
              let date = CivilDate(year: Int(text.prefix(4))!, month: Int(text.dropFirst(4).prefix(2))!, day: Int(text.suffix(2))!) else {
            throw .invalidField(name: field, value: text)
        }
        return date
    }

    /// Builds a text block from field values (the device-side simulator's card), padding each
    /// field with spaces. Values longer than their field are cut at the field's length.
    public static func encode(type: CardType, values: [String: String]) -> [UInt8] {
        var text = [UInt8](repeating: 0, count: length)
        for i in stride(from: 0, to: length, by: 2) { text[i] = 0x20 }
        let fields = Layout.fields(for: type)
        for (key, value) in values {
            guard let field = fields[key] else { continue }
            var i = field.offset
            for unit in value.utf16 where i + 1 < field.offset + field.length {
                text[i] = UInt8(unit & 0xFF)
                text[i + 1] = UInt8(unit >> 8)
                i += 2
            }
        }
        let mark = type.mark.utf16.first!
        text[typeMarkOffset] = UInt8(mark & 0xFF)
        text[typeMarkOffset + 1] = UInt8(mark >> 8)
        return text
    }
}

/// A card's text that cannot be decoded.
public enum CardTextError: Error, Sendable, Hashable, CustomStringConvertible {
    case wrongLength(Int)
    case wrongPhotoLength(Int)
    case unknownCardType(mark: UInt16)
    case invalidField(name: String, value: String)

    public var description: String {
        switch self {
        case let .wrongLength(n): "card text is \(n) bytes, not 256"
        case let .wrongPhotoLength(n): "card photo is \(n) bytes, not 1024"
        case let .unknownCardType(mark): "unknown card type mark U+\(String(mark, radix: 16, uppercase: true)) at offset 248"
        case let .invalidField(name, value): "card field \(name) holds an invalid value '\(value)'"
        }
    }
}
