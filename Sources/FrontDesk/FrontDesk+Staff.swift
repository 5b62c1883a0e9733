import Foundation
import Store
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
                                  outcome: String = "done", note: String? = nil) async throws(FrontDeskError) -> AuditRecord {
        let now = clock.now()
        return try await write { [self] tx in
            try appendAudit(tx, subject: subject, actor: technician ? .technician : .staff, at: now, event: action, from: nil,
                            to: outcome, reason: ["by \(name)", note].compactMap { $0 }.joined(separator: ": "))
        }
    }

    /// The outbox's depth (rows not yet delivered upstream), the age of its oldest undelivered row
    /// and its `limit` oldest undelivered rows.
    public func outboxSummary(limit: Int = 50) async throws(FrontDeskError) -> OutboxSummary {
        let now = clock.now()
        return try await read { tx in
            let depth = try tx.outbox.undeliveredCount()
            let rows = try tx.outbox.oldestUndelivered(limit: limit).map { row in
                OutboxSummary.Row(id: row.id, kind: row.kind.rawValue, subject: row.subject, createdAt: row.createdAt)
            }
            let oldest = rows.first.map { max(0, now.timeIntervalSince($0.createdAt)) }
            return OutboxSummary(depth: depth, oldestAgeSeconds: oldest, rows: rows)
        }
    }

    /// Filings by status, open drafts and print jobs, for diagnostics and `/metrics`.
    public func counts() async throws(FrontDeskError) -> DeskCounts {
        try await read { tx in
            DeskCounts(filingsByStatus: try tx.filings.countsByStatus(), openDrafts: try tx.drafts.openCount(),
                       printJobs: try tx.kiosk.printJobCount())
        }
    }

    /// The newest print job of a slip with this reference (a filing number), for a reprint.
    public func latestPrintJobID(reference: String) async throws(FrontDeskError) -> Int64? {
        try await read { tx in try tx.kiosk.latestPrintJobID(reference: reference) }
    }
}
