import Foundation
import GRDB
import Workflow

/// One day's queue figures for one category, as the platform receives them (no personal data:
/// counts and waiting times only).
public struct QueueCategoryStatistics: Sendable, Hashable, Codable {
    public var category: String
    public var categoryName: String?
    public var issued: Int
    /// Tickets checked in from an appointment (called before ordinary ones).
    public var priority: Int
    /// Called to a window (served, skipped or still at the window when the day closed).
    public var called: Int
    public var served: Int
    /// Called but the holder did not come (过号).
    public var skipped: Int
    public var cancelled: Int
    /// Still waiting when the day closed (never called).
    public var unserved: Int
    /// Mean and longest wait from issue to call, in whole seconds, over the called tickets.
    public var averageWaitSeconds: Int?
    public var longestWaitSeconds: Int?
}

/// What the outbox carries for a closed queue day (`kind = queueStatistics`).
public struct QueueDayStatistics: Sendable, Hashable, Codable {
    public var kioskID: String
    public var regionCode: String
    /// The hall day, `YYYY-MM-DD`.
    public var day: String
    public var categories: [QueueCategoryStatistics]
    public var closedAt: Date
}

extension FrontDesk {
    /// The outbox subject (and order key) of a day's queue statistics.
    public static func queueStatisticsSubject(day: CivilDate) -> String { "queue:\(day)" }

    /// Closes every past hall day that had tickets and has not been closed yet: in one transaction
    /// per day, its statistics row for the platform and an audit record. Waiting tickets of a closed
    /// day are counted as unserved (the queue restarts every day). Returns the days closed, oldest
    /// first. Run by `SupervisionService` on its cadence; safe to run again (a closed day has its
    /// outbox row and is skipped).
    @discardableResult
    public func closeQueueDays() throws(FrontDeskError) -> [CivilDate] {
        let now = clock.now()
        let today = hall.moment(now).day
        var closed: [CivilDate] = []
        for dayNumber in try pastTicketDays(before: today) {
            let day = CivilDate(dayNumber: dayNumber)
            let subject = Self.queueStatisticsSubject(day: day)
            let didClose = try write { db -> Bool in
                try closePeriodOnce(db, subject: subject, kind: "queueStatistics", event: "closeQueueDay", at: now) {
                    let statistics = QueueDayStatistics(kioskID: rules.kioskID, regionCode: rules.regionCode, day: day.description,
                                                        categories: try queueCategoryStatistics(db, day: day), closedAt: now)
                    let issued = statistics.categories.reduce(0) { $0 + $1.issued }
                    return (statistics, "\(issued) tickets in \(statistics.categories.count) categories")
                }
            }
            if didClose { closed.append(day) }
        }
        return closed
    }

    /// Closes a period (a hall day, a month) once, in the caller's transaction: unless its outbox row
    /// of `kind` exists already, appends the audit record (`event`, to `closed`) and the outbox row
    /// with the figures `make` returns. Returns whether it closed the period now.
    func closePeriodOnce(_ db: Database, subject: String, kind: String, event: String, at now: Date,
                         make: () throws -> (payload: any Encodable, summary: String)) throws -> Bool {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM outbox WHERE subject = ? AND kind = ?", arguments: [subject, kind]) == true {
            return false
        }
        let (payload, summary) = try make()
        try appendAudit(db, subject: subject, actor: .kiosk, at: now, event: event, from: nil, to: "closed", reason: summary)
        try enqueueOutbox(db, kind: kind, subject: subject, orderKey: subject, payload: payload, at: now)
        return true
    }

    /// Days with tickets after the last closed day and before `today`, oldest first. Days are
    /// closed in order, so only the days since the newest closed one are looked at (not every
    /// day the kiosk ever had, on every sweep); the write still skips a day closed meanwhile.
    private func pastTicketDays(before today: CivilDate) throws(FrontDeskError) -> [Int] {
        try read { db in
            let lastClosed = try String.fetchOne(db, sql: """
                SELECT subject FROM outbox WHERE subject >= 'queue:' AND subject < 'queue;' AND kind = 'queueStatistics'
                ORDER BY subject DESC LIMIT 1
                """).flatMap { CivilDate(iso: String($0.dropFirst("queue:".count))) }
            return try Int.fetchAll(db, sql: "SELECT DISTINCT day FROM queueTicket WHERE day > ? AND day < ? ORDER BY day",
                                    arguments: [lastClosed?.dayNumber ?? Int.min, today.dayNumber])
        }
    }

    /// One day's figures per category, in the configured categories' order (unknown codes last).
    func queueCategoryStatistics(_ db: Database, day: CivilDate) throws -> [QueueCategoryStatistics] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT category, COUNT(*) AS issued, SUM(priority) AS priority,
                   SUM(calledAt IS NOT NULL) AS called, SUM(state = 'served') AS served, SUM(state = 'skipped') AS skipped,
                   SUM(state = 'cancelled') AS cancelled, SUM(state = 'waiting') AS unserved,
                   AVG(CASE WHEN calledAt IS NOT NULL THEN julianday(calledAt) - julianday(issuedAt) END) AS averageWait,
                   MAX(CASE WHEN calledAt IS NOT NULL THEN julianday(calledAt) - julianday(issuedAt) END) AS longestWait
            FROM queueTicket WHERE day = ? GROUP BY category
            """, arguments: [day.dayNumber])
        let order = Dictionary(categories.enumerated().map { ($0.element.code, $0.offset) }, uniquingKeysWith: { first, _ in first })
        func seconds(_ days: Double?) -> Int? { days.map { Int(($0 * 86_400).rounded()) } }
        return rows.map { row in
            let code: String = row["category"]
            return QueueCategoryStatistics(
                category: code, categoryName: categories.first { $0.code == code }?.name,
                issued: row["issued"], priority: row["priority"] ?? 0, called: row["called"] ?? 0, served: row["served"] ?? 0,
                skipped: row["skipped"] ?? 0, cancelled: row["cancelled"] ?? 0, unserved: row["unserved"] ?? 0,
                averageWaitSeconds: seconds(row["averageWait"]), longestWaitSeconds: seconds(row["longestWait"]))
        }.sorted { (order[$0.category] ?? .max, $0.category) < (order[$1.category] ?? .max, $1.category) }
    }
}
