import Foundation
import GRDB

/// One read or write of the store, handed to the closure of `KioskStore.read` / `write`: the
/// door to each aggregate's repository. Every SQL statement of the kiosk lives behind these
/// repositories (a CI check greps for SQL elsewhere); callers see typed rows and enums only.
/// Within one `write`, everything the repositories do is one SQLite transaction.
public struct StoreTransaction {
    let db: Database

    init(_ db: Database) { self.db = db }

    /// Applications in progress, their pages and the materials held per applicant.
    public var drafts: DraftRepository { DraftRepository(db: db) }
    /// Numbered filings, their deferred materials, supervision lights and notices.
    public var filings: FilingRepository { FilingRepository(db: db) }
    /// The hash-chained audit trail.
    public var audit: AuditRepository { AuditRepository(db: db) }
    /// Messages for the platform, written in the same transaction as what they report.
    public var outbox: OutboxRepository { OutboxRepository(db: db) }
    /// Queue tickets, daily numbering, windows and appointments.
    public var queue: SQLiteQueueRepository { SQLiteQueueRepository(db: db) }
    /// Ratings (好差评) and rectifications.
    public var evaluations: EvaluationRepository { EvaluationRepository(db: db) }
    /// The kiosk's own secret and counters.
    public var kiosk: KioskRepository { KioskRepository(db: db) }
    /// Print jobs and printer counters.
    public var printJobs: PrintJobRepository { PrintJobRepository(db: db) }
    /// The history of device state changes technicians read.
    public var deviceStatus: DeviceStatusRepository { DeviceStatusRepository(db: db) }
}

extension KioskStore {
    /// Where the store's reads and writes run: threads of their own, never the cooperative pool's
    /// two. A commit's fsync (`synchronous=FULL`) blocks one of these, not the API. (GRDB's own
    /// async API releases a reader only after resuming on the cooperative pool, which deadlocks
    /// as soon as synchronous reads elsewhere hold both cooperative threads waiting for a reader;
    /// here the whole read or write, release included, happens on this queue.)
    static let queue = DispatchQueue(label: "onewindow.store", qos: .userInitiated, attributes: .concurrent)

    /// Runs `body` in one write transaction, all or nothing.
    public func write<T: Sendable>(_ body: @escaping @Sendable (StoreTransaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Self.queue.async {
                continuation.resume(with: Result {
                    do {
                        return try self.pool.write { db in try body(StoreTransaction(db)) }
                    } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
                        // Its own code, so the caller can say "the disk is full", not "an error".
                        throw StoreError(code: .diskFull, message: "the data disk is full, the transaction was rolled back: \(error)")
                    }
                })
            }
        }
    }

    /// Runs `body` on a snapshot of the store (concurrent with writes).
    public func read<T: Sendable>(_ body: @escaping @Sendable (StoreTransaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Self.queue.async { continuation.resume(with: Result { try self.pool.read { db in try body(StoreTransaction(db)) } }) }
        }
    }
}

/// The kiosk's secret (made once by migration v3; never leaves the store) and the filing numbering.
public struct KioskRepository {
    let db: Database

    /// The secret applicant keys and rating codes are made with; nil only if migration v3 is missing.
    public func secret() throws -> Data? {
        try Data.fetchOne(db, sql: "SELECT secret FROM kioskSecret WHERE id = 1")
    }

    /// The filing numbering's last day (as a day number) and last sequence.
    public func filingNumbering() throws -> (lastDay: Int?, lastSequence: Int)? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT lastDay, lastSequence FROM numbering WHERE id = 1")).map { ($0["lastDay"], $0["lastSequence"]) }
    }

    /// Stores the filing numbering after numbers were taken.
    public func setFilingNumbering(lastDay: Int?, lastSequence: Int) throws {
        try db.cachedStatement(sql: "UPDATE numbering SET lastDay = ?, lastSequence = ? WHERE id = 1").execute(arguments: [lastDay, lastSequence])
    }

    /// Rows of the print-job ledger (for diagnostics).
    public func printJobCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM printJob") ?? 0
    }

    /// The newest print job of a slip with this reference (a filing number).
    public func latestPrintJobID(reference: String) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM printJob WHERE reference = ? ORDER BY id DESC LIMIT 1", arguments: [reference])
    }
}

extension Array where Element == String {
    /// `?, ?, ?` for an `IN (…)` list of these values.
    var sqlPlaceholders: String { map { _ in "?" }.joined(separator: ",") }
}
