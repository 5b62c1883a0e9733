import Foundation
import GRDB
import Workflow

/// What the outbox still has to deliver, for staff and metrics (delivered rows are not counted;
/// `Upstream.OutboxLedger.summary` adds stuck and rejected rows and the relay's last outcome).
public struct OutboxSummary: Sendable, Hashable, Codable {
    /// One row waiting to go upstream.
    public struct Row: Sendable, Hashable, Codable {
        public var id: Int64
        public var kind: String
        public var subject: String
        public var createdAt: Date
    }

    public var depth: Int
    /// Seconds since the oldest waiting row was written; nil when the outbox is empty.
    public var oldestAgeSeconds: Double?
    /// The oldest rows, at most the limit asked for.
    public var rows: [Row]
}

/// Counts for diagnostics and metrics.
public struct DeskCounts: Sendable, Hashable, Codable {
    /// Filings by status (English status names).
    public var filingsByStatus: [String: Int]
    public var openDrafts: Int
    public var printJobs: Int
}

extension FrontDesk {
    /// Appends a staff action to the audit chain (login, restock, reset, maintenance, reprint…):
    /// who did it, with which role, to what, and a short English note.
    @discardableResult
    public func recordStaffAction(name: String, technician: Bool, subject: String, action: String,
                                  outcome: String = "done", note: String? = nil) throws(FrontDeskError) -> AuditRecord {
        let now = clock.now()
        return try write { db in
            try appendAudit(db, subject: subject, actor: technician ? .technician : .staff, at: now, event: action, from: nil,
                            to: outcome, reason: ["by \(name)", note].compactMap { $0 }.joined(separator: ": "))
        }
    }

    /// The outbox's depth (rows not yet delivered upstream), the age of its oldest undelivered row
    /// and its `limit` oldest undelivered rows.
    public func outboxSummary(limit: Int = 50) throws(FrontDeskError) -> OutboxSummary {
        let now = clock.now()
        return try read { db in
            let depth = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE state <> 'delivered'") ?? 0
            let rows = try Row.fetchAll(db, sql: "SELECT id, kind, subject, createdAt FROM outbox WHERE state <> 'delivered' ORDER BY id LIMIT ?",
                                        arguments: [limit]).map { row in
                OutboxSummary.Row(id: row["id"], kind: row["kind"], subject: row["subject"], createdAt: row["createdAt"])
            }
            let oldest = rows.first.map { max(0, now.timeIntervalSince($0.createdAt)) }
            return OutboxSummary(depth: depth, oldestAgeSeconds: oldest, rows: rows)
        }
    }

    /// Filings by status, open drafts and print jobs, for diagnostics and `/metrics`.
    public func counts() throws(FrontDeskError) -> DeskCounts {
        try read { db in
            var byStatus: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM filing GROUP BY status") {
                byStatus[row["status"]] = row["n"]
            }
            let drafts = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM draft WHERE state = 'open'") ?? 0
            let jobs = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM printJob") ?? 0
            return DeskCounts(filingsByStatus: byStatus, openDrafts: drafts, printJobs: jobs)
        }
    }

    /// The newest print job of a slip with this reference (a filing number), for a reprint.
    public func latestPrintJobID(reference: String) throws(FrontDeskError) -> Int64? {
        try read { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM printJob WHERE reference = ? ORDER BY id DESC LIMIT 1", arguments: [reference])
        }
    }
}
