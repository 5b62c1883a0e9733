import Foundation

/// Where a filing's result is mailed (邮寄送达, EMS): the address as its parts and a phone to reach
/// the recipient. Personal data: it goes upstream whole (to the platform and EMS), is kept only
/// until the platform confirmed the filing, and is never shown whole on a screen, a slip or a log.
public struct MailingAddress: Sendable, Hashable, Codable {
    /// The recipient when not the applicant (e.g. a family member); the applicant when absent.
    public var recipient: String?
    /// A mobile number (11 digits, starting with 1) or a landline (`0632-5512260`).
    public var phone: String
    /// The part above the town, as the hall configures it: `山东省枣庄市滕州市`.
    public var region: String
    /// 镇/街道.
    public var town: String
    /// 路/街.
    public var street: String?
    /// 社区/村.
    public var community: String?
    /// House number, building, room: `12号`, `3单元501`.
    public var detail: String

    public init(recipient: String? = nil, phone: String, region: String, town: String, street: String? = nil,
                community: String? = nil, detail: String) {
        self.recipient = recipient; self.phone = phone; self.region = region; self.town = town
        self.street = street; self.community = community; self.detail = detail
    }

    /// The address in one line, for the platform's and the carrier's label (never for a screen or log).
    public var line: String { region + town + (street ?? "") + (community ?? "") + detail }

    /// What a screen may show: the region and town only, and the phone's last four digits.
    public var masked: String { "\(region)\(town)****（电话尾号\(phone.suffix(4))）" }

    /// Checks each part; the first bad one is refused with its field named.
    public func validated() throws(WorkflowError) -> MailingAddress {
        func trimmed(_ s: String?) -> String? {
            let t = s?.trimmingCharacters(in: .whitespacesAndNewlines)
            return (t?.isEmpty ?? true) ? nil : t
        }
        var a = self
        a.recipient = trimmed(recipient); a.street = trimmed(street); a.community = trimmed(community)
        a.region = trimmed(region) ?? ""; a.town = trimmed(town) ?? ""; a.detail = trimmed(detail) ?? ""
        a.phone = phone.filter { !$0.isWhitespace }
        let mobile = a.phone.count == 11 && a.phone.first == "1" && a.phone.allSatisfy(\.isASCIIDigit)
        let landline = a.phone.wholeMatch(of: /0\d{2,3}-?\d{7,8}/) != nil
        guard mobile || landline else { throw .invalidMailingAddress(field: "phone", reason: "a mobile number of 11 digits or a landline such as 0632-5512260") }
        for (field, value, limit) in [("region", a.region, 40), ("town", a.town, 30), ("detail", a.detail, 60)] where value.isEmpty || value.count > limit {
            throw .invalidMailingAddress(field: field, reason: "1–\(limit) characters")
        }
        for (field, value, limit) in [("recipient", a.recipient, 30), ("street", a.street, 40), ("community", a.community, 40)] {
            if let value, value.count > limit { throw .invalidMailingAddress(field: field, reason: "at most \(limit) characters") }
        }
        if a.line.contains(where: { $0.isNewline || ($0.asciiValue.map { $0 < 0x20 } ?? false) }) {
            throw .invalidMailingAddress(field: "detail", reason: "no control characters")
        }
        return a
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
