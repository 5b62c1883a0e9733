import Foundation
import GRDB

/// Where a persisted print job is. Every slip is a job with an identity, so a crash, a restart or a
/// retry can never print it twice.
public enum PrintJobState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Recorded, not yet handed to CUPS.
    case queued
    /// Being handed to CUPS: if the kiosk dies now, recovery asks CUPS by job name before sending again.
    case submitting
    /// In CUPS (`cupsJobId` set), printing or waiting to.
    case printing
    /// In CUPS, but the printer stopped for paper, a jam or a cover: prints by itself after the restock.
    case waitingForPaper
    /// CUPS reports `job-state == 9`. Never printed again (a staff reprint is a new job).
    case completed
    /// Not sent because the printer could not print (out of paper, offline): kept for reprint.
    case held
    /// Sent but canceled or aborted, or lost by CUPS: reprinted once after a restock, or on request.
    case failed

    /// Still owned by CUPS or on its way there.
    public var isActive: Bool { self == .submitting || self == .printing || self == .waitingForPaper }
}

/// One slip to print, as stored.
public struct PrintJob: Sendable, Hashable, Codable {
    public var id: Int64
    public var printerId: String
    public var template: String
    /// The filing number or ticket the slip is for (staff reprint by filing).
    public var reference: String?
    /// The printer bytes, exactly as sent.
    public var document: [UInt8]
    public var paperMillimetres: Double
    public var cuts: Int
    public var state: PrintJobState
    public var cupsJobId: Int32?
    public var attempts: Int
    public var automaticReprintUsed: Bool
    /// Why it is held, waiting or failed.
    public var reason: String?
    public var reprintOf: Int64?
    public var createdAt: Date
    public var updatedAt: Date
    public var completedAt: Date?

    /// The job name in CUPS, unique across kiosks sharing a server: how recovery finds it.
    public func cupsJobName(kioskId: String) -> String { "onewindow-\(kioskId)-job-\(id)" }
}

/// A printer's counters, after UnifiedPOS statistics: this roll and lifetime.
public struct PrinterCounters: Sendable, Hashable, Codable {
    public var printerId: String
    public var rollStartedAt: Date?
    public var rollSlips: Int
    public var rollCuts: Int
    public var rollPaperMillimetres: Double
    public var totalSlips: Int
    public var totalCuts: Int
    public var totalPaperMillimetres: Double
    /// Failures by reason (`media-empty`, `offline`, `aborted`…).
    public var failures: [String: Int]
    public var restocks: Int

    public init(printerId: String) {
        self.printerId = printerId
        rollSlips = 0; rollCuts = 0; rollPaperMillimetres = 0
        totalSlips = 0; totalCuts = 0; totalPaperMillimetres = 0
        failures = [:]; restocks = 0
    }
}

/// The print-job ledger and printer counters inside one store transaction. State changes are
/// conditional updates, so two processes (kioskd and `kioskctl printer restock`) can never both
/// send the same job.
public struct PrintJobRepository {
    let db: Database

