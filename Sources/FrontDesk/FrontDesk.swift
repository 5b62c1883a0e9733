import Crypto
import Foundation
import Logging
import Store
import Synchronization
import Workflow

/// Who the kiosk is and the rules it applies, from `kiosk-config/`.
public struct FrontDeskRules: Sendable {
    public var regionCode: String
    public var kioskID: String
    public var timeZone: TimeZone
    public var publicBaseURL: String
    public var officeHours: OfficeHours
    /// Working days a 差评 rectification has before it is overdue.
    public var rectificationWorkingDays: Int

    public init(regionCode: String, kioskID: String, timeZone: TimeZone, publicBaseURL: String,
                officeHours: OfficeHours = .standard, rectificationWorkingDays: Int = 5) {
        self.regionCode = regionCode
        self.kioskID = kioskID
        self.timeZone = timeZone
        self.publicBaseURL = publicBaseURL
        self.officeHours = officeHours
        self.rectificationWorkingDays = rectificationWorkingDays
    }
}

/// The kiosk's front desk (前台综合受理): the workflow rules of `Workflow` applied to the store.
/// Every change is one SQLite transaction that also appends its audit records and outbox rows,
/// so a crash never leaves a filing without its audit trail or its upstream message.
public final class FrontDesk: Sendable {
    public let store: KioskStore
    public let catalogue: Catalogue
    public let categories: [QueueCategory]
    /// The hall's green channel (绿色通道) for queue tickets.
    public let greenChannel: GreenChannel
    public let rules: FrontDeskRules
    public let deadlines: DeadlineCalculator
    /// The kiosk's one clock (the system's in kioskd, a hand-moved one in tests).
    public let clock: any KioskClock
    let licences: any ElectronicLicenceLookup
    let logger: Logger
    let hall: HallTime
    /// The hall's shared queue (hall mode); nil: the queue is this kiosk's own, in its SQLite store.
    public let hallLink: HallLink?
    /// The kiosk secret applicant keys are made with, read from the store once.
    private let applicantSecret = Mutex<SymmetricKey?>(nil)
    private let scrubPending = Mutex(false)

    public init(store: KioskStore, catalogue: Catalogue, categories: [QueueCategory], calendar: WorkingCalendar,
                rules: FrontDeskRules, clock: any KioskClock = SystemClock(),
                licences: any ElectronicLicenceLookup = CardReadLicences(),
                logger: Logger = Logger(label: "onewindow.frontdesk"), hallLink: HallLink? = nil, greenChannel: GreenChannel = .off) {
        self.hallLink = hallLink
        self.greenChannel = greenChannel
        self.store = store
        self.catalogue = catalogue
        self.categories = categories
        self.rules = rules
        self.deadlines = DeadlineCalculator(calendar: calendar, officeHours: rules.officeHours)
        self.clock = clock
        self.licences = licences
        self.logger = logger
        self.hall = HallTime(timeZone: rules.timeZone)
    }

    /// Where electronic licences are looked up (the card, and the platform's library when kioskd has it).
    public var licenceLookup: any ElectronicLicenceLookup { licences }

    /// The hall's current day.
    public func today() -> CivilDate { hall.moment(clock.now()).day }

    // MARK: shared helpers

