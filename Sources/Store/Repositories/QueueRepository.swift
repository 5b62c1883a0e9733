import Foundation
import GRDB
import Workflow

/// A queue ticket row as stored, with its place in the queue while it waits.
public struct TicketRow: Sendable, Hashable {
    public var id: Int64
    public var category: String
    public var day: CivilDate
    public var sequence: Int
    public var priority: Bool
    /// Why it is called before ordinary tickets (appointment or 绿色通道); nil for an ordinary one.
    public var priorityReason: PriorityReason?
    public var state: TicketState
    public var window: String?
    public var issuedAt: Date
    /// Tickets of the category called before this one (0 unless waiting).
    public var waitingAhead: Int
}

/// An appointment as the queue keeps it (the holder only as the applicant key).
public struct AppointmentRow: Sendable, Hashable {
    public var id: String
    public var category: String
    public var ticketID: Int64?
}

/// One day's queue figures for one category, as the platform receives them (no personal data:
/// counts and waiting times only).
public struct QueueCategoryStatistics: Sendable, Hashable, Codable {
    public var category: String
    public var categoryName: String?
    public var issued: Int
    /// Priority tickets (appointments checked in and 绿色通道; called before ordinary ones).
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

    public init(category: String, categoryName: String?, issued: Int, priority: Int, called: Int, served: Int, skipped: Int,
                cancelled: Int, unserved: Int, averageWaitSeconds: Int?, longestWaitSeconds: Int?) {
        self.category = category; self.categoryName = categoryName; self.issued = issued; self.priority = priority
        self.called = called; self.served = served; self.skipped = skipped; self.cancelled = cancelled; self.unserved = unserved
        self.averageWaitSeconds = averageWaitSeconds; self.longestWaitSeconds = longestWaitSeconds
    }
}

/// The queue's storage: tickets and their daily numbering per category, windows and the categories
/// they serve, appointments. A protocol because a hall shares one queue on another engine (the
/// hall-mode store); `SQLiteQueueRepository` is the single kiosk's.
public protocol QueueRepository {
    func waitingTicketNumber(category: String, applicantKey: String, day: CivilDate) throws -> String?
    func cancelStaleWaiting(category: String, applicantKey: String, before day: CivilDate) throws
    func lastSequence(category: String, day: CivilDate) throws -> Int
    func setLastSequence(category: String, day: CivilDate, _ sequence: Int) throws
    /// The latest day any ticket was numbered on (nil before the first ticket).
    func latestSequenceDay() throws -> CivilDate?
    func insertTicket(category: String, day: CivilDate, sequence: Int, number: String, applicantKey: String?,
                      appointmentID: String?, priorityReason: PriorityReason?, at date: Date) throws -> Int64
    func ticket(id: Int64) throws -> TicketRow?
    func ticketID(number: String, day: CivilDate) throws -> Int64?
    func ticketState(id: Int64) throws -> TicketState?
    func setTicketState(id: Int64, _ state: TicketState, at date: Date) throws
    func waitingCount(category: String, day: CivilDate) throws -> Int
    func assignWindow(_ window: String, categories: [String], at date: Date) throws
    func windows() throws -> [String: [String]]
    func windowCategories(_ window: String) throws -> [String]?
    func callNext(window: String, categories: [String], day: CivilDate, at date: Date) throws -> Int64?
    func upsertAppointment(id: String, applicantKey: String, category: String, day: CivilDate, slot: String?) throws
    func appointment(applicantKey: String, day: CivilDate) throws -> AppointmentRow?
    func linkAppointment(id: String, ticketID: Int64) throws
    func ticketDays(after: CivilDate?, before: CivilDate) throws -> [CivilDate]
    func dayFigures(day: CivilDate) throws -> [QueueCategoryStatistics]
}

/// The single kiosk's queue, in its SQLite store.
public struct SQLiteQueueRepository: QueueRepository {
    let db: Database

    public func waitingTicketNumber(category: String, applicantKey: String, day: CivilDate) throws -> String? {
        try String.fetchOne(db, sql: """
            SELECT number FROM queueTicket WHERE category = ? AND applicantKey = ? AND state = 'waiting' AND day = ?
            """, arguments: [category, applicantKey, day.dayNumber])
    }

