import BlockingWork
import FrontDesk
import Foundation
import Workflow
import Logging
import ServiceLifecycle
import Store

/// Delivers the outbox to the platform: every row exactly once (the platform deduplicates replays
/// by page hash or `Idempotency-Key`, and the outcome is recorded by a conditional UPDATE), in id
/// order within a key (a filing's pages, then the filing, then its ratings), up to `concurrency`
/// keys at a time. A failed row waits with exponential backoff and jitter (`RetryPolicy`) and is
/// never dropped: after `stuckAfterAttempts` it is `stuck` and retried slowly; a permanent refusal
/// makes it `rejected` with the platform's reason and holds back its key's later rows.
///
/// As a `Service` it loops over `runOnce()` until graceful shutdown; tests call `runOnce(now:)`
/// with a hand-moved clock.
public final class OutboxRelay: Service, Sendable {
    /// How the relay works through the outbox.
    public struct Options: Sendable {
        /// Keys sent at the same time (default 4).
        public var concurrency: Int
        /// Heads fetched per pass: bounds memory whatever the backlog.
        public var batchSize: Int
        /// Sleep between passes when nothing was due.
        public var idleInterval: Duration
        /// The kiosk id, part of evaluations' idempotency keys (`<kioskId>-outbox-<row id>`).
        public var kioskID: String

        public init(kioskID: String, concurrency: Int = 4, batchSize: Int = 64, idleInterval: Duration = .seconds(1)) {
            self.kioskID = kioskID
            self.concurrency = max(1, concurrency)
            self.batchSize = max(1, batchSize)
            self.idleInterval = idleInterval
        }
    }

    /// What one pass did.
    public struct Pass: Sendable, Hashable {
        public var attempted = 0
        public var delivered = 0
        public var failed = 0
        public var rejected = 0
        /// Heads found due (a full batch means more may be due right away).
        public var heads = 0

        public init() {}

        static func + (a: Pass, b: Pass) -> Pass {
            var sum = a
            sum.attempted += b.attempted
            sum.delivered += b.delivered
            sum.failed += b.failed
            sum.rejected += b.rejected
            sum.heads += b.heads
            return sum
        }
    }

    public let ledger: OutboxLedger
    let platform: any PlatformAdapter
    let pages: any PageSource
    let policy: RetryPolicy
    let options: Options
    let clock: any KioskClock
    let jitter: any JitterSource
    let logger: Logger
    /// Told what each pass that attempted something did, once its outcomes are recorded (kioskd's
    /// `OutboxWatch`, so health turns `offline` at the first failed attempt).
    let onPass: (@Sendable (Pass) async -> Void)?
    /// Marked at every loop turn and every finished attempt (kioskd's watchdog reads it).
    public let progress = RelayProgress()

    public init(store: KioskStore, platform: any PlatformAdapter, pages: any PageSource, policy: RetryPolicy = RetryPolicy(),
                options: Options, clock: any KioskClock = SystemClock(), jitter: any JitterSource = SystemJitter(),
                logger: Logger = Logger(label: "onewindow.upstream"), onPass: (@Sendable (Pass) async -> Void)? = nil) {
        self.onPass = onPass
        self.ledger = OutboxLedger(store: store)
        self.platform = platform
        self.pages = pages
        self.policy = policy
        self.options = options
        self.clock = clock
        self.jitter = jitter
        self.logger = logger
    }

