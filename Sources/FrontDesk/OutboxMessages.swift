import Foundation
import Store
import Workflow

/// One message for the platform, as the front desk writes it into the outbox (in the same
/// transaction as what it reports) and as the relay hands it to the `PlatformAdapter`: typed, so
/// a province's adapter encodes each case in its own wire format. The store keeps each as JSON
/// (`storedPayload`), which is how rows written by earlier versions read back.
public enum OutboxMessage: Sendable, Hashable {
    /// A captured page: the relay reads its bytes by SHA-256 and uploads them before the filing.
    case page(PageMessage)
    /// A filing (申请) with its applicant, decision and materials.
    case filing(FilingMessage)
    /// A rating (好差评).
    case evaluation(EvaluationMessage)
    /// A step of a 差评's rectification.
    case rectification(EvaluationMessage)
    /// A 督办通知单 for the responsible department.
    case supervisionNotice(SupervisionNoticeMessage)
    /// A closed hall day's queue figures.
    case queueStatistics(QueueDayStatistics)
    /// A closed month's rating figures.
    case ratingStatistics(RatingMonthStatistics)
    /// Deferred materials handed in later (补交), or lapsed with the catalogue's consequence applied.
    case supplement(SupplementMessage)

    /// The row kind the store files the message under.
    public var kind: OutboxKind {
        switch self {
        case .page: .page
        case .filing: .filing
        case .evaluation: .evaluation
        case .rectification: .rectification
        case .supervisionNotice: .supervisionNotice
        case .queueStatistics: .queueStatistics
        case .ratingStatistics: .ratingStatistics
        case .supplement: .supplement
        }
    }

    /// The stored form: JSON, sorted keys, ISO 8601 dates (whole seconds, `Z`: the text
    /// `.iso8601` writes, made by `UTCTimestamp` without a formatter on the submit's path).
    public func storedPayload() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(UTCTimestamp(date).isoInternetText)
        }
        let data: Data = switch self {
        case let .page(m): try encoder.encode(m)
        case let .filing(m): try encoder.encode(m)
        case let .evaluation(m), let .rectification(m): try encoder.encode(m)
        case let .supervisionNotice(m): try encoder.encode(m)
        case let .queueStatistics(m): try encoder.encode(m)
        case let .ratingStatistics(m): try encoder.encode(m)
        case let .supplement(m): try encoder.encode(m)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads a stored row back. Throws when the payload is not that kind's message (a row this
    /// version does not know, or one minimised after delivery).
    public init(kind: OutboxKind, storedPayload: String) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let data = Data(storedPayload.utf8)
        switch kind {
        case .page: self = .page(try decoder.decode(PageMessage.self, from: data))
        case .filing: self = .filing(try decoder.decode(FilingMessage.self, from: data))
        case .evaluation: self = .evaluation(try decoder.decode(EvaluationMessage.self, from: data))
        case .rectification: self = .rectification(try decoder.decode(EvaluationMessage.self, from: data))
        case .supervisionNotice: self = .supervisionNotice(try decoder.decode(SupervisionNoticeMessage.self, from: data))
        case .queueStatistics: self = .queueStatistics(try decoder.decode(QueueDayStatistics.self, from: data))
        case .ratingStatistics: self = .ratingStatistics(try decoder.decode(RatingMonthStatistics.self, from: data))
        case .supplement: self = .supplement(try decoder.decode(SupplementMessage.self, from: data))
        case .unrecognised: throw OutboxMessageError(description: "an outbox row of a kind this version does not know")
        }
    }
}

/// Why a stored outbox row could not be read back as a message.
public struct OutboxMessageError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// The outbox row of one captured page: the relay reads the bytes by `sha256` and PUTs them.
public struct PageMessage: Sendable, Hashable, Codable {
    public var sha256: String
    public var filingNumber: String

    public init(sha256: String, filingNumber: String) {
        self.sha256 = sha256
        self.filingNumber = filingNumber
    }
}

/// What the outbox carries to the platform for one filing.
public struct FilingMessage: Sendable, Hashable, Codable {
    public var number: String
    public var itemCode: String
    public var bundleCode: String?
    public var siblingNumbers: [String]
    public var applicant: Applicant
    public var decision: String
    public var receivedDay: String
    public var promisedDeadline: String?
    public var deferredMaterials: [DeferredMaterial]
    public var heldMaterials: [String: String]
    public var pages: [String: [String]]
    public var commitmentSigned: Bool
    /// Where the result is mailed (邮寄送达), as its parts and a phone; nil to collect it.
    public var mailing: MailingAddress?
    /// The same address in one line (rows written before `mailing` carry only this).
    public var mailTo: String?
    public var kioskID: String
    public var regionCode: String
    public var submittedAt: Date
    /// The slip's progress QR token, so the platform can serve the same progress page.
    public var progressToken: String
    /// The window and person responsible, as the notice prints them.
    public var responsible: Responsible?
    /// 帮办代办: the agent (家属, 代办员) who filed for `applicant`, read from their card.
    public var agent: Applicant?
    /// 一表申请: the item's application form as structured answers (the bundle's merged form, the
    /// fields this item asks); nil for an item without a form.
    public var form: [FormAnswer]?