    /// A waiting ticket of an earlier day is stale: the queue restarted.
    public func cancelStaleWaiting(category: String, applicantKey: String, before day: CivilDate) throws {
        try db.execute(sql: "UPDATE queueTicket SET state = 'cancelled' WHERE category = ? AND applicantKey = ? AND state = 'waiting' AND day < ?",
                       arguments: [category, applicantKey, day.dayNumber])
    }

    public func lastSequence(category: String, day: CivilDate) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT last FROM queueSequence WHERE category = ? AND day = ?", arguments: [category, day.dayNumber]) ?? 0
    }

    public func latestSequenceDay() throws -> CivilDate? {
        try Int.fetchOne(db, sql: "SELECT MAX(day) FROM queueSequence").map(CivilDate.init(dayNumber:))
    }

    public func setLastSequence(category: String, day: CivilDate, _ sequence: Int) throws {
        try db.execute(sql: """
            INSERT INTO queueSequence (category, day, last) VALUES (?, ?, ?)
            ON CONFLICT (category, day) DO UPDATE SET last = excluded.last
            """, arguments: [category, day.dayNumber, sequence])
    }

    public func insertTicket(category: String, day: CivilDate, sequence: Int, number: String, applicantKey: String?,
                             appointmentID: String?, priorityReason: PriorityReason?, at date: Date) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO queueTicket (category, day, sequence, number, applicantKey, appointmentId, priority, priorityReason, state, issuedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?)
            """, arguments: [category, day.dayNumber, sequence, number, applicantKey, appointmentID, priorityReason != nil,
                             priorityReason?.rawValue, date])
        return db.lastInsertedRowID
    }

    public func ticket(id: Int64) throws -> TicketRow? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM queueTicket WHERE id = ?", arguments: [id]) else { return nil }
        let state = TicketState(rawValue: row["state"]) ?? .waiting
        let priority: Bool = row["priority"]
        let code: String = row["category"]
        let issuedAt: Date = row["issuedAt"]
        var ahead = 0
        if state == .waiting {
            ahead = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM queueTicket WHERE category = ? AND day = ? AND state = 'waiting' AND id != ?
                  AND (priority > ? OR (priority = ? AND id < ?))
                """, arguments: [code, row["day"] as Int, id, priority, priority, id]) ?? 0
        }
        return TicketRow(id: id, category: code, day: CivilDate(dayNumber: row["day"]), sequence: row["sequence"], priority: priority,
                         priorityReason: (row["priorityReason"] as String?).flatMap(PriorityReason.init(rawValue:)), state: state, window: row["window"], issuedAt: issuedAt, waitingAhead: ahead)
    }

    public func ticketID(number: String, day: CivilDate) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM queueTicket WHERE number = ? AND day = ? ORDER BY id DESC LIMIT 1",
                           arguments: [number, day.dayNumber])
    }

    public func ticketState(id: Int64) throws -> TicketState? {
        try String.fetchOne(db, sql: "SELECT state FROM queueTicket WHERE id = ?", arguments: [id]).flatMap(TicketState.init(rawValue:))
    }

    public func setTicketState(id: Int64, _ state: TicketState, at date: Date) throws {
        try db.execute(sql: "UPDATE queueTicket SET state = ?, finishedAt = ? WHERE id = ?", arguments: [state.rawValue, date, id])
    }

    public func waitingCount(category: String, day: CivilDate) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM queueTicket WHERE category = ? AND day = ? AND state = 'waiting'",
                         arguments: [category, day.dayNumber]) ?? 0
    }

    public func assignWindow(_ window: String, categories: [String], at date: Date) throws {
        let json = String(decoding: try JSONEncoder().encode(categories), as: UTF8.self)
        try db.execute(sql: """
            INSERT INTO serviceWindow (id, categories, updatedAt) VALUES (?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET categories = excluded.categories, updatedAt = excluded.updatedAt
            """, arguments: [window, json, date])
    }

    public func windows() throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, categories FROM serviceWindow") {
            out[row["id"]] = (try? JSONDecoder().decode([String].self, from: Data((row["categories"] as String).utf8))) ?? []
        }
        return out
    }

    public func windowCategories(_ window: String) throws -> [String]? {
        guard let json = try String.fetchOne(db, sql: "SELECT categories FROM serviceWindow WHERE id = ?", arguments: [window]) else {
            return nil
        }
        return try JSONDecoder().decode([String].self, from: Data(json.utf8))
    }

    /// Marks the ticket the window called before as served and calls the next one of its
    /// categories (priority first, then issue order); its id, or nil when nobody waits.
    public func callNext(window: String, categories: [String], day: CivilDate, at date: Date) throws -> Int64? {
        try db.execute(sql: "UPDATE queueTicket SET state = 'served', finishedAt = ? WHERE window = ? AND state = 'called'",
                       arguments: [date, window])
        guard !categories.isEmpty else { return nil }
        guard let next = try Int64.fetchOne(db, sql: """
            SELECT id FROM queueTicket WHERE day = ? AND state = 'waiting' AND category IN (\(categories.sqlPlaceholders))
            ORDER BY priority DESC, id LIMIT 1
            """, arguments: StatementArguments([day.dayNumber]) + StatementArguments(categories)) else { return nil }
        try db.execute(sql: "UPDATE queueTicket SET state = 'called', window = ?, calledAt = ? WHERE id = ?",
                       arguments: [window, date, next])
        return next
    }

    public func upsertAppointment(id: String, applicantKey: String, category: String, day: CivilDate, slot: String?) throws {
        try db.execute(sql: """
            INSERT INTO appointment (id, applicantKey, category, day, slot) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET category = excluded.category, day = excluded.day, slot = excluded.slot
            """, arguments: [id, applicantKey, category, day.dayNumber, slot])
    }

    public func appointment(applicantKey: String, day: CivilDate) throws -> AppointmentRow? {
        try Row.fetchOne(db, sql: "SELECT id, category, ticketId FROM appointment WHERE applicantKey = ? AND day = ? ORDER BY slot LIMIT 1",
                         arguments: [applicantKey, day.dayNumber]).map { AppointmentRow(id: $0["id"], category: $0["category"], ticketID: $0["ticketId"]) }
    }

    public func linkAppointment(id: String, ticketID: Int64) throws {
        try db.execute(sql: "UPDATE appointment SET ticketId = ? WHERE id = ?", arguments: [ticketID, id])
    }

    /// Days with tickets after `after` (all when nil) and before `before`, oldest first.
    public func ticketDays(after: CivilDate?, before: CivilDate) throws -> [CivilDate] {
        try Int.fetchAll(db, sql: "SELECT DISTINCT day FROM queueTicket WHERE day > ? AND day < ? ORDER BY day",
                         arguments: [after?.dayNumber ?? Int.min, before.dayNumber]).map(CivilDate.init(dayNumber:))
    }

    public func dayFigures(day: CivilDate) throws -> [QueueCategoryStatistics] {
        func seconds(_ days: Double?) -> Int? { days.map { Int(($0 * 86_400).rounded()) } }
        return try Row.fetchAll(db, sql: """
            SELECT category, COUNT(*) AS issued, SUM(priority) AS priority,
                   SUM(calledAt IS NOT NULL) AS called, SUM(state = 'served') AS served, SUM(state = 'skipped') AS skipped,
                   SUM(state = 'cancelled') AS cancelled, SUM(state = 'waiting') AS unserved,
                   AVG(CASE WHEN calledAt IS NOT NULL THEN julianday(calledAt) - julianday(issuedAt) END) AS averageWait,
                   MAX(CASE WHEN calledAt IS NOT NULL THEN julianday(calledAt) - julianday(issuedAt) END) AS longestWait
            FROM queueTicket WHERE day = ? GROUP BY category
            """, arguments: [day.dayNumber]).map { row in
            QueueCategoryStatistics(category: row["category"], categoryName: nil, issued: row["issued"], priority: row["priority"] ?? 0, called: row["called"] ?? 0,
                            served: row["served"] ?? 0, skipped: row["skipped"] ?? 0, cancelled: row["cancelled"] ?? 0,
                            unserved: row["unserved"] ?? 0, averageWaitSeconds: seconds(row["averageWait"]),
                            longestWaitSeconds: seconds(row["longestWait"]))
        }
    }
}
