import Foundation
import Store

/// The outbox's delivery bookkeeping in the store, shared by the relay (kioskd), `kioskctl outbox`
/// and the staff API. Every state change is a conditional UPDATE on the state and attempt count
/// the caller saw, so a relay and kioskctl (or two relays) never both record an outcome for the
/// same attempt, and a delivered row never goes back.
public struct OutboxLedger: Sendable {
    public let store: KioskStore

    public init(store: KioskStore) { self.store = store }

    // MARK: what to send

    static func isDue(_ row: OutboxRow, now: Date) -> Bool {
        (row.state == .pending || row.state == .stuck) && (row.nextAttemptAt ?? .distantPast) <= now
    }

    /// A row as the relay sends it: with what sending it needs, read in the same store read as the
    /// row itself (one hop to the store's queue a row, not three).
    public struct Sending: Sendable, Hashable {
        public var row: OutboxRow
        /// The stored message (every kind but a page, whose bytes are its file).
        public var payload: String?
        /// For a page: an earlier row that already delivered the same bytes (then it is not sent again).
        public var deliveredBy: Int64?
    }

    /// Rows due at `now` that head their key: pending or stuck, next attempt reached, and no earlier
    /// undelivered row with the same key (a rejected row holds back the rows after it). Oldest
    /// due first, at most `limit` (so memory does not grow with the backlog), each with what sending it needs.
    public func dueHeadsToSend(now: Date, limit: Int) async throws -> [Sending] {
        try await store.read { tx in try tx.outbox.dueHeads(now: now, limit: limit).map { try Self.sending($0, tx) } }
    }

    /// The row after `row` in its key, if it is due at `now` (pending or stuck, next attempt
    /// reached), with what sending it needs.
    public func nextToSend(after row: OutboxRow, now: Date) async throws -> Sending? {
        try await store.read { tx in
            guard let next = try tx.outbox.nextInKey(after: row), Self.isDue(next, now: now) else { return nil }
            return try Self.sending(next, tx)
        }
    }

    static func sending(_ row: OutboxRow, _ tx: StoreTransaction) throws -> Sending {
        row.kind == .page
            ? Sending(row: row, payload: nil, deliveredBy: try tx.outbox.deliveredPageRow(sha256: row.subject, other: row.id))
            : Sending(row: row, payload: try tx.outbox.payload(id: row.id), deliveredBy: nil)
    }

    /// The earliest next attempt of a row that can be sent (pending or stuck, heading its key);
    /// nil when nothing can be sent (empty, or only rows held back by rejected ones).
    public func nextAttemptAt() async throws -> Date? {
        try await store.read { try $0.outbox.nextAttemptAt() }
    }

    /// After the clock was stepped back: a row waiting for a next attempt further ahead than any
    /// delay the policy gives (`horizon`) was scheduled by a clock that has since gone back, and
    /// would wait that much longer (an hour for an hour's step). Such rows are due now (a replay
    /// is answered with its first result, so an early attempt is harmless). One indexed read
    /// when nothing is wrong; returns how many rows were rescheduled.
    public func rescheduleAfterClockStep(now: Date, horizon: TimeInterval) async throws -> Int {
        let limit = now.addingTimeInterval(horizon)
        guard let latest = try await store.read({ try $0.outbox.latestNextAttemptAt() }), latest > limit else { return 0 }
        return try await store.write { try $0.outbox.reschedule(waitingAfter: limit, to: now) }
    }

    /// Each per-row relay query with its SQLite query plan, as `EXPLAIN QUERY PLAN` details.
    public func relayQueryPlans() async throws -> [String: [String]] {
        try await store.read { try $0.outbox.relayQueryPlans() }
    }

    /// The JSON payload of a row (read only when it is sent).
    public func payload(id: Int64) async throws -> String? {
        try await store.read { try $0.outbox.payload(id: id) }
    }

    /// A row by id.
    public func row(id: Int64) async throws -> OutboxRow? {
        try await store.read { try $0.outbox.row(id: id) }
    }

    // MARK: outcomes (conditional: only if the row is still as the sender saw it)

