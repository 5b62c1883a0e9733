import Foundation
import GRDB

/// What an outbox row carries to the platform.
public enum OutboxKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A captured page (JPEG), content-addressed by its SHA-256 (the row's subject).
    case page
    /// A filing (申请), after its pages.
    case filing
    /// A rating (好差评).
    case evaluation
    /// A step of a 差评's rectification.
    case rectification
    /// A 督办通知单 for a filing two working days past its deadline.
    case supervisionNotice
    /// A closed hall day's queue figures.
    case queueStatistics
    /// A closed month's rating figures.
    case ratingStatistics
    /// Deferred materials of a 容缺 filing handed in later (补交), or lapsed with their consequence applied.
    case supplement
    /// A kind this version does not know (written by another build): never sent, shown to staff.
    case unrecognised
}

/// Where an outbox row is on its way upstream.
public enum OutboxState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for its next attempt (or its first).
    case pending
    /// The platform has it (once: the platform deduplicates replays by key).
    case delivered
    /// Failed `stuckAfterAttempts` times: still retried on a slow cadence, and shown to staff.
    case stuck
    /// The platform refused it permanently (a 4xx with its reason), or it cannot be sent (its page
    /// file is missing). Not retried until a person retries it; it holds back its key's later rows.
    case rejected
}

/// One row of the outbox with its delivery state, as the relay and `kioskctl outbox` see it.
public struct OutboxRow: Sendable, Hashable, Codable {
    public var id: Int64
    public var kind: OutboxKind
    /// A page's SHA-256, a filing number, or `evaluation:<id>`.
    public var subject: String
    /// Rows with the same key are delivered in id order.
    public var orderKey: String
    public var state: OutboxState
    public var attempts: Int
    public var createdAt: Date
    public var nextAttemptAt: Date?
    public var lastAttemptAt: Date?
    public var lastError: String?
    public var deliveredAt: Date?
    /// The platform's case id, once a filing is delivered.
    public var platformRef: String?

    init(row: Row) {
        id = row["id"]
        kind = OutboxKind(rawValue: row["kind"]) ?? .unrecognised
        subject = row["subject"]
        orderKey = row["orderKey"]
        state = OutboxState(rawValue: row["state"]) ?? .pending
        attempts = row["attempts"]
        createdAt = row["createdAt"]
        nextAttemptAt = row["nextAttemptAt"]
        lastAttemptAt = row["lastAttemptAt"]
        lastError = row["lastError"]
        deliveredAt = row["deliveredAt"]
        platformRef = row["platformRef"]
    }

    /// The columns `init(row:)` reads (the payload is read only when a row is sent).
    static let columns = "id, kind, subject, orderKey, state, attempts, createdAt, nextAttemptAt, lastAttemptAt, lastError, deliveredAt, platformRef"
}

/// A row the platform refused, with its reason and how many later rows of its key wait behind it.
public struct OutboxRejectionRow: Sendable, Hashable {
    public var id: Int64
    public var kind: OutboxKind
    public var subject: String
    public var orderKey: String
    public var reason: String
    public var rejectedAt: Date?
    public var blockedRows: Int
}

/// The outbox's figures for a report, read in one snapshot.
public struct OutboxFigures: Sendable, Hashable {
    public var countsByState: [OutboxState: Int]
    public var oldestUndeliveredAt: Date?
    public var nextAttemptAt: Date?
    public var lastSuccessAt: Date?
    public var lastFailureAt: Date?
    public var lastError: String?
    public var rejections: [OutboxRejectionRow]
    /// The oldest undelivered rows (pending, stuck, rejected), at most the limit asked for.
    public var rows: [OutboxRow]
}

/// The transactional outbox: rows written in the same transaction as what they report, and the
/// relay's delivery bookkeeping. Every state change is a conditional UPDATE on the state and
/// attempt count the sender saw, so two senders never both record the same attempt.
public struct OutboxRepository {
    let db: Database

    // MARK: writing

    /// Adds a row due at `date` with its JSON payload.
    public func enqueue(kind: OutboxKind, subject: String, orderKey: String, payload: String, at date: Date) throws {
        try db.cachedStatement(sql: """
            INSERT INTO outbox (kind, subject, orderKey, payload, createdAt, state, attempts, nextAttemptAt)
            VALUES (?, ?, ?, ?, ?, 'pending', 0, ?)
            """).execute(arguments: [kind.rawValue, subject, orderKey, payload, date.stored, date.stored])
    }

    /// Whether a row of `kind` for `subject` was ever written (a period closed once).
    public func exists(kind: OutboxKind, subject: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM outbox WHERE subject = ? AND kind = ?", arguments: [subject, kind.rawValue]) == true
    }

