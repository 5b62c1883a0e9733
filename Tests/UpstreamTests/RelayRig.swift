import FakePlatform
import Foundation
import FrontDesk
import GRDB
import KioskConfig
import KioskTestSupport
import Logging
@_spi(StoreTesting) import Store
import Synchronization
import Testing
import Upstream
import Workflow

/// A front desk on a fresh store with the shipped configuration and a hand-moved clock, a fake
/// platform on 127.0.0.1, and a relay to it through the real HTTP adapter (1 s timeouts).
final class RelayRig: @unchecked Sendable {
    let directory: TemporaryDirectory
    let configuration: KioskConfiguration
    let clock: ManualClock
    let store: KioskStore
    let desk: FrontDesk
    let platform: FakePlatform
    let pages: MemoryPageSource
    let logs: CapturedLogs
    let adapter: HTTPPlatformAdapter
    let relay: OutboxRelay
    let ledger: OutboxLedger

    static let birthRegistration = "11370481004396815B3707104001000001"      // M03, M01 (card), M02, M26
    static let token = "tok-3f9c1e7a55d24b0e9e61-secret"
    static let zhang = Applicant(name: "张三", idNumber: "11010519491231002X", documentKind: "resident", verifiedByCard: true)

    init(policy: RetryPolicy = RetryPolicy(), concurrency: Int = 4, pageSource: (any PageSource)? = nil) async throws {
        directory = try TemporaryDirectory("upstream")
        configuration = try ConfigLoader.load(directory: RepoPaths.defaultConfig, today: CivilDate(iso: "2026-11-22"))
        clock = ManualClock(Date(timeIntervalSince1970: 1_795_399_200))  // 2026-11-23 10:00 hall time
        store = try KioskStore.open(directory: directory.path)
        desk = FrontDesk(configuration: configuration, store: store, clock: clock)
        platform = try await FakePlatform.start(expectedToken: Self.token)
        pages = MemoryPageSource()
        logs = CapturedLogs()
        var logger = Logger(label: "test.upstream") { [logs] _ in CapturingLogHandler(logs: logs) }
        logger.logLevel = .trace
        adapter = HTTPPlatformAdapter(endpoint: platform.baseURL, token: BearerToken(Self.token), timeoutSeconds: 1, logger: logger)
        relay = OutboxRelay(store: store, platform: adapter, pages: pageSource ?? pages, policy: policy,
                            options: .init(kioskID: "TZ01", concurrency: concurrency), clock: clock, jitter: FixedJitter(0.5),
                            logger: logger)
        ledger = OutboxLedger(store: store)
    }

