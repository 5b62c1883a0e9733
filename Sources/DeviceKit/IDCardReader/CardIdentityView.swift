import Crypto
import IDCard

/// The JSON form of a card read (`kioskctl idcard read --json`, the API's identity): every
/// personal field masked unless `reveal` is set; keys with no value are omitted.
public struct CardIdentityView: Sendable, Hashable, Codable {
    public struct Photo: Sendable, Hashable, Codable {
        public var format: String
        public var bytes: Int
        public var sha256: String
    }

    public var cardType: String
    public var name: String?
    public var englishName: String?
    public var sex: String
    public var nation: String?
    public var nationality: String?
    public var birthDate: String?
    public var address: String?
    public var idNumber: String
    public var issuingAuthority: String?
    public var validFrom: String?
    public var validUntil: String?
    public var passNumber: String?
    public var issueCount: Int?
    public var renewalCount: Int?
    public var idNumberValid: Bool
    public var idNumberProblems: [String]?
    public var photo: Photo
    public var fingerprintBytes: Int?

    public init(_ id: CardIdentity, reveal: Bool) {
        cardType = id.cardType.rawValue
        name = id.name.isEmpty ? nil : (reveal ? id.name : PersonalDataMask.name(id.name))
        englishName = id.englishName.map { reveal ? $0 : PersonalDataMask.name($0) }
        sex = id.sex.rawValue
        nation = id.nation
        nationality = id.nationality
        birthDate = reveal ? id.birthDate?.description : id.birthDate.map { "\($0.year)-**-**" }
        address = id.address.map { reveal ? $0 : PersonalDataMask.address($0) }
        idNumber = reveal ? id.idNumber : PersonalDataMask.idNumber(id.idNumber)
        issuingAuthority = id.issuingAuthority
        validFrom = id.validFrom?.description
        switch id.validUntil {
        case .longTerm: validUntil = "long-term"
        case let .until(date): validUntil = date.description
        case nil: validUntil = nil
        }
        passNumber = id.passNumber.map { reveal ? $0 : PersonalDataMask.idNumber($0) }
        issueCount = id.issueCount
        renewalCount = id.renewalCount
        idNumberValid = id.isIDNumberValid
        idNumberProblems = id.isIDNumberValid ? nil : id.idNumberProblems
        photo = Photo(format: "wlt", bytes: id.photo.count, sha256: SHA256.hash(data: id.photo).map { String(format: "%02x", $0) }.joined())
        fingerprintBytes = id.fingerprint?.count
    }
}