    /// The greatest subject of `kind` that starts with `prefix` (`queue:`, `ratings:`), without the prefix:
    /// the newest closed period, as periods are closed in order.
    public func newestSubject(kind: OutboxKind, prefix: String) throws -> String? {
        guard let last = prefix.unicodeScalars.last, let next = Unicode.Scalar(last.value + 1) else { return nil }
        let upper = String(prefix.unicodeScalars.dropLast()) + String(Character(next))
        return try String.fetchOne(db, sql: """
            SELECT subject FROM outbox WHERE subject >= ? AND subject < ? AND kind = ? ORDER BY subject DESC LIMIT 1
            """, arguments: [prefix, upper, kind.rawValue]).map { String($0.dropFirst(prefix.count)) }
    }

    // MARK: what to send

    /// Rows due at `now` that head their key: pending or stuck, next attempt reached, and no earlier
    /// undelivered row with the same key. Oldest due first, at most `limit`.
    public func dueHeads(now: Date, limit: Int) throws -> [OutboxRow] {
        try Row.fetchAll(db, sql: Self.dueHeadsSQL, arguments: [now, limit]).map(OutboxRow.init(row:))
    }

    /// The undelivered row after `row` in its key.
    public func nextInKey(after row: OutboxRow) throws -> OutboxRow? {
        try Row.fetchOne(db, sql: Self.nextInKeySQL, arguments: [row.orderKey, row.id]).map(OutboxRow.init(row:))
    }

    /// The earliest next attempt of a row that can be sent (pending or stuck, heading its key).
    public func nextAttemptAt() throws -> Date? {
        try Date.fetchOne(db, sql: Self.nextAttemptSQL)
    }

    /// The latest next attempt of a row waiting to be sent (pending or stuck).
    public func latestNextAttemptAt() throws -> Date? {
        try Date.fetchOne(db, sql: "SELECT MAX(nextAttemptAt) FROM outbox INDEXED BY outbox_due WHERE state IN ('pending', 'stuck')")
    }

    /// Rows waiting for a next attempt later than `after` are due at `now` instead; how many.
    public func reschedule(waitingAfter after: Date, to now: Date) throws -> Int {
        try db.execute(sql: "UPDATE outbox SET nextAttemptAt = ? WHERE state IN ('pending', 'stuck') AND nextAttemptAt > ?",
                       arguments: [now, after])
        return db.changesCount
    }

    /// The JSON payload of a row (read only when it is sent).
    public func payload(id: Int64) throws -> String? {
        try String.fetchOne(db, sql: Self.payloadSQL, arguments: [id])
    }

    /// Another row that already delivered the page with this SHA-256.
    public func deliveredPageRow(sha256: String, other id: Int64) throws -> Int64? {
        try Int64.fetchOne(db, sql: Self.deliveredPageSQL, arguments: [sha256, id])
    }

    /// A row by id.
    public func row(id: Int64) throws -> OutboxRow? {
        try Row.fetchOne(db, sql: "SELECT \(OutboxRow.columns) FROM outbox WHERE id = ?", arguments: [id]).map(OutboxRow.init(row:))
    }

    /// Whether the filing row of `number` was delivered (the platform has it).
    public func isFilingDelivered(number: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM outbox WHERE kind = 'filing' AND subject = ? AND state = 'delivered'",
                          arguments: [number]) == true
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
    static let nextAttemptSQL = """
        SELECT MIN(o.nextAttemptAt) FROM outbox o INDEXED BY outbox_due WHERE o.state IN ('pending', 'stuck')
          AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.orderKey = o.orderKey AND p.id < o.id AND p.state <> 'delivered')
        """

    /// Each per-row relay query with its SQLite query plan, as `EXPLAIN QUERY PLAN` details.
    public func relayQueryPlans() throws -> [String: [String]] {
        var plans: [String: [String]] = [:]
        for (name, sql, arguments) in [("dueHeads", Self.dueHeadsSQL, [Date(timeIntervalSince1970: 0), 64] as StatementArguments),
                                       ("nextInKey", Self.nextInKeySQL, ["k", 1]),
                                       ("deliveredPage", Self.deliveredPageSQL, [String(repeating: "a", count: 64), 1]),
                                       ("payload", Self.payloadSQL, [1])] {
            plans[name] = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
        }
        return plans
    }

    // MARK: outcomes (conditional: only if the row is still as the sender saw it)

    /// Records a delivery; false when the row changed meanwhile (another sender recorded it).
    public func markDelivered(_ row: OutboxRow, at date: Date, platformRef: String?) throws -> Bool {
        try db.cachedStatement(sql: """
            UPDATE outbox SET state = 'delivered', attempts = attempts + 1, lastAttemptAt = ?, deliveredAt = ?,
                              platformRef = ?, nextAttemptAt = NULL
            WHERE id = ? AND state = ? AND attempts = ?
            """).execute(arguments: [date, date, platformRef, row.id, row.state.rawValue, row.attempts])
        return db.changesCount > 0
    }

    /// Records a failed attempt and when to try again (`stuck` once the retry policy says so).
    public func markFailed(_ row: OutboxRow, at date: Date, error: String, nextAttemptAt: Date, stuck: Bool) throws -> Bool {
        try db.cachedStatement(sql: """
            UPDATE outbox SET state = ?, attempts = attempts + 1, lastAttemptAt = ?, lastFailureAt = ?, lastError = ?,
                              nextAttemptAt = ?
            WHERE id = ? AND state = ? AND attempts = ?
            """).execute(arguments: [stuck ? OutboxState.stuck.rawValue : OutboxState.pending.rawValue, date, date, error,
                                     nextAttemptAt, row.id, row.state.rawValue, row.attempts])
        return db.changesCount > 0
    }

