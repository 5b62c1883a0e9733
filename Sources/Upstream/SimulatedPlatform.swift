import Foundation
import FrontDesk
import Workflow

/// An in-memory platform that accepts everything and never touches the network: for the demo, the
/// tests, and kiosks without a configured platform (`upstream.platform: simulated`). Filings get case
/// ids `SIM-000001`…, replays return the first result, and a filing's status moves on each time it
/// is asked (received → inProgress → concluded.approved) so progress sync has something to show. It
/// remembers only the last `capacity` pages, filings and evaluations of each kind, so a kiosk
/// running on it for months does not grow (an older one asked about again is unknown, 404).
public actor SimulatedPlatform: PlatformAdapter {
    /// How many pages, filings and evaluations of each kind are remembered.
    public let capacity: Int
    private var pages = RecentKeys()
    private var filings: [String: PlatformFilingStatus] = [:]
    private var filingOrder = RecentKeys()
    private var evaluations: [String: PlatformReceipt] = [:]
    private var evaluationOrder = RecentKeys()
    private var received = (pages: 0, filings: 0, evaluations: 0)
    private var nextCase = 1
    private let now: @Sendable () -> Date

    public init(capacity: Int = 500, now: @escaping @Sendable () -> Date = { SystemClock().now() }) {
        self.capacity = max(capacity, 1)
        self.now = now
    }

    /// Pages, filings and evaluations received so far (each counted once).
    public var counts: (pages: Int, filings: Int, evaluations: Int) { received }

    public func putPage(sha256: String, bytes: [UInt8]) async throws(PlatformError) {
        guard !pages.contains(sha256) else { return }
        received.pages += 1
        _ = pages.insert(sha256, capacity: capacity)
    }

    public func postFiling(_ filing: FilingMessage) async throws(PlatformError) -> PlatformReceipt {
        let number = filing.number
        if let known = filings[number] { return PlatformReceipt(caseId: known.caseId, status: known.history.first?.status) }
        let caseId = String(format: "SIM-%06d", nextCase)
        nextCase += 1
        received.filings += 1
        filings[number] = PlatformFilingStatus(number: number, caseId: caseId, status: "received",
                                               history: [.init(status: "received", at: now())])
        if let forgotten = filingOrder.insert(number, capacity: capacity) { filings.removeValue(forKey: forgotten) }
        return PlatformReceipt(caseId: caseId, status: "received")
    }

    public func filingStatus(number: String) async throws(PlatformError) -> PlatformFilingStatus {
        guard var filing = filings[number] else { throw .permanent("filing \(number) is not known to the platform", status: 404) }
        let next: String? = switch filing.status {
        case "received": "inProgress"
        case "inProgress": "concluded.approved"
        default: nil
        }
        if let next {
            filing.status = next
            filing.history.append(.init(status: next, at: now()))
            filings[number] = filing
        }
        return filing
    }

    public func postEvaluation(_ evaluation: EvaluationMessage, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt {
        remember(idempotencyKey)
    }

    /// Answers a keyed message once per key (replays get the first receipt).
    private func remember(_ idempotencyKey: String) -> PlatformReceipt {
        if let known = evaluations[idempotencyKey] { return known }
        received.evaluations += 1
        let receipt = PlatformReceipt(caseId: "SIM-EVAL-\(received.evaluations)", status: "received")
        evaluations[idempotencyKey] = receipt
        if let forgotten = evaluationOrder.insert(idempotencyKey, capacity: capacity) { evaluations.removeValue(forKey: forgotten) }
        return receipt
    }

    public func postQueueStatistics(_ statistics: QueueDayStatistics, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt {
        // Statistics come once a day: the same key set as ratings, remembered as long.
        remember(idempotencyKey)
    }

    /// The simulated licence library knows no licences (the card's own stands in for the ID card).
    public func licences(holder idNumber: String) async throws(PlatformError) -> [PlatformLicence] { [] }

    /// The simulated platform takes no appointments.
    public func appointments(day: String) async throws(PlatformError) -> [PlatformAppointment] { [] }

    public func postRatingStatistics(_ statistics: RatingMonthStatistics, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt {
        remember(idempotencyKey)
    }

    public func postSupervisionNotice(_ notice: SupervisionNoticeMessage, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt {
        remember(idempotencyKey)
    }

    public func postSupplement(_ supplement: SupplementMessage, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt {
        remember(idempotencyKey)
    }
}

/// The last keys seen, oldest dropped first once `capacity` is reached.
struct RecentKeys {
    private var members: Set<String> = []
    private var ring: [String] = []
    private var oldest = 0

    func contains(_ key: String) -> Bool { members.contains(key) }

    /// Adds `key`; returns the key it pushed out, if any.
    mutating func insert(_ key: String, capacity: Int) -> String? {
        guard members.insert(key).inserted else { return nil }
        if ring.count < capacity {
            ring.append(key)
            return nil
        }
        let forgotten = ring[oldest]
        ring[oldest] = key
        oldest = (oldest + 1) % capacity
        members.remove(forgotten)
        return forgotten
    }
}
