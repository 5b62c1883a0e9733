import Foundation

/// An in-memory platform that accepts everything and never touches the network: for the demo, the
/// tests, and kiosks without a configured platform (`upstream.platform: simulated`). Filings get case
/// ids `SIM-000001`…, replays return the first result, and a filing's status moves on each time it
/// is asked (received → inProgress → concluded) so progress sync has something to show.
public actor SimulatedPlatform: PlatformAdapter {
    private var pages: Set<String> = []
    private var filings: [String: PlatformFilingStatus] = [:]
    private var evaluations: [String: PlatformReceipt] = [:]
    private var nextCase = 1
    private let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// Pages, filings and evaluations received so far (each counted once).
    public var counts: (pages: Int, filings: Int, evaluations: Int) { (pages.count, filings.count, evaluations.count) }

    public func putPage(sha256: String, bytes: [UInt8]) async throws(PlatformError) {
        pages.insert(sha256)
    }

    public func postFiling(number: String, body: [UInt8]) async throws(PlatformError) -> PlatformReceipt {
        if let known = filings[number] { return PlatformReceipt(caseId: known.caseId, status: known.history.first?.status) }
        let caseId = String(format: "SIM-%06d", nextCase)
        nextCase += 1
        filings[number] = PlatformFilingStatus(number: number, caseId: caseId, status: "received",
                                               history: [.init(status: "received", at: now())])
        return PlatformReceipt(caseId: caseId, status: "received")
    }

    public func filingStatus(number: String) async throws(PlatformError) -> PlatformFilingStatus {
        guard var filing = filings[number] else { throw .permanent("filing \(number) is not known to the platform", status: 404) }
        let next: String? = switch filing.status {
        case "received": "inProgress"
        case "inProgress": "concluded"
        default: nil
        }
        if let next {
            filing.status = next
            filing.history.append(.init(status: next, at: now()))
            filings[number] = filing
        }
        return filing
    }

    public func postEvaluation(idempotencyKey: String, body: [UInt8]) async throws(PlatformError) -> PlatformReceipt {
        if let known = evaluations[idempotencyKey] { return known }
        let receipt = PlatformReceipt(caseId: "SIM-EVAL-\(evaluations.count + 1)", status: "received")
        evaluations[idempotencyKey] = receipt
        return receipt
    }
}
