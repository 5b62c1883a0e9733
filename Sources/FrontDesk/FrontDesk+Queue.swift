import Foundation
import GRDB
import Workflow

/// A queue ticket as issued and tracked.
public struct QueueTicket: Sendable, Hashable {
    public var id: Int64
    public var number: TicketNumber
    public var category: String
    public var categoryName: String
    public var day: CivilDate
    public var priority: Bool
    public var state: TicketState
    public var window: String?
    public var issuedAt: Date
    /// Tickets of the category that will be called before this one (while waiting).
    public var waitingAhead: Int
}

/// An appointment (预约) made on the platform, checked in at the kiosk by ID card.
public struct Appointment: Sendable, Hashable {
    public var id: String
    public var idNumber: String
    public var category: String
    public var day: CivilDate
    public var slot: String?

    public init(id: String, idNumber: String, category: String, day: CivilDate, slot: String? = nil) {
        self.id = id; self.idNumber = idNumber; self.category = category; self.day = day; self.slot = slot
    }
}

extension FrontDesk {
    /// Issues a ticket in a category (排队取号). With an applicant, one waiting ticket per person per
    /// category: a second request is refused with the ticket already held. Numbers restart each hall
    /// day and are never issued twice (the day's last sequence is stored per category).
    public func issueTicket(category code: String, applicant: Applicant? = nil) throws(FrontDeskError) -> QueueTicket {
        guard let category = categories.first(where: { $0.code == code }) else { throw .workflow(.unknownCategory(code)) }
        return try issue(category: category, applicant: applicant, appointmentID: nil)
    }

    /// Checks in today's appointment of the card holder: a priority ticket in the appointment's
    /// category (called before ordinary ones). nil when the holder has no appointment today; the
    /// same ticket again if already checked in.
    public func checkIn(applicant: Applicant) throws(FrontDeskError) -> QueueTicket? {
        let today = self.today()
        let found: (String, String, Int64?)? = try read { db in
            let key = try applicantKey(db, idNumber: applicant.idNumber)
            return try Row.fetchOne(db, sql: "SELECT id, category, ticketId FROM appointment WHERE applicantKey = ? AND day = ? ORDER BY slot LIMIT 1",
                                    arguments: [key, today.dayNumber]).map { ($0["id"], $0["category"], $0["ticketId"]) }
        }
        guard let (appointmentID, code, ticketID) = found else { return nil }
        if let ticketID { return try ticket(id: ticketID) }
        guard let category = categories.first(where: { $0.code == code }) else { throw .workflow(.unknownCategory(code)) }
        return try issue(category: category, applicant: applicant, appointmentID: appointmentID)
    }

    /// Records appointments received from the platform (the ID number is kept only as the applicant key).
    public func importAppointments(_ appointments: [Appointment]) throws(FrontDeskError) {
        try write { db in
            for a in appointments {
                guard categories.contains(where: { $0.code == a.category }) else { throw WorkflowError.unknownCategory(a.category) }
                try db.execute(sql: """
                    INSERT INTO appointment (id, applicantKey, category, day, slot) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET category = excluded.category, day = excluded.day, slot = excluded.slot
                    """, arguments: [a.id, try applicantKey(db, idNumber: a.idNumber), a.category, a.day.dayNumber, a.slot])
            }
        }
    }

    private func issue(category: QueueCategory, applicant: Applicant?, appointmentID: String?) throws(FrontDeskError) -> QueueTicket {
        let now = clock.now()
        let today = hall.moment(now).day
        let id: Int64 = try write { db in
            let key = try applicant.map { try applicantKey(db, idNumber: $0.idNumber) }
            if let key, let held = try String.fetchOne(db, sql: """
                SELECT number FROM queueTicket WHERE category = ? AND applicantKey = ? AND state = 'waiting' AND day = ?
                """, arguments: [category.code, key, today.dayNumber]) {
                throw WorkflowError.alreadyWaiting(ticket: held)
            }
            // A waiting ticket of an earlier day is stale: the queue restarted.
            if let key {
                try db.execute(sql: "UPDATE queueTicket SET state = 'cancelled' WHERE category = ? AND applicantKey = ? AND state = 'waiting' AND day < ?",
                               arguments: [category.code, key, today.dayNumber])
            }
            let last = try Int.fetchOne(db, sql: "SELECT last FROM queueSequence WHERE category = ? AND day = ?",
                                        arguments: [category.code, today.dayNumber]) ?? 0
            guard let sequence = QueueRules.nextSequence(after: last, dailyLimit: category.dailyLimit) else {
                throw WorkflowError.dailyLimitReached(category: category.code, limit: min(category.dailyLimit ?? 999, 999))
            }
            try db.execute(sql: """
                INSERT INTO queueSequence (category, day, last) VALUES (?, ?, ?)
                ON CONFLICT (category, day) DO UPDATE SET last = excluded.last
                """, arguments: [category.code, today.dayNumber, sequence])
            let number = TicketNumber(prefix: category.prefix, sequence: sequence)
            try db.execute(sql: """
                INSERT INTO queueTicket (category, day, sequence, number, applicantKey, appointmentId, priority, state, issuedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', ?)
                """, arguments: [category.code, today.dayNumber, sequence, number.description, key, appointmentID,
                                 appointmentID != nil, now])
            let id = db.lastInsertedRowID
            if let appointmentID {
                try db.execute(sql: "UPDATE appointment SET ticketId = ? WHERE id = ?", arguments: [id, appointmentID])
            }
            return id
        }
        return try ticket(id: id)
    }