    /// Records a new job in `state` (`queued` to print now, `held` when the printer cannot).
    public func addPrintJob(printerId: String, template: String, reference: String?, document: [UInt8],
                            paperMillimetres: Double, cuts: Int, state: PrintJobState, reason: String? = nil,
                            reprintOf: Int64? = nil, now: Date) throws -> PrintJob {
        try db.execute(sql: """
            INSERT INTO printJob (printerId, template, reference, document, paperMillimetres, cuts, state, reason,
                                  reprintOf, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [printerId, template, reference, Data(document), paperMillimetres, cuts, state.rawValue,
                             reason, reprintOf, now, now])
        return try Self.fetchJob(db, id: db.lastInsertedRowID)!
    }

    public func printJob(id: Int64) throws -> PrintJob? {
        try Self.fetchJob(db, id: id)
    }

    /// Jobs of a printer (all printers when nil), newest first.
    public func printJobs(printerId: String? = nil, states: [PrintJobState]? = nil, limit: Int = 50) throws -> [PrintJob] {
        var sql = "SELECT * FROM printJob WHERE 1=1"
        var arguments: StatementArguments = []
        if let printerId { sql += " AND printerId = ?"; arguments += [printerId] }
        if let states {
            sql += " AND state IN (\(states.map { _ in "?" }.joined(separator: ",")))"
            for state in states { arguments += [state.rawValue] }
        }
        sql += " ORDER BY id DESC LIMIT ?"
        arguments += [limit]
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.job)
    }

    /// Moves a job from one of `from` to `to`; returns the updated job, or nil if it was not in
    /// `from` (another process got there first).
    @discardableResult
    public func transitionPrintJob(_ id: Int64, from: [PrintJobState], to: PrintJobState, cupsJobId: Int32?? = nil,
                                   reason: String?? = nil, countAttempt: Bool = false, useAutomaticReprint: Bool = false,
                                   now: Date) throws -> PrintJob? {
        var sets = ["state = ?", "updatedAt = ?"]
        var arguments: StatementArguments = [to.rawValue, now]
        if let cupsJobId {
            sets.append("cupsJobId = ?")
            let value: Int64? = cupsJobId.map { Int64($0) }
            arguments += [value]
        }
        if let reason { sets.append("reason = ?"); arguments += [reason] }
        if countAttempt { sets.append("attempts = attempts + 1") }
        if useAutomaticReprint { sets.append("automaticReprintUsed = 1") }
        if to == .completed {
            sets.append("completedAt = ?")
            arguments += [now]
            if reason == nil { sets.append("reason = NULL") }  // printed: whatever delayed it is over
        }
        arguments += [id]
        for state in from { arguments += [state.rawValue] }
        try db.execute(sql: "UPDATE printJob SET \(sets.joined(separator: ", ")) WHERE id = ? AND state IN (\(from.map { _ in "?" }.joined(separator: ",")))",
                       arguments: arguments)
        guard db.changesCount == 1 else { return nil }
        let job = try Self.fetchJob(db, id: id)!
        if to == .completed {
            try Self.countCompletion(db, job: job)
        }
        return job
    }

    /// The printer's counters (zeros before its first slip).
    public func printerCounters(printerId: String) throws -> PrinterCounters {
        try Self.fetchCounters(db, printerId: printerId)
    }

    /// Adds one failure of `reason` to the printer's statistics.
    public func countPrinterFailure(printerId: String, reason: String) throws {
        var counters = try Self.fetchCounters(db, printerId: printerId)
        counters.failures[reason, default: 0] += 1
        try Self.saveCounters(db, counters)
    }

    /// A new roll: per-roll counters start again from zero.
    public func recordRestock(printerId: String, now: Date) throws -> PrinterCounters {
        var counters = try Self.fetchCounters(db, printerId: printerId)
        counters.rollStartedAt = now
        counters.rollSlips = 0
        counters.rollCuts = 0
        counters.rollPaperMillimetres = 0
        counters.restocks += 1
        try Self.saveCounters(db, counters)
        return counters
    }

    // MARK: - Rows

    private static func countCompletion(_ db: Database, job: PrintJob) throws {
        var counters = try fetchCounters(db, printerId: job.printerId)
        counters.rollSlips += 1
        counters.totalSlips += 1
        counters.rollCuts += job.cuts
        counters.totalCuts += job.cuts
        counters.rollPaperMillimetres += job.paperMillimetres
        counters.totalPaperMillimetres += job.paperMillimetres
        try saveCounters(db, counters)
    }

    private static func fetchJob(_ db: Database, id: Int64) throws -> PrintJob? {
        try Row.fetchOne(db, sql: "SELECT * FROM printJob WHERE id = ?", arguments: [id]).map(job)
    }

    private static func job(_ row: Row) -> PrintJob {
        let document: Data = row["document"]
        let cupsJobId: Int64? = row["cupsJobId"]
        let state: String = row["state"]
        return PrintJob(id: row["id"], printerId: row["printerId"], template: row["template"], reference: row["reference"],
                        document: [UInt8](document), paperMillimetres: row["paperMillimetres"], cuts: row["cuts"],
                        state: PrintJobState(rawValue: state) ?? .failed, cupsJobId: cupsJobId.map { Int32(truncatingIfNeeded: $0) },
                        attempts: row["attempts"], automaticReprintUsed: row["automaticReprintUsed"], reason: row["reason"],
                        reprintOf: row["reprintOf"], createdAt: row["createdAt"], updatedAt: row["updatedAt"],
                        completedAt: row["completedAt"])
    }

    private static func fetchCounters(_ db: Database, printerId: String) throws -> PrinterCounters {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM printerCounters WHERE printerId = ?", arguments: [printerId]) else {
            return PrinterCounters(printerId: printerId)
        }
        var counters = PrinterCounters(printerId: printerId)
        counters.rollStartedAt = row["rollStartedAt"]
        counters.rollSlips = row["rollSlips"]
        counters.rollCuts = row["rollCuts"]
        counters.rollPaperMillimetres = row["rollPaperMillimetres"]
        counters.totalSlips = row["totalSlips"]
        counters.totalCuts = row["totalCuts"]
        counters.totalPaperMillimetres = row["totalPaperMillimetres"]
        let failures: String = row["failures"]
        counters.failures = (try? JSONDecoder().decode([String: Int].self, from: Data(failures.utf8))) ?? [:]
        counters.restocks = row["restocks"]
        return counters
    }

    private static func saveCounters(_ db: Database, _ c: PrinterCounters) throws {
        let failures = String(decoding: (try? JSONEncoder().encode(c.failures)) ?? Data("{}".utf8), as: UTF8.self)
        try db.execute(sql: """
            INSERT INTO printerCounters (printerId, rollStartedAt, rollSlips, rollCuts, rollPaperMillimetres, totalSlips,
                                         totalCuts, totalPaperMillimetres, failures, restocks)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(printerId) DO UPDATE SET rollStartedAt = excluded.rollStartedAt, rollSlips = excluded.rollSlips,
              rollCuts = excluded.rollCuts, rollPaperMillimetres = excluded.rollPaperMillimetres,
              totalSlips = excluded.totalSlips, totalCuts = excluded.totalCuts,
              totalPaperMillimetres = excluded.totalPaperMillimetres, failures = excluded.failures, restocks = excluded.restocks
            """, arguments: [c.printerId, c.rollStartedAt, c.rollSlips, c.rollCuts, c.rollPaperMillimetres, c.totalSlips,
                             c.totalCuts, c.totalPaperMillimetres, failures, c.restocks])
    }
}

/// The print-job ledger through the store's own queue (`read`/`write`): no fsync of a print job's
/// state change runs on the cooperative pool, even from `SlipPrinter`'s actor.
extension KioskStore {
    /// Records a new job in `state` (`queued` to print now, `held` when the printer cannot).
    public func addPrintJob(printerId: String, template: String, reference: String?, document: [UInt8],
                            paperMillimetres: Double, cuts: Int, state: PrintJobState, reason: String? = nil,
                            reprintOf: Int64? = nil, now: Date) async throws -> PrintJob {
        try await write { tx in
            try tx.printJobs.addPrintJob(printerId: printerId, template: template, reference: reference, document: document,
                                         paperMillimetres: paperMillimetres, cuts: cuts, state: state, reason: reason,
                                         reprintOf: reprintOf, now: now)
        }
    }

    public func printJob(id: Int64) async throws -> PrintJob? {
        try await read { tx in try tx.printJobs.printJob(id: id) }
    }

    /// Jobs of a printer (all printers when nil), newest first.
    public func printJobs(printerId: String? = nil, states: [PrintJobState]? = nil, limit: Int = 50) async throws -> [PrintJob] {
        try await read { tx in try tx.printJobs.printJobs(printerId: printerId, states: states, limit: limit) }
    }

    /// Moves a job from one of `from` to `to`; returns the updated job, or nil if it was not in
    /// `from` (another process got there first).
    @discardableResult
    public func transitionPrintJob(_ id: Int64, from: [PrintJobState], to: PrintJobState, cupsJobId: Int32?? = nil,
                                   reason: String?? = nil, countAttempt: Bool = false, useAutomaticReprint: Bool = false,
                                   now: Date) async throws -> PrintJob? {
        try await write { tx in
            try tx.printJobs.transitionPrintJob(id, from: from, to: to, cupsJobId: cupsJobId, reason: reason, countAttempt: countAttempt,
                                                useAutomaticReprint: useAutomaticReprint, now: now)
        }
    }

    /// The printer's counters (zeros before its first slip).
    public func printerCounters(printerId: String) async throws -> PrinterCounters {
        try await read { tx in try tx.printJobs.printerCounters(printerId: printerId) }
    }

    /// Adds one failure of `reason` to the printer's statistics.
    public func countPrinterFailure(printerId: String, reason: String) async throws {
        try await write { tx in try tx.printJobs.countPrinterFailure(printerId: printerId, reason: reason) }
    }

    /// A new roll: per-roll counters start again from zero.
    public func recordRestock(printerId: String, now: Date) async throws -> PrinterCounters {
        try await write { tx in try tx.printJobs.recordRestock(printerId: printerId, now: now) }
    }
}