    /// The key applicants are matched by: HMAC-SHA256 of the ID number with the kiosk's secret.
    func applicantKey(_ tx: StoreTransaction, idNumber: String) throws -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(idNumber.uppercased().utf8), using: try kioskSecret(tx))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// The kiosk's secret (made once by migration v3, never leaves the store), cached.
    func kioskSecret(_ tx: StoreTransaction) throws -> SymmetricKey {
        try applicantSecret.withLock { cached in
            if let cached { return cached }
            guard let secret = try tx.kiosk.secret() else {
                throw FrontDeskError.storage("the store has no kiosk secret (migration v3 missing)")
            }
            cached = SymmetricKey(data: secret)
            return cached!
        }
    }

    /// Appends one audit record in the caller's transaction.
    @discardableResult
    func appendAudit(_ tx: StoreTransaction, subject: String, actor: FilingActor, at date: Date, event: String,
                     from: String?, to: String, reason: String?) throws -> AuditRecord {
        var last = try tx.audit.last()
        return try appendAudit(tx, after: &last, subject: subject, actor: actor, at: date, event: event, from: from, to: to, reason: reason)
    }

    /// Appends one audit record after `previous` (which must be the newest) and advances it.
    @discardableResult
    func appendAudit(_ tx: StoreTransaction, after previous: inout AuditRecord?, subject: String, actor: FilingActor, at date: Date,
                     event: String, from: String?, to: String, reason: String?) throws -> AuditRecord {
        let record = AuditChain.append(after: previous, subject: subject, actor: actor,
                                       atMilliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded()),
                                       event: event, from: from, to: to, reason: reason)
        try tx.audit.append(record)
        previous = record
        return record
    }

    /// Adds an outbox row in the caller's transaction, due at once. Rows with the same `orderKey`
    /// reach the platform in the order they were written (the relay never sends a row while an
    /// earlier row of its key is undelivered).
    func enqueueOutbox(_ tx: StoreTransaction, subject: String, orderKey: String, message: OutboxMessage, at date: Date) throws {
        try tx.outbox.enqueue(kind: message.kind, subject: subject, orderKey: orderKey, payload: try message.storedPayload(), at: date)
    }

    /// Runs a write transaction, mapping its failures to `FrontDeskError`.
    func write<T: Sendable>(_ body: @escaping @Sendable (StoreTransaction) throws -> T) async throws(FrontDeskError) -> T {
        do {
            return try await store.write { tx in try body(tx) }
        } catch {
            let failure = FrontDeskError(error)
            // A rule's refusal is the caller's answer; a write the store refused (a full disk, an
            // I/O error) is logged here, once, with its cause.
            switch failure {
            case let .storage(cause), let .diskFull(cause):
                logger.error("store write refused; nothing was changed", metadata: ["cause": "\(cause)"])
            default: break
            }
            throw failure
        }
    }

    /// Makes wiped personal data unrecoverable from the files: the store runs with
    /// `secure_delete` (freed cells and pages are zeroed), and this checkpoints the WAL into the
    /// database and truncates it, so no old copy of a wiped row stays in the WAL either.
    /// A scrub that failed (a reader held the WAL, a full disk) is remembered until one succeeds.
    public func scrubDeletedData() async throws(FrontDeskError) {
        do {
            try store.checkpointAndTruncateWAL()
            scrubPending.withLock { $0 = false }
        } catch {
            scrubPending.withLock { $0 = true }
            throw FrontDeskError(error)
        }
    }

    /// Whether a wipe's scrub has still to be done (see `scrubDeletedData`).
    public var isScrubPending: Bool { scrubPending.withLock { $0 } }

    /// Runs a read, mapping its failures to `FrontDeskError`.
    func read<T: Sendable>(_ body: @escaping @Sendable (StoreTransaction) throws -> T) async throws(FrontDeskError) -> T {
        do { return try await store.read { tx in try body(tx) } } catch { throw FrontDeskError(error) }
    }
}

/// Why the front desk refused or failed a request: a workflow rule, or the store.
public enum FrontDeskError: Error, Sendable, CustomStringConvertible {
    case workflow(WorkflowError)
    /// The database refused the write (full disk, I/O error…); nothing was changed.
    case storage(String)
    /// The data disk is full: the write was rolled back, nothing was changed; it succeeds again
    /// once space is freed.
    case diskFull(String)
    /// The hall's shared queue database cannot be reached (hall mode): no ticket was issued and no
    /// window step was taken (a request whose answer was lost is reconciled when it returns).
    case hallUnavailable(String)

    /// A rule's refusal as `.workflow`, anything else (SQLite, decoding) as `.storage`.
    init(_ error: any Error) {
        switch error {
        case let error as FrontDeskError: self = error
        case let error as WorkflowError: self = .workflow(error)
        case let error as FilingTransitionError: self = .workflow(.transition(error))
        case let error as StoreError where error.code == .diskFull: self = .diskFull(error.message)
        default: self = .storage("\(error)")
        }
    }

    public var description: String {
        switch self {
        case let .workflow(e): e.description
        case let .storage(message): "the store could not be written, nothing was changed: \(message)"
        case let .diskFull(message): "the data disk is full, nothing was changed: \(message); free space on the data disk"
        case let .hallUnavailable(message): "the hall queue database is unreachable, no ticket was issued: \(message)"
        }
    }

    public var chineseMessage: String {
        switch self {
        case let .workflow(e): e.chineseMessage
        case .storage: "系统暂时无法保存，请稍后再试或联系工作人员"
        case .diskFull: "存储空间不足，暂时无法提交，材料已保留，请联系工作人员"
        case .hallUnavailable: "排队叫号系统暂时连接不上，暂停取号，请稍后再试或到服务台咨询"
        }
    }
}

/// Converts instants to the hall's local day and minute.
struct HallTime: Sendable {
    let timeZone: TimeZone

    func moment(_ date: Date) -> HallMoment {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return HallMoment(day: CivilDate(year: c.year!, month: c.month!, day: c.day!)!, minuteOfDay: c.hour! * 60 + c.minute!)
    }

    /// The instant a hall month (`YYYY-MM`) begins; `months` later with `adding`.
    func startOfMonth(_ month: String, adding months: Int = 0) -> Date? {
        let parts = month.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1] + months, day: 1))
    }
}

/// Electronic licences (电子证照) that can stand in for paper materials.
public protocol ElectronicLicenceLookup: Sendable {
    /// Licence types (as named in the catalogue's `electronicLicence`) available for the applicant,
    /// with a reference to each.
    func licences(for applicant: Applicant) -> [String: String]
}

/// The licences a kiosk knows offline: an identity read from the card's chip and verified by the
/// SAM stands in for the 居民身份证 licence. A platform lookup can replace this.
public struct CardReadLicences: ElectronicLicenceLookup {
    public init() {}
    public func licences(for applicant: Applicant) -> [String: String] {
        applicant.verifiedByCard && (applicant.documentKind ?? "resident") == "resident" ? ["居民身份证": "card-read"] : [:]
    }
}