    /// Records a permanent refusal; the key's later rows say what holds them back (`blockedNote`).
    public func markRejected(_ row: OutboxRow, at date: Date, reason: String, blockedNote: String) throws -> Bool {
        try db.cachedStatement(sql: """
            UPDATE outbox SET state = 'rejected', attempts = attempts + 1, lastAttemptAt = ?, lastFailureAt = ?, lastError = ?,
                              nextAttemptAt = NULL
            WHERE id = ? AND state = ? AND attempts = ?
            """).execute(arguments: [date, date, reason, row.id, row.state.rawValue, row.attempts])
        guard db.changesCount > 0 else { return false }
        try db.cachedStatement(sql: """
            UPDATE outbox SET lastError = ? WHERE orderKey = ? AND id > ? AND state IN ('pending', 'stuck')
            """).execute(arguments: [blockedNote, row.orderKey, row.id])
        return true
    }

    // MARK: retry now (staff, technician)

    /// Makes one undelivered row due now (a rejected one goes back to pending, and the rows it held
    /// back lose `blockedNote`). False when there is no such undelivered row.
    public func retry(id: Int64, now: Date, blockedNote: String) throws -> Bool {
        guard let row = try Row.fetchOne(db, sql: "SELECT orderKey, state FROM outbox WHERE id = ?", arguments: [id]),
              let state = OutboxState(rawValue: row["state"]), state != .delivered else { return false }
        try db.execute(sql: "UPDATE outbox SET state = CASE state WHEN 'rejected' THEN 'pending' ELSE state END, nextAttemptAt = ? WHERE id = ?",
                       arguments: [now, id])
        if state == .rejected {
            try db.execute(sql: "UPDATE outbox SET nextAttemptAt = ?, lastError = NULL WHERE orderKey = ? AND id > ? AND lastError = ?",
                           arguments: [now, row["orderKey"] as String, id, blockedNote])
        }
        return true
    }

    /// Makes every pending and stuck row due now, and rejected ones with `includeRejected` (their
    /// `blockedNote(id)` cleared). Returns the number of rows made due.
    public func retryAll(now: Date, includeRejected: Bool, blockedNote: (Int64) -> String) throws -> Int {
        var changed = 0
        if includeRejected {
            let rejected = try Int64.fetchAll(db, sql: "SELECT id FROM outbox WHERE state = 'rejected'")
            try db.execute(sql: "UPDATE outbox SET state = 'pending', nextAttemptAt = ? WHERE state = 'rejected'", arguments: [now])
            changed += db.changesCount
            for id in rejected {
                try db.execute(sql: "UPDATE outbox SET lastError = NULL WHERE lastError = ?", arguments: [blockedNote(id)])
            }
        }
        try db.execute(sql: "UPDATE outbox SET nextAttemptAt = ? WHERE state IN ('pending', 'stuck') AND nextAttemptAt > ?",
                       arguments: [now, now])
        changed += db.changesCount
        return changed
    }

    // MARK: what staff see

    /// Rows not delivered yet.
    public func undeliveredCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE state <> 'delivered'") ?? 0
    }

    /// The oldest undelivered rows, at most `limit`.
    public func oldestUndelivered(limit: Int) throws -> [OutboxRow] {
        try Row.fetchAll(db, sql: "SELECT \(OutboxRow.columns) FROM outbox WHERE state <> 'delivered' ORDER BY id LIMIT ?",
                         arguments: [limit]).map(OutboxRow.init(row:))
    }

    /// Depth by state, ages, last success and failure, rejections, and the `rowLimit` oldest undelivered rows.
    public func figures(rowLimit: Int) throws -> OutboxFigures {
        var byState: [OutboxState: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM outbox GROUP BY state") {
            if let state = OutboxState(rawValue: row["state"]) { byState[state] = row["n"] }
        }
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
            OutboxRejectionRow(id: row["id"], kind: OutboxKind(rawValue: row["kind"]) ?? .unrecognised, subject: row["subject"],
                               orderKey: row["orderKey"], reason: row["lastError"] ?? "rejected", rejectedAt: row["lastFailureAt"],
                               blockedRows: row["blocked"])
        }
        let rows = try Row.fetchAll(db, sql: """
            SELECT \(OutboxRow.columns) FROM outbox WHERE state IN ('pending', 'stuck', 'rejected') ORDER BY id LIMIT ?
            """, arguments: [rowLimit]).map(OutboxRow.init(row:))
        return OutboxFigures(countsByState: byState, oldestUndeliveredAt: oldest, nextAttemptAt: next, lastSuccessAt: lastSuccess,
                             lastFailureAt: lastFailure?["lastFailureAt"], lastError: lastFailure?["lastError"],
                             rejections: rejections, rows: rows)
    }
}
