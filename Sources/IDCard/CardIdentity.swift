import Foundation
import Workflow

/// The four kinds of card a second-generation reader reads, by the type mark at text offset 248.
public enum CardType: String, Sendable, Hashable, Codable, CaseIterable {
    /// 居民身份证 (blank type mark).
    case resident
    /// 港澳台居民居住证 (`J`).
    case residencePermit
    /// 2017 外国人永久居留身份证 (`I`).
    case foreignPermanentResident2017
    /// 2023 外国人永久居留身份证 (`Y`).
    case foreignPermanentResident2023

    /// The character at offset 248.
    public var mark: Character {
        switch self {
        case .resident: " "
        case .residencePermit: "J"
        case .foreignPermanentResident2017: "I"
        case .foreignPermanentResident2023: "Y"
        }
    }
}

/// Sex code on the card: 1 male, 2 female, 0 unknown, 9 unspecified (GB/T 2261.1).
public enum Sex: String, Sendable, Hashable, Codable {
    case male, female, unknown, unspecified

    public init?(code: String) {
        switch code {
        case "1": self = .male
        case "2": self = .female
        case "0": self = .unknown
        case "9": self = .unspecified
        default: return nil
        }
    }

    public var code: String {
        switch self {
        case .male: "1"
        case .female: "2"
        case .unknown: "0"
        case .unspecified: "9"
        }
    }
}

/// The end of a card's validity: a date or 长期 (long-term).
public enum CardValidity: Sendable, Hashable {
    case until(CivilDate)
    case longTerm
}

/// Everything read from one card, typed. Holds personal data: log and show it only through
/// `masked…` accessors unless a technician asks for it explicitly.
public struct CardIdentity: Sendable, Hashable {
    public var cardType: CardType
    /// Chinese name (all types; for the 2017 PR card the Chinese name field, possibly empty).
    public var name: String
    public var englishName: String?
    public var sex: Sex
    /// Two-digit nation code (resident cards).
    public var nationCode: String?
    /// Three-letter nationality code (PR cards).
    public var nationality: String?
    public var birthDate: CivilDate?
    public var address: String?
    /// ID number, PR number, or residence-permit number.
    public var idNumber: String
    public var issuingAuthority: String?
    public var validFrom: CivilDate?
    public var validUntil: CardValidity?
    /// Residence permits: the HK/Macao/Taiwan travel pass number.
    public var passNumber: String?
    /// Residence permits: how many times issued.
    public var issueCount: Int?
    /// 2023 PR cards: how many times renewed.
    public var renewalCount: Int?
    /// 2017 PR cards: card version.
    public var cardVersion: String?
    /// 2023 PR cards: link to the previous number.
    public var previousNumberLink: String?
    /// The 1024-byte WLT-compressed photo, kept as bytes (decoding needs the vendor's library).
    public var photo: [UInt8]
    /// Fingerprint templates, when read with fingerprint.
    public var fingerprint: [UInt8]?
    /// Why the number fails its check, if it does; empty when valid.
    public var idNumberProblems: [String]

    public var nation: String? { nationCode.flatMap(Nations.name(code:)) }
    public var isIDNumberValid: Bool { idNumberProblems.isEmpty }

    public init(cardType: CardType, name: String, englishName: String? = nil, sex: Sex, nationCode: String? = nil,
                nationality: String? = nil, birthDate: CivilDate?, address: String? = nil, idNumber: String,
                issuingAuthority: String? = nil, validFrom: CivilDate? = nil, validUntil: CardValidity? = nil,
                passNumber: String? = nil, issueCount: Int? = nil, renewalCount: Int? = nil, cardVersion: String? = nil,
                previousNumberLink: String? = nil, photo: [UInt8] = [], fingerprint: [UInt8]? = nil) {
        self.cardType = cardType; self.name = name; self.englishName = englishName; self.sex = sex
        self.nationCode = nationCode; self.nationality = nationality; self.birthDate = birthDate; self.address = address
        self.idNumber = idNumber; self.issuingAuthority = issuingAuthority; self.validFrom = validFrom
        self.validUntil = validUntil; self.passNumber = passNumber; self.issueCount = issueCount
        self.renewalCount = renewalCount; self.cardVersion = cardVersion; self.previousNumberLink = previousNumberLink
        self.photo = photo; self.fingerprint = fingerprint
        self.idNumberProblems = IDNumber.problems(number: idNumber, cardType: cardType,
                                                  birthDate: birthDate.map(Self.compact), nationality: nationality)
    }

    static func compact(_ date: CivilDate) -> String { date.description.replacingOccurrences(of: "-", with: "") }
}

/// Masking of personal data for logs, slips and screens (3704**********123X, 张*).
public enum PersonalDataMask {
    /// Keeps the first four and last four characters: `3704**********123X`.
    public static func idNumber(_ number: String) -> String {
        let chars = Array(number)
        guard chars.count > 8 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(4)) + String(repeating: "*", count: chars.count - 8) + String(chars.suffix(4))
    }

    /// Keeps the first character: `张*`, `欧**`; Latin names keep their first letter.
    public static func name(_ name: String) -> String {
        let chars = Array(name.trimmingCharacters(in: .whitespaces))
        guard let first = chars.first else { return "" }
        return String(first) + String(repeating: "*", count: max(1, min(chars.count - 1, 3)))
    }

    /// Keeps the leading administrative part (up to 市/县/区 within the first 9 characters): `山东省滕州市****`.
    public static func address(_ address: String) -> String {
        let chars = Array(address)
        var keep = min(6, chars.count / 2)
        for (i, c) in chars.prefix(9).enumerated() where "市县区旗".contains(c) { keep = i + 1 }
        return String(chars.prefix(keep)) + "****"
    }
}

