import Foundation
import FrontDesk

/// The provincial/city government service platform (政务服务平台) as the outbox relay sees it:
/// idempotent calls that each take a typed outbox message (see `platform-openapi.yaml`).
/// `HTTPPlatformAdapter` owns the reference JSON API's wire encoding; a province with its own API
/// plugs in another conformance and encodes the same messages its way; `SimulatedPlatform` is the
/// in-memory twin for the demo and for kiosks without a configured platform.
///
/// Every call throws `PlatformError`, transient (retry later) or permanent (the platform refused
/// the content: never retried blindly).
public protocol PlatformAdapter: Sendable {
    /// Uploads one page (JPEG bytes), content-addressed by its SHA-256; uploading it again is harmless.
    func putPage(sha256: String, bytes: [UInt8]) async throws(PlatformError)
    /// Sends a filing with `Idempotency-Key: <number>`; a replay returns the first result.
    func postFiling(_ filing: FilingMessage) async throws(PlatformError) -> PlatformReceipt
    /// The platform's status and history of a filing, for progress sync.
    func filingStatus(number: String) async throws(PlatformError) -> PlatformFilingStatus
    /// Sends a rating or a rectification step with a key that stays the same across retries.
    func postEvaluation(_ evaluation: EvaluationMessage, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt
    /// Sends a closed day's queue statistics (counts and waiting times per category, no personal
    /// data) with a key that stays the same across retries (`<kioskId>-queue-<day>`).
    func postQueueStatistics(_ statistics: QueueDayStatistics, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt
    /// Sends a closed month's rating figures (满意率, 差评率 per item; counts only) with a key that
    /// stays the same across retries.
    func postRatingStatistics(_ statistics: RatingMonthStatistics, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt
    /// Sends a supervision notice (督办通知单) of a filing two working days past its promised
    /// deadline, naming the responsible department, with a key that stays the same across retries.
    func postSupervisionNotice(_ notice: SupervisionNoticeMessage, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt
    /// Sends a 补交 (deferred materials handed in, after their pages) or a lapse (a deferred material
    /// past its deadline, the catalogue's consequence applied) of a filing the platform has, with a
    /// key that stays the same across retries.
    func postSupplement(_ supplement: SupplementMessage, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt
    /// The electronic licences (电子证照) the licence library holds for an ID number.
    func licences(holder idNumber: String) async throws(PlatformError) -> [PlatformLicence]
    /// The appointments (预约) made on the platform for a hall day (`YYYY-MM-DD`), for check-in by ID card.
    func appointments(day: String) async throws(PlatformError) -> [PlatformAppointment]
    /// Releases connections; called once when the relay stops.
    func shutdown() async
}

extension PlatformAdapter {
    public func shutdown() async {}
    /// A platform without a licence library has none to give.
    public func licences(holder idNumber: String) async throws(PlatformError) -> [PlatformLicence] {
        throw .permanent("this platform adapter has no licence library")
    }
    /// A platform without an appointments API has none to give.
    public func appointments(day: String) async throws(PlatformError) -> [PlatformAppointment] {
        throw .permanent("this platform adapter has no appointments API")
    }
}

/// One electronic licence as the licence library names it: the type as the catalogue's
/// `electronicLicence` names it (`居民户口簿`) and the library's reference to it.
public struct PlatformLicence: Sendable, Hashable, Codable {
    public var type: String
    public var reference: String

    public init(type: String, reference: String) {
        self.type = type
        self.reference = reference
    }
}

/// The licence library's answer.
struct PlatformLicences: Codable {
    var licences: [PlatformLicence]
}

/// One appointment as the platform sends it (`GET /v1/appointments?date=`).
public struct PlatformAppointment: Sendable, Hashable, Codable {
    public var id: String
    public var idNumber: String
    public var category: String
    public var day: String
    public var slot: String?

    public init(id: String, idNumber: String, category: String, day: String, slot: String? = nil) {
        self.id = id; self.idNumber = idNumber; self.category = category; self.day = day; self.slot = slot
    }
}

/// The platform's answer to `GET /v1/appointments?date=`.
struct PlatformAppointments: Codable {
    var appointments: [PlatformAppointment]
}

/// The platform's answer to an accepted filing or evaluation.
public struct PlatformReceipt: Sendable, Hashable, Codable {
    /// The platform's case id (办件编号) of a filing, or its id of an evaluation.
    public var caseId: String?
    /// The platform's status name, if it said one.
    public var status: String?

    public init(caseId: String?, status: String? = nil) {
        self.caseId = caseId
        self.status = status
    }
}

/// A filing's status and history on the platform (`GET /v1/filings/{number}`).
public struct PlatformFilingStatus: Sendable, Hashable, Codable {
    /// One step the platform recorded.
    public struct Step: Sendable, Hashable, Codable {
        public var status: String
        public var at: Date
        public var note: String?

        public init(status: String, at: Date, note: String? = nil) {
            self.status = status
            self.at = at
            self.note = note
        }
    }

    /// Where and how a concluded filing's result (证照/批文) is collected (出件).
    public struct Collection: Sendable, Hashable, Codable {
        /// `滕州市政务服务中心一楼3号窗口`.
        public var place: String
        /// `工作日 9:00-17:00`.
        public var hours: String?
        /// `请携带受理通知单和身份证原件`.
        public var note: String?

        public init(place: String, hours: String? = nil, note: String? = nil) {
            self.place = place; self.hours = hours; self.note = note
        }
    }

    /// A mailed result (邮寄送达): the carrier's waybill.
    public struct Mailing: Sendable, Hashable, Codable {
        public var waybill: String
        /// `EMS`.
        public var carrier: String?

        public init(waybill: String, carrier: String? = nil) {
            self.waybill = waybill; self.carrier = carrier
        }
    }

    public var number: String
    public var caseId: String?
    public var status: String
    public var history: [Step]
    public var collection: Collection?
    public var mailing: Mailing?

    public init(number: String, caseId: String?, status: String, history: [Step], collection: Collection? = nil, mailing: Mailing? = nil) {
        self.number = number
        self.caseId = caseId
        self.status = status
        self.history = history
        self.collection = collection
        self.mailing = mailing
    }
}
