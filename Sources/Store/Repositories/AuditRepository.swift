import Foundation
import GRDB
import Workflow

/// The hash-chained audit trail (`AuditChain` makes the records; this keeps them in order).
public struct AuditRepository {
    let db: Database

    /// The newest record, which the next one chains to.
    public func last() throws -> AuditRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM audit ORDER BY sequence DESC LIMIT 1")).map(AuditRecord.init(row:))
    }

    /// Appends a record made by `AuditChain.append` after `last()`, and counts it in the head.
    public func append(_ record: AuditRecord) throws {
        try db.cachedStatement(sql: """
            INSERT INTO audit (sequence, subject, actor, atMilliseconds, event, fromState, toState, reason, previousHash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [record.sequence, record.subject, record.actor.rawValue, record.atMilliseconds, record.event,
                                     record.from, record.to, record.reason, record.previousHash, record.hash])
        try db.cachedStatement(sql: "UPDATE auditHead SET count = count + 1 WHERE id = 1").execute()
    }

    /// How many records the head says were written (a truncated chain has fewer rows).
    public func expectedCount() throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT count FROM auditHead WHERE id = 1")
    }

    /// Every record in chain order, one at a time (the whole chain never sits in memory twice).
    public func forEachRecord(_ body: (AuditRecord) throws -> Void) throws {
        let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit ORDER BY sequence")
        while let row = try cursor.next() { try body(AuditRecord(row: row)) }
    }

    /// The records of one subject (`filing:<number>`…), oldest first.
    public func records(subject: String) throws -> [AuditRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE subject = ? ORDER BY sequence", arguments: [subject]).map(AuditRecord.init(row:))
    }

    /// A staff member's trail: records about `staff:<name>` and every staff or technician record
    /// whose reason says `by <name>`, oldest first.
    public func records(staffName name: String) throws -> [AuditRecord] {
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        return try Row.fetchAll(db, sql: """
            SELECT * FROM audit WHERE subject = ?
               OR (actor IN ('staff', 'technician') AND (reason = ? OR reason LIKE ? ESCAPE '\\'))
            ORDER BY sequence
            """, arguments: ["staff:\(name)", "by \(name)", "by \(escaped): %"]).map(AuditRecord.init(row:))
    }
}

extension AuditRecord {
    init(row: Row) {
        self.init(sequence: row["sequence"], subject: row["subject"],
                  actor: FilingActor(rawValue: row["actor"]) ?? .kiosk, atMilliseconds: row["atMilliseconds"],
                  event: row["event"], from: row["fromState"], to: row["toState"], reason: row["reason"],
                  previousHash: row["previousHash"], hash: row["hash"])
    }
}