    /// Runs passes until graceful shutdown: at once again after a full batch, otherwise after
    /// `idleInterval`. Shuts the platform adapter down at the end.
    public func run() async throws {
        logger.info("outbox relay started", metadata: ["concurrency": "\(options.concurrency)"])
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                self.progress.mark()
                let pass = await self.runOnce()
                if pass.heads >= self.options.batchSize { continue }
                try? await Task.sleep(for: self.options.idleInterval)
            }
        }
        await platform.shutdown()
        logger.info("outbox relay stopped")
    }

    /// One pass at `now` (default: the clock's): the due heads (at most `batchSize`), each key's
    /// due rows sent in order, `concurrency` keys at a time, then every attempt's outcome recorded
    /// in one transaction (one disk flush for the pass, not one a row). A crash before that record
    /// only means the pass's rows are sent again, and the platform answers a replay with its first
    /// result. Never throws: a store failure is logged and the pass ends (the rows stay as they were).
    @discardableResult
    public func runOnce(now: Date? = nil) async -> Pass {
        let now = now ?? clock.now()
        let heads: [OutboxLedger.Sending]
        do { heads = try await ledger.dueHeadsToSend(now: now, limit: options.batchSize) } catch {
            logger.error("outbox relay cannot read the outbox", metadata: ["error": "\(error)"])
            return Pass()
        }
        var total = Pass()
        total.heads = heads.count
        guard !heads.isEmpty else {
            // Nothing due: is that because the clock went back under the schedule?
            do {
                let moved = try await ledger.rescheduleAfterClockStep(now: now, horizon: policy.longestDelay + 60)
                if moved > 0 {
                    logger.warning("the clock went back: outbox rows scheduled beyond any retry delay are due now", metadata: ["rows": "\(moved)"])
                }
            } catch {
                logger.error("outbox relay cannot check the schedule", metadata: ["error": "\(error)"])
            }
            return total
        }
        var attempts: [OutboxLedger.Attempt] = []
        await withTaskGroup(of: [OutboxLedger.Attempt].self) { group in
            var queue = heads.makeIterator()
            for _ in 0..<options.concurrency {
                guard let head = queue.next() else { break }
                group.addTask { await self.deliverKey(from: head, now: now) }
            }
            for await keyAttempts in group {
                attempts += keyAttempts
                if let head = queue.next() { group.addTask { await self.deliverKey(from: head, now: now) } }
            }
        }
        let recorded: [Bool]
        do {
            recorded = try await ledger.record(attempts)
        } catch {
            logger.error("outbox relay cannot record the outcomes of a pass; its rows will be sent again",
                         metadata: ["rows": "\(attempts.count)", "error": "\(error)"])
            total.attempted = attempts.count
            return total
        }
        for (attempt, wasRecorded) in zip(attempts, recorded) {
            total.attempted += 1
            guard wasRecorded else {
                logger.notice("an outbox row changed while it was being sent; its outcome was recorded elsewhere",
                              metadata: ["row": "\(attempt.row.id)"])
                continue
            }
            switch attempt.outcome {
            case .delivered: total.delivered += 1
            case .failed: total.failed += 1
            case .rejected: total.rejected += 1
            }
        }
        await onPass?(total)
        return total
    }

    /// Sends `head` and, while each succeeds, the key's next due rows; returns the attempts made.
    private func deliverKey(from head: OutboxLedger.Sending, now: Date) async -> [OutboxLedger.Attempt] {
        var attempts: [OutboxLedger.Attempt] = []
        var sending = head
        while true {
            let attempt = await attempt(sending, now: now)
            attempts.append(attempt)
            guard case .delivered = attempt.outcome else { return attempts }
            do {
                guard let next = try await ledger.nextToSend(after: sending.row, now: now) else { return attempts }
                sending = next
            } catch {
                logger.error("outbox relay cannot read the outbox", metadata: ["error": "\(error)"])
                return attempts
            }
        }
    }

    /// One attempt of one row and what became of it (recorded with the rest of the pass).
    private func attempt(_ sending: OutboxLedger.Sending, now: Date) async -> OutboxLedger.Attempt {
        let row = sending.row
        let result: Result<String?, PlatformError>
        do {
            result = .success(try await send(sending))
        } catch {
            result = .failure(error)
        }
        let at = clock.now()
        progress.mark()
        switch result {
        case let .success(reference):
            return .init(row: row, at: at, outcome: .delivered(platformRef: reference))
        case let .failure(error) where error.isPermanent:
            logger.error("the platform rejected an outbox row; it waits for staff (kioskctl outbox)",
                         metadata: ["row": "\(row.id)", "kind": "\(row.kind)", "key": "\(row.orderKey)", "reason": "\(error.description)"])
            return .init(row: row, at: at, outcome: .rejected(reason: error.description))
        case let .failure(error):
            let attempts = row.attempts + 1
            let (delay, stuck) = policy.afterFailure(attempts: attempts, jitter: jitter.unit())
            if stuck && row.state != .stuck {
                logger.warning("an outbox row is stuck (still retried every \(Int(policy.stuckRetryInterval / 60)) min)",
                               metadata: ["row": "\(row.id)", "kind": "\(row.kind)", "attempts": "\(attempts)", "error": "\(error.description)"])
            } else {
                logger.debug("outbox row not delivered, will retry",
                             metadata: ["row": "\(row.id)", "attempts": "\(attempts)", "in": "\(Int(delay))s", "error": "\(error.description)"])
            }
            return .init(row: row, at: at,
                         outcome: .failed(error: error.description, nextAttemptAt: now.addingTimeInterval(delay), stuck: stuck))
        }
    }

    /// Sends one row; returns the platform's reference (a filing's case id).
    private func send(_ sending: OutboxLedger.Sending) async throws(PlatformError) -> String? {
        let row = sending.row
        if row.kind == .page {
            // A page goes by its bytes (the row's subject is its SHA-256), once for all filings.
            if let earlier = sending.deliveredBy { return "page delivered with row \(earlier)" }
            let bytes: [UInt8]?
            // Reading a 5 MB page file is blocking work: on the bounded pool, not a cooperative thread.
            do { bytes = try await BlockingPool.shared.runIgnoringCancellation { [pages] in try pages.bytes(sha256: row.subject) } } catch {
                throw .transient("cannot read page \(row.subject): \(error)")
            }
            guard let bytes else { throw .permanent("page file missing: \(row.subject)") }
            try await platform.putPage(sha256: row.subject, bytes: bytes)
            return nil
        }
        let key = Self.idempotencyKey(kioskID: options.kioskID, rowID: row.id)
        switch try message(row, payload: sending.payload) {
        case .page:
            return nil
        case let .filing(filing):
            return try await platform.postFiling(filing).caseId
        case let .evaluation(evaluation), let .rectification(evaluation):
            return try await platform.postEvaluation(evaluation, idempotencyKey: key).caseId
        case let .queueStatistics(statistics):
            return try await platform.postQueueStatistics(statistics, idempotencyKey: key).caseId
        case let .ratingStatistics(statistics):
            return try await platform.postRatingStatistics(statistics, idempotencyKey: key).caseId
        case let .supervisionNotice(notice):
            return try await platform.postSupervisionNotice(notice, idempotencyKey: key).caseId
        case let .supplement(supplement):
            return try await platform.postSupplement(supplement, idempotencyKey: key).caseId
        }
    }

    /// The `Idempotency-Key` of an evaluation or rectification row: the same across retries and restarts.
    public static func idempotencyKey(kioskID: String, rowID: Int64) -> String { "\(kioskID)-outbox-\(rowID)" }

    /// The row's typed message. A payload that does not read back as its kind's message is
    /// refused for good (the row waits for staff), never sent as something else.
    private func message(_ row: OutboxRow, payload: String?) throws(PlatformError) -> OutboxMessage {
        guard let text = payload else { throw .transient("row \(row.id) vanished from the outbox") }
        do { return try OutboxMessage(kind: row.kind, storedPayload: text) } catch {
            throw .permanent("outbox row \(row.id) (\(row.kind.rawValue)) cannot be read as its message: \(error)")
        }
    }
}
