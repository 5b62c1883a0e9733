import Foundation
import GRDB
import Store

/// The outbox's delivery bookkeeping in the store, shared by the relay (kioskd), `kioskctl outbox`
/// and the staff API. Every state change is a conditional UPDATE on the state and attempt count
/// the caller saw, so a relay and kioskctl (or two relays) never both record an outcome for the
/// same attempt, and a delivered row never goes back.
public struct OutboxLedger: Sendable {
    public let store: KioskStore

    public init(store: KioskStore) { self.store = store }

    private var pool: DatabasePool { store.pool }

    // MARK: what to send

    /// Rows due at `now` that head their key: pending or stuck, next attempt reached, and no earlier
    /// undelivered row with the same key (a rejected row holds back the rows after it). Oldest
    /// due first, at most `limit` (so memory does not grow with the backlog).
    public func dueHeads(now: Date, limit: Int) throws -> [OutboxRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: Self.dueHeadsSQL, arguments: [now, limit]).map(OutboxRow.init(row:))
        }
    }

    /// The row after `row` in its key, if it is due at `now` (pending or stuck, next attempt reached).
    public func nextDue(after row: OutboxRow, now: Date) throws -> OutboxRow? {
        try pool.read { db in
            try Row.fetchOne(db, sql: Self.nextInKeySQL, arguments: [row.orderKey, row.id]).map(OutboxRow.init(row:))
        }.flatMap { next in
            (next.state == .pending || next.state == .stuck) && (next.nextAttemptAt ?? .distantPast) <= now ? next : nil
        }
    }

    /// The earliest next attempt of a row that can be sent (pending or stuck, heading its key);
    /// nil when nothing can be sent (empty, or only rows held back by rejected ones).
    public func nextAttemptAt() throws -> Date? {
        try pool.read { db in try Date.fetchOne(db, sql: Self.nextAttemptSQL) }
    }

    /// The relay's per-pass and per-row queries; each must be answered from an index whatever the
    /// backlog (`QueryPlanTests` checks their plans).
    static let dueHeadsSQL = """
        SELECT \(OutboxRow.columns) FROM outbox o INDEXED BY outbox_due
        WHERE o.state IN ('pending', 'stuck') AND o.nextAttemptAt <= ?
          AND NOT EXISTS (SELECT 1 FROM outbox p
                          WHERE p.orderKey = o.orderKey AND p.id < o.id AND p.state <> 'delivered')
        ORDER BY o.nextAttemptAt, o.id LIMIT ?
        """
    static let nextInKeySQL = """
        SELECT \(OutboxRow.columns) FROM outbox
        WHERE orderKey = ? AND id > ? AND state <> 'delivered' ORDER BY id LIMIT 1
        """
    static let deliveredPageSQL = "SELECT id FROM outbox WHERE subject = ? AND kind = 'page' AND state = 'delivered' AND id <> ? LIMIT 1"
    static let payloadSQL = "SELECT payload FROM outbox WHERE id = ?"

    /// Each per-row relay query with its SQLite query plan, as `EXPLAIN QUERY PLAN` details.
    public func relayQueryPlans() throws -> [String: [String]] {
        try pool.read { db in
            var plans: [String: [String]] = [:]
            for (name, sql, arguments) in [("dueHeads", Self.dueHeadsSQL, [Date(), 64] as StatementArguments),
                                           ("nextInKey", Self.nextInKeySQL, ["k", 1]),
                                           ("deliveredPage", Self.deliveredPageSQL, [String(repeating: "a", count: 64), 1]),
                                           ("payload", Self.payloadSQL, [1])] {
                plans[name] = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
            }
            return plans
        }
    }

    static let nextAttemptSQL = """
        SELECT MIN(o.nextAttemptAt) FROM outbox o INDEXED BY outbox_due WHERE o.state IN ('pending', 'stuck')
          AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.orderKey = o.orderKey AND p.id < o.id AND p.state <> 'delivered')
        """

    /// The JSON payload of a row (read only when it is sent).
    public func payload(id: Int64) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: Self.payloadSQL, arguments: [id]) }
    }

    /// Another row that already delivered the page with this SHA-256 (the page need not be sent again).
    public func deliveredPageRow(sha256: String, other id: Int64) throws -> Int64? {
        try pool.read { db in
            try Int64.fetchOne(db, sql: Self.deliveredPageSQL, arguments: [sha256, id])
        }
    }

    /// A row by id.
    public func row(id: Int64) throws -> OutboxRow? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT \(OutboxRow.columns) FROM outbox WHERE id = ?", arguments: [id]).map(OutboxRow.init(row:))
        }
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
    public func record(_ attempts: [Attempt]) throws -> [Bool] {
        guard !attempts.isEmpty else { return [] }
        return try pool.write { db in try attempts.map { try Self.record($0, in: db) } }
    }

    /// Records a delivery. Returns false if the row had changed meanwhile (another sender recorded it).
    @discardableResult
    public func recordDelivered(_ row: OutboxRow, at date: Date, platformRef: String?) throws -> Bool {
        try record([Attempt(row: row, at: date, outcome: .delivered(platformRef: platformRef))])[0]
    }

    /// Records a failed attempt: the next attempt's time, and `stuck` once the policy says so.
    @discardableResult
    public func recordFailure(_ row: OutboxRow, at date: Date, error: String, nextAttemptAt: Date, stuck: Bool) throws -> Bool {
        try record([Attempt(row: row, at: date, outcome: .failed(error: error, nextAttemptAt: nextAttemptAt, stuck: stuck))])[0]
    }

    /// Records a permanent refusal with its reason; the key's later rows say what holds them back.
    @discardableResult
    public func recordRejected(_ row: OutboxRow, at date: Date, reason: String) throws -> Bool {
        try record([Attempt(row: row, at: date, outcome: .rejected(reason: reason))])[0]
    }

    private static func record(_ attempt: Attempt, in db: Database) throws -> Bool {
        let (row, date) = (attempt.row, attempt.at)
        switch attempt.outcome {
        case let .delivered(platformRef):
            try db.cachedStatement(sql: """
                UPDATE outbox SET state = 'delivered', attempts = attempts + 1, lastAttemptAt = ?, deliveredAt = ?,
                                  platformRef = ?, nextAttemptAt = NULL
                WHERE id = ? AND state = ? AND attempts = ?
                """).execute(arguments: [date, date, platformRef, row.id, row.state.rawValue, row.attempts])
            return db.changesCount > 0
        case let .failed(error, nextAttemptAt, stuck):
            try db.cachedStatement(sql: """
                UPDATE outbox SET state = ?, attempts = attempts + 1, lastAttemptAt = ?, lastFailureAt = ?, lastError = ?,
                                  nextAttemptAt = ?
                WHERE id = ? AND state = ? AND attempts = ?
                """).execute(arguments: [stuck ? OutboxState.stuck.rawValue : OutboxState.pending.rawValue, date, date, error,
                                         nextAttemptAt, row.id, row.state.rawValue, row.attempts])
            return db.changesCount > 0
        case let .rejected(reason):
            try db.cachedStatement(sql: """
                UPDATE outbox SET state = 'rejected', attempts = attempts + 1, lastAttemptAt = ?, lastFailureAt = ?, lastError = ?,
                                  nextAttemptAt = NULL
                WHERE id = ? AND state = ? AND attempts = ?
                """).execute(arguments: [date, date, reason, row.id, row.state.rawValue, row.attempts])
            guard db.changesCount > 0 else { return false }
            try db.cachedStatement(sql: """
                UPDATE outbox SET lastError = ? WHERE orderKey = ? AND id > ? AND state IN ('pending', 'stuck')
                """).execute(arguments: [Self.blockedNote(by: row.id), row.orderKey, row.id])
            return true
        }
    }

    static func blockedNote(by id: Int64) -> String { "waiting behind rejected row \(id) of the same filing" }

    // MARK: retry now (staff, technician)

    /// Makes one row due now: a pending or stuck row, or — explicitly, by its id — a rejected one
    /// (it goes back to pending and is sent again as it is). Returns false if there is no such
    /// undelivered row.
    @discardableResult
    public func retry(id: Int64, now: Date) throws -> Bool {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT orderKey, state FROM outbox WHERE id = ?", arguments: [id]),
                  let state = OutboxState(rawValue: row["state"]), state != .delivered else { return false }
            try db.execute(sql: "UPDATE outbox SET state = CASE state WHEN 'rejected' THEN 'pending' ELSE state END, nextAttemptAt = ? WHERE id = ?",
                           arguments: [now, id])
            if state == .rejected {
                // The rows it held back: due now too, and no longer marked as blocked.
                try db.execute(sql: "UPDATE outbox SET nextAttemptAt = ?, lastError = NULL WHERE orderKey = ? AND id > ? AND lastError = ?",
                               arguments: [now, row["orderKey"] as String, id, Self.blockedNote(by: id)])
            }
            return true
        }
    }

    /// Makes every pending and stuck row due now; rejected rows too only with `includeRejected`
    /// (the platform refused them once: a person should have looked at the reason first).
    /// Returns the number of rows made due.
    @discardableResult
    public func retryAll(now: Date, includeRejected: Bool = false) throws -> Int {
        try pool.write { db in
            var changed = 0
            if includeRejected {
                let rejected = try Int64.fetchAll(db, sql: "SELECT id FROM outbox WHERE state = 'rejected'")
                try db.execute(sql: "UPDATE outbox SET state = 'pending', nextAttemptAt = ? WHERE state = 'rejected'", arguments: [now])
                changed += db.changesCount
                for id in rejected {
                    try db.execute(sql: "UPDATE outbox SET lastError = NULL WHERE lastError = ?", arguments: [Self.blockedNote(by: id)])
                }
            }
            try db.execute(sql: "UPDATE outbox SET nextAttemptAt = ? WHERE state IN ('pending', 'stuck') AND nextAttemptAt > ?",
                           arguments: [now, now])
            changed += db.changesCount
            return changed
        }
    }

    // MARK: what staff see

    /// Depth, oldest age, stuck and rejected rows with reasons, last success and failure, and the
    /// `rowLimit` oldest undelivered rows.
    public func report(now: Date, rowLimit: Int = 50) throws -> OutboxReport {
        try pool.read { db in
            var byState: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM outbox GROUP BY state") {
                byState[row["state"]] = row["n"]
            }
            let pending = byState["pending"] ?? 0, stuck = byState["stuck"] ?? 0, rejected = byState["rejected"] ?? 0
            let oldest = try Date.fetchOne(db, sql: "SELECT MIN(createdAt) FROM outbox WHERE state IN ('pending', 'stuck', 'rejected')")
            let next = try Date.fetchOne(db, sql: Self.nextAttemptSQL)
            let lastSuccess = try Date.fetchOne(db, sql: "SELECT MAX(deliveredAt) FROM outbox WHERE deliveredAt IS NOT NULL")
            let lastFailure = try Row.fetchOne(db, sql: """
                SELECT lastFailureAt, lastError FROM outbox WHERE lastFailureAt IS NOT NULL ORDER BY lastFailureAt DESC LIMIT 1
                """)
            let rejections = try Row.fetchAll(db, sql: """
                SELECT id, kind, subject, orderKey, lastError, lastFailureAt,
                       (SELECT COUNT(*) FROM outbox b WHERE b.orderKey = r.orderKey AND b.id > r.id AND b.state <> 'delivered') AS blocked
                FROM outbox r WHERE state = 'rejected' ORDER BY id LIMIT 100
                """).map { row in
                OutboxReport.Rejection(id: row["id"], kind: row["kind"], subject: row["subject"], orderKey: row["orderKey"],
                                       reason: row["lastError"] ?? "rejected", rejectedAt: row["lastFailureAt"], blockedRows: row["blocked"])
            }
            let rows = try Row.fetchAll(db, sql: """
                SELECT \(OutboxRow.columns) FROM outbox WHERE state IN ('pending', 'stuck', 'rejected') ORDER BY id LIMIT ?
                """, arguments: [rowLimit]).map(OutboxRow.init(row:))
            return OutboxReport(depth: pending + stuck + rejected, pending: pending, stuck: stuck, rejected: rejected,
                                delivered: byState["delivered"] ?? 0, oldestUndeliveredAt: oldest,
                                oldestAgeSeconds: oldest.map { max(0, now.timeIntervalSince($0)) }, nextAttemptAt: next,
                                lastSuccessAt: lastSuccess, lastFailureAt: lastFailure?["lastFailureAt"], lastError: lastFailure?["lastError"],
                                rejections: rejections, rows: rows, checkedAt: now)
        }
    }
}