    /// The applicant and the agent go without their card facts (those only pre-fill the form; what
    /// the form asks goes in `form`).
    public init(number: String, itemCode: String, bundleCode: String?, siblingNumbers: [String], applicant: Applicant,
                decision: String, receivedDay: String, promisedDeadline: String?, deferredMaterials: [DeferredMaterial],
                heldMaterials: [String: String], pages: [String: [String]], commitmentSigned: Bool, mailing: MailingAddress?,
                kioskID: String, regionCode: String, submittedAt: Date, progressToken: String, responsible: Responsible?,
                agent: Applicant? = nil, form: [FormAnswer]? = nil) {
        var applicant = applicant
        applicant.card = nil
        self.agent = agent.map { var a = $0; a.card = nil; return a }
        self.form = form
        self.number = number; self.itemCode = itemCode; self.bundleCode = bundleCode; self.siblingNumbers = siblingNumbers
        self.applicant = applicant; self.decision = decision; self.receivedDay = receivedDay
        self.promisedDeadline = promisedDeadline; self.deferredMaterials = deferredMaterials; self.heldMaterials = heldMaterials
        self.pages = pages; self.commitmentSigned = commitmentSigned; self.mailing = mailing
        self.mailTo = mailing?.line; self.kioskID = kioskID
        self.regionCode = regionCode; self.submittedAt = submittedAt; self.progressToken = progressToken
        self.responsible = responsible
    }
}

/// What the outbox carries for a rating or a rectification step.
public struct EvaluationMessage: Sendable, Hashable, Codable {
    public var evaluationID: Int64
    public var subjectKind: String
    public var subjectRef: String
    public var level: Int
    public var levelName: String
    public var comment: String?
    public var channel: String
    public var ratedAt: Date
    public var rectificationStatus: String?
    public var rectificationDeadline: String?
    public var kioskID: String
}

/// What the outbox carries for a 督办通知单: which filing, which department must answer, how late.
public struct SupervisionNoticeMessage: Sendable, Hashable, Codable {
    public var filingNumber: String
    public var itemCode: String
    public var itemName: String
    /// The responsible department (the item's 实施主体).
    public var department: String
    public var promisedDeadline: String
    public var overdueWorkingDays: Int
    public var light: String
    public var issuedAt: Date
    public var kioskID: String
}

/// What the outbox carries when a 容缺 filing's deferred materials are handed in (补交: `supplied`,
/// with the pages of each, after them in the same order) or when one lapsed and the catalogue's
/// consequence was applied (`lapsed`). No personal data: the platform knows the filing's applicant.
public struct SupplementMessage: Sendable, Hashable, Codable {
    /// One material handed in, with its pages' SHA-256s (uploaded before this message).
    public struct Supplied: Sendable, Hashable, Codable {
        public var code: String
        public var name: String
        public var pages: [String]

        public init(code: String, name: String, pages: [String]) {
            self.code = code; self.name = name; self.pages = pages
        }
    }

    /// `supplied` or `lapsed`.
    public var outcome: String
    public var filingNumber: String
    public var itemCode: String
    /// Materials handed in now (empty when lapsed).
    public var supplied: [Supplied]
    /// Materials still owed after this, with their deadlines (empty when lapsed or complete).
    public var stillOwed: [DeferredMaterial]
    /// Materials that lapsed (empty when supplied).
    public var lapsed: [DeferredMaterial]
    /// The filing's status after this (`accepted` once nothing is owed, `withdrawn`/`rejected` when lapsed).
    public var status: String
    /// When lapsed: `withdraw` (退件) or `reject` (不予受理).
    public var consequence: String?
    public var at: Date
    public var kioskID: String

    public init(outcome: String, filingNumber: String, itemCode: String, supplied: [Supplied], stillOwed: [DeferredMaterial],
                lapsed: [DeferredMaterial], status: String, consequence: String?, at: Date, kioskID: String) {
        self.outcome = outcome; self.filingNumber = filingNumber; self.itemCode = itemCode; self.supplied = supplied
        self.stillOwed = stillOwed; self.lapsed = lapsed; self.status = status; self.consequence = consequence
        self.at = at; self.kioskID = kioskID
    }
}