    /// A rig for `body`, closed afterwards whether the body passed, failed or threw.
    static func run(policy: RetryPolicy = RetryPolicy(), concurrency: Int = 4, pageSource: (any PageSource)? = nil,
                    _ body: (RelayRig) async throws -> Void) async throws {
        let rig = try await RelayRig(policy: policy, concurrency: concurrency, pageSource: pageSource)
        do {
            try await body(rig)
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }

    func close() async {
        await adapter.shutdown()
        try? await platform.stop()
        directory.remove()
    }

    /// Files a 出生登记 with the pages of M03, M02 and M26 (four: M02 has two), stored in the page source; returns its number.
    @discardableResult
    func file(_ n: Int) async throws -> String {
        let draft = try await desk.openDraft(subject: .item(Self.birthRegistration), applicant: Self.zhang, sessionID: "s")
        for code in ["M03", "M02", "M26"] {
            let slot = try #require(draft.slots.first { $0.requirement.material.code == code })
            for page in 0..<max(1, slot.requirement.material.pages) {
                let sha = String(format: "%02d%@%d", n, code, page).padding(toLength: 64, withPad: "0", startingAt: 0)
                pages.put(sha, bytes: [0xFF, 0xD8, 0xFF, 0xE0] + Array("page \(page) of \(code) of \(n)".utf8))
                try await desk.addPage(draftID: draft.id, materialCode: code, sha256: sha, byteCount: 20)
            }
        }
        guard case let .filed(records) = try await desk.submit(draftID: draft.id) else { throw TestSupportError("not filed") }
        return records[0].number!
    }

    /// Passes until nothing can be sent any more (everything delivered, or held back by rejected
    /// rows), moving the clock to the next attempt whenever a pass finds nothing due.
    @discardableResult
    func drain(maxPasses: Int = 200) async throws -> Int {
        var passes = 0
        while passes < maxPasses {
            passes += 1
            let pass = await relay.runOnce()
            if pass.heads > 0 { continue }
            guard let next = try await ledger.nextAttemptAt() else { return passes }
            clock.set(max(next, clock.now()))
        }
        Issue.record("the outbox did not drain in \(maxPasses) passes")
        return passes
    }

    func rows() async throws -> [OutboxRow] {
        try await (ledger.report(now: clock.now(), rowLimit: 10_000).rows)
    }

    func allRows() throws -> [(id: Int64, kind: String, subject: String, orderKey: String, state: String, platformRef: String?)] {
        try store.pool.read { db in
            try GRDBRow.fetchAll(db, sql: "SELECT id, kind, subject, orderKey, state, platformRef FROM outbox ORDER BY id").map {
                (id: $0["id"], kind: $0["kind"], subject: $0["subject"], orderKey: $0["orderKey"], state: $0["state"], platformRef: $0["platformRef"])
            }
        }
    }

    /// Every outbox row reached the platform exactly once, and each key's rows in id order.
    func expectDeliveredExactlyOnceInOrder(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rows = try allRows()
        #expect(rows.allSatisfy { $0.state == "delivered" }, "undelivered: \(rows.filter { $0.state != "delivered" })", sourceLocation: sourceLocation)
        let applied = platform.applied
        let keys = applied.map { "\($0.call.rawValue):\($0.key)" }
        #expect(keys.count == Set(keys).count, "applied twice: \(keys)", sourceLocation: sourceLocation)
        var expected: [String] = []
        for row in rows {
            switch row.kind {
            case "page": expected.append("page:\(row.subject)")
            case "filing": expected.append("filing:\(row.subject)")
            case "queueStatistics": expected.append("queueStatistics:\(OutboxRelay.idempotencyKey(kioskID: "TZ01", rowID: row.id))")
            case "ratingStatistics": expected.append("ratingStatistics:\(OutboxRelay.idempotencyKey(kioskID: "TZ01", rowID: row.id))")
            case "supervisionNotice": expected.append("supervisionNotice:\(OutboxRelay.idempotencyKey(kioskID: "TZ01", rowID: row.id))")
            default: expected.append("evaluation:\(OutboxRelay.idempotencyKey(kioskID: "TZ01", rowID: row.id))")
            }
        }
        #expect(Set(keys) == Set(expected), sourceLocation: sourceLocation)
        // Per key, the platform applied the rows in id order.
        let position = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
        for key in Set(rows.map(\.orderKey)) {
            let order = zip(rows, expected).filter { $0.0.orderKey == key }.compactMap { position[$0.1] }
            #expect(order == order.sorted(), "key \(key) out of order", sourceLocation: sourceLocation)
        }
        for row in rows where row.kind == "filing" {
            #expect(row.platformRef?.hasPrefix("CASE-") == true, sourceLocation: sourceLocation)
        }
    }
}

/// `GRDB.Row`, named apart from the test's own row tuples.
typealias GRDBRow = GRDB.Row

/// Page bytes held in memory.
final class MemoryPageSource: PageSource, @unchecked Sendable {
    private let pages = Mutex<[String: [UInt8]]>([:])
    func put(_ sha: String, bytes: [UInt8]) { pages.withLock { $0[sha] = bytes } }
    func bytes(sha256: String) throws -> [UInt8]? { pages.withLock { $0[sha256] } }
}

/// Every log record, rendered as text with its metadata.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        logs.append("\(event.level) \(event.message) \(merged.map { "\($0)=\($1)" }.sorted().joined(separator: " "))")
    }
}