    /// One ticket with its current place in the queue.
    public func ticket(id: Int64) throws(FrontDeskError) -> QueueTicket {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM queueTicket WHERE id = ?", arguments: [id]) else {
                throw WorkflowError.notFound("ticket \(id)")
            }
            return try makeTicket(db, row: row)
        }
    }

    /// Today's ticket with this number (e.g. `A007`).
    public func ticket(number: String) throws(FrontDeskError) -> QueueTicket {
        let today = self.today()
        let id = try read { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM queueTicket WHERE number = ? AND day = ? ORDER BY id DESC LIMIT 1",
                               arguments: [number.uppercased(), today.dayNumber])
        }
        guard let id else { throw .workflow(.notFound("ticket \(number) today")) }
        return try ticket(id: id)
    }

    /// People waiting today in a category (人数).
    public func waitingCount(category: String) throws(FrontDeskError) -> Int {
        let today = self.today()
        return try read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM queueTicket WHERE category = ? AND day = ? AND state = 'waiting'",
                             arguments: [category, today.dayNumber]) ?? 0
        }
    }

    /// Assigns the categories a window serves (潮汐窗口: staff move a window to where the queue is).
    public func assignWindow(_ window: String, categories codes: [String]) throws(FrontDeskError) {
        for code in codes where !categories.contains(where: { $0.code == code }) { throw .workflow(.unknownCategory(code)) }
        let now = clock.now()
        let json = String(decoding: try! JSONEncoder().encode(codes), as: UTF8.self)
        try write { db in
            try db.execute(sql: """
                INSERT INTO serviceWindow (id, categories, updatedAt) VALUES (?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET categories = excluded.categories, updatedAt = excluded.updatedAt
                """, arguments: [window, json, now])
        }
    }

    /// The categories each window serves.
    public func windows() throws(FrontDeskError) -> [String: [String]] {
        try read { db in
            var out: [String: [String]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, categories FROM serviceWindow") {
                out[row["id"]] = (try? JSONDecoder().decode([String].self, from: Data((row["categories"] as String).utf8))) ?? []
            }
            return out
        }
    }

    /// Calls the next ticket for a window (priority check-ins first, then issue order, across the
    /// window's categories). The ticket the window called before is marked served. nil when nobody waits.
    public func callNext(window: String) throws(FrontDeskError) -> QueueTicket? {
        let now = clock.now()
        let today = hall.moment(now).day
        let id: Int64? = try write { db in
            guard let json = try String.fetchOne(db, sql: "SELECT categories FROM serviceWindow WHERE id = ?", arguments: [window]) else {
                throw WorkflowError.notFound("window \(window) (assign it categories first)")
            }
            let codes = try JSONDecoder().decode([String].self, from: Data(json.utf8))
            try db.execute(sql: "UPDATE queueTicket SET state = 'served', finishedAt = ? WHERE window = ? AND state = 'called'",
                           arguments: [now, window])
            guard !codes.isEmpty else { return nil }
            let placeholders = codes.map { _ in "?" }.joined(separator: ",")
            guard let next = try Int64.fetchOne(db, sql: """
                SELECT id FROM queueTicket WHERE day = ? AND state = 'waiting' AND category IN (\(placeholders))
                ORDER BY priority DESC, issuedAt, id LIMIT 1
                """, arguments: StatementArguments([today.dayNumber] + codes)) else { return nil }
            try db.execute(sql: "UPDATE queueTicket SET state = 'called', window = ?, calledAt = ? WHERE id = ?",
                           arguments: [window, now, next])
            return next
        }
        return try id.map { id throws(FrontDeskError) in try ticket(id: id) }
    }

    /// Marks a called ticket as not shown up (过号) or served, or cancels a waiting one.
    public func finishTicket(id: Int64, as state: TicketState) throws(FrontDeskError) -> QueueTicket {
        let now = clock.now()
        try write { db in
            guard let current = try String.fetchOne(db, sql: "SELECT state FROM queueTicket WHERE id = ?", arguments: [id])
                .flatMap(TicketState.init(rawValue:)) else { throw WorkflowError.notFound("ticket \(id)") }
            let allowed: Bool = switch (current, state) {
            case (.called, .skipped), (.called, .served), (.waiting, .cancelled), (.waiting, .skipped): true
            default: false
            }
            guard allowed else { throw WorkflowError.ticketStep(from: current, to: state) }
            try db.execute(sql: "UPDATE queueTicket SET state = ?, finishedAt = ? WHERE id = ?", arguments: [state.rawValue, now, id])
        }
        return try ticket(id: id)
    }

    private func makeTicket(_ db: Database, row: Row) throws -> QueueTicket {
        let code: String = row["category"]
        let category = categories.first { $0.code == code }
        let state = TicketState(rawValue: row["state"]) ?? .waiting
        let priority: Bool = row["priority"]
        let id: Int64 = row["id"]
        var ahead = 0
        if state == .waiting {
            ahead = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM queueTicket WHERE category = ? AND day = ? AND state = 'waiting' AND id != ?
                  AND (priority > ? OR (priority = ? AND (issuedAt < ? OR (issuedAt = ? AND id < ?))))
                """, arguments: [code, row["day"] as Int, id, priority, priority, row["issuedAt"] as Date,
                                 row["issuedAt"] as Date, id]) ?? 0
        }
        return QueueTicket(id: id, number: TicketNumber(prefix: category?.prefix ?? "", sequence: row["sequence"]), category: code,
                           categoryName: category?.name ?? code, day: CivilDate(dayNumber: row["day"]), priority: priority,
                           state: state, window: row["window"], issuedAt: row["issuedAt"], waitingAhead: ahead)
    }
}