    /// What became of one attempt.
    public enum AttemptOutcome: Sendable, Hashable {
        case delivered(platformRef: String?)
        /// Tried again at `nextAttemptAt`; `stuck` once the policy says so.
        case failed(error: String, nextAttemptAt: Date, stuck: Bool)
        /// Refused for good with the platform's reason; the key's later rows say what holds them back.
        case rejected(reason: String)
    }

    /// One attempt to record: the row as the sender saw it, when, and what became of it.
    public struct Attempt: Sendable, Hashable {
        public var row: OutboxRow
        public var at: Date
        public var outcome: AttemptOutcome

        public init(row: OutboxRow, at: Date, outcome: AttemptOutcome) {
            self.row = row
            self.at = at
            self.outcome = outcome
        }
    }

    /// Records many attempts in one transaction (one disk flush for a whole pass of the relay).
    /// Each is conditional on the row being as its sender saw it; returns, in order, whether each
    /// was recorded (false: another sender recorded that attempt, or the row was retried meanwhile).
    public func record(_ attempts: [Attempt]) async throws -> [Bool] {
        guard !attempts.isEmpty else { return [] }
        return try await store.write { tx in try attempts.map { try Self.record($0, in: tx.outbox) } }
    }

    private static func record(_ attempt: Attempt, in outbox: OutboxRepository) throws -> Bool {
        switch attempt.outcome {
        case let .delivered(platformRef):
            try outbox.markDelivered(attempt.row, at: attempt.at, platformRef: platformRef)
        case let .failed(error, nextAttemptAt, stuck):
            try outbox.markFailed(attempt.row, at: attempt.at, error: error, nextAttemptAt: nextAttemptAt, stuck: stuck)
        case let .rejected(reason):
            try outbox.markRejected(attempt.row, at: attempt.at, reason: reason, blockedNote: blockedNote(by: attempt.row.id))
        }
    }

    static func blockedNote(by id: Int64) -> String { "waiting behind rejected row \(id) of the same filing" }

    // MARK: retry now (staff, technician)

    /// Makes one row due now: a pending or stuck row, or — explicitly, by its id — a rejected one
    /// (it goes back to pending and is sent again as it is). Returns false if there is no such
    /// undelivered row.
    @discardableResult
    public func retry(id: Int64, now: Date) async throws -> Bool {
        try await store.write { try $0.outbox.retry(id: id, now: now, blockedNote: Self.blockedNote(by: id)) }
    }

    /// Makes every pending and stuck row due now; rejected rows too only with `includeRejected`
    /// (the platform refused them once: a person should have looked at the reason first).
    /// Returns the number of rows made due.
    @discardableResult
    public func retryAll(now: Date, includeRejected: Bool = false) async throws -> Int {
        try await store.write { try $0.outbox.retryAll(now: now, includeRejected: includeRejected, blockedNote: Self.blockedNote(by:)) }
    }

    // MARK: what staff see

    /// Depth, oldest age, stuck and rejected rows with reasons, last success and failure, and the
    /// `rowLimit` oldest undelivered rows.
    public func report(now: Date, rowLimit: Int = 50) async throws -> OutboxReport {
        let f = try await store.read { try $0.outbox.figures(rowLimit: rowLimit) }
        let pending = f.countsByState[.pending] ?? 0, stuck = f.countsByState[.stuck] ?? 0, rejected = f.countsByState[.rejected] ?? 0
        return OutboxReport(depth: pending + stuck + rejected, pending: pending, stuck: stuck, rejected: rejected,
                            delivered: f.countsByState[.delivered] ?? 0, oldestUndeliveredAt: f.oldestUndeliveredAt,
                            oldestAgeSeconds: f.oldestUndeliveredAt.map { max(0, now.timeIntervalSince($0)) }, nextAttemptAt: f.nextAttemptAt,
                            lastSuccessAt: f.lastSuccessAt, lastFailureAt: f.lastFailureAt, lastError: f.lastError,
                            rejections: f.rejections.map {
                                OutboxReport.Rejection(id: $0.id, kind: $0.kind.rawValue, subject: $0.subject, orderKey: $0.orderKey,
                                                       reason: $0.reason, rejectedAt: $0.rejectedAt, blockedRows: $0.blockedRows)
                            },
                            rows: f.rows, checkedAt: now)
    }
}
