import Foundation
import Store
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
    /// The unguessable token of the ticket's queue-position page (hall mode; nil on a single kiosk).
    public var token: String? = nil
    /// When it was called to its window.
    public var calledAt: Date? = nil
    /// Why it is called first: an appointment, or the green channel (绿色通道) and on what ground.
    public var priorityReason: PriorityReason? = nil
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
    /// 绿色通道: a ground the citizen `declared` (the hall must offer it), or the card holder's age
    /// on the hall's day reaching the hall's threshold, makes it a priority ticket with that reason.
    public func issueTicket(category code: String, applicant: Applicant? = nil,
                            declared: DeclaredGround? = nil) async throws(FrontDeskError) -> QueueTicket {
        guard let category = categories.first(where: { $0.code == code }) else { throw .workflow(.unknownCategory(code)) }
        let reason: PriorityReason?
        do { reason = try greenChannel.reason(birthDate: applicant?.birthDate, declared: declared, on: today()) } catch { throw .workflow(error) }
        if let hallLink { return try await hallIssue(hallLink, category: category, applicant: applicant, appointmentID: nil, reason: reason) }
        return try await issue(category: category, applicant: applicant, appointmentID: nil, reason: reason)
    }

    /// Checks in today's appointment of the card holder: a priority ticket in the appointment's
    /// category (called before ordinary ones). nil when the holder has no appointment today; the
    /// same ticket again if already checked in.
    public func checkIn(applicant: Applicant) async throws(FrontDeskError) -> QueueTicket? {
        let today = self.today()
        if let hallLink { return try await hallCheckIn(hallLink, applicant: applicant, day: today) }
        let found: (String, String, Int64?)? = try await read { [self] tx in
            try tx.queue.appointment(applicantKey: try applicantKey(tx, idNumber: applicant.idNumber), day: today)
                .map { ($0.id, $0.category, $0.ticketID) }
        }
        guard let (appointmentID, code, ticketID) = found else { return nil }
        if let ticketID { return try await ticket(id: ticketID) }
        guard let category = categories.first(where: { $0.code == code }) else { throw .workflow(.unknownCategory(code)) }
        return try await issue(category: category, applicant: applicant, appointmentID: appointmentID, reason: .appointment)
    }

    /// Records appointments received from the platform (the ID number is kept only as the applicant key).
    public func importAppointments(_ appointments: [Appointment]) async throws(FrontDeskError) {
        if let hallLink { return try await hallImport(hallLink, appointments) }
        try await write { [self] tx in
            for a in appointments {
                guard categories.contains(where: { $0.code == a.category }) else { throw WorkflowError.unknownCategory(a.category) }
                try tx.queue.upsertAppointment(id: a.id, applicantKey: try applicantKey(tx, idNumber: a.idNumber), category: a.category,
                                               day: a.day, slot: a.slot)
            }
        }
    }

    /// The queue's day: the hall day of `now`, or a later day tickets were already numbered on —
    /// after the clock was stepped back across midnight the queue stays on the later day (as the
    /// filing numbering does), so no number is issued twice and no waiting ticket drops out of view.
    static func queueDay(_ clockDay: CivilDate, _ queue: some QueueRepository) throws -> CivilDate {
        max(clockDay, try queue.latestSequenceDay() ?? clockDay)
    }

    private func issue(category: QueueCategory, applicant: Applicant?, appointmentID: String?,
                       reason: PriorityReason?) async throws(FrontDeskError) -> QueueTicket {
        let now = clock.now()
        let clockDay = hall.moment(now).day
        let id: Int64 = try await write { [self] tx in
            let queue = tx.queue
            let today = try Self.queueDay(clockDay, queue)
            let key = try applicant.map { try applicantKey(tx, idNumber: $0.idNumber) }
            if let key, let held = try queue.waitingTicketNumber(category: category.code, applicantKey: key, day: today) {
                throw WorkflowError.alreadyWaiting(ticket: held)
            }
            // A waiting ticket of an earlier day is stale: the queue restarted.
            if let key { try queue.cancelStaleWaiting(category: category.code, applicantKey: key, before: today) }
            let last = try queue.lastSequence(category: category.code, day: today)
            guard let sequence = QueueRules.nextSequence(after: last, dailyLimit: category.dailyLimit) else {
                throw WorkflowError.dailyLimitReached(category: category.code, limit: min(category.dailyLimit ?? 999, 999))
            }
            try queue.setLastSequence(category: category.code, day: today, sequence)
            let number = TicketNumber(prefix: category.prefix, sequence: sequence)
            let id = try queue.insertTicket(category: category.code, day: today, sequence: sequence, number: number.description,
                                            applicantKey: key, appointmentID: appointmentID, priorityReason: reason, at: now)
            if let appointmentID { try queue.linkAppointment(id: appointmentID, ticketID: id) }
            return id
        }
        return try await ticket(id: id)
    }

    /// One ticket with its current place in the queue.
    public func ticket(id: Int64) async throws(FrontDeskError) -> QueueTicket {
        if let hallLink {
            guard let row = try await hallCall(hallLink, { () async throws(HallStoreError) in try await hallLink.store.ticket(id: id) }) else {
                throw .workflow(.notFound("ticket \(id)"))
            }
            return makeTicket(row)
        }
        return try await read { [self] tx in
            guard let row = try tx.queue.ticket(id: id) else { throw WorkflowError.notFound("ticket \(id)") }
            return makeTicket(row)
        }
    }

    /// Today's ticket with this number (e.g. `A007`).
    public func ticket(number: String) async throws(FrontDeskError) -> QueueTicket {
        let today = self.today()
        if let hallLink {
            guard let row = try await hallCall(hallLink, { () async throws(HallStoreError) in
                try await hallLink.store.ticket(number: number.uppercased(), day: today)
            }) else { throw .workflow(.notFound("ticket \(number) today")) }
            return makeTicket(row)
        }
        let id = try await read { tx in try tx.queue.ticketID(number: number.uppercased(), day: try Self.queueDay(today, tx.queue)) }
        guard let id else { throw .workflow(.notFound("ticket \(number) today")) }
        return try await ticket(id: id)
    }

    /// People waiting today in a category (人数).
    public func waitingCount(category: String) async throws(FrontDeskError) -> Int {
        let today = self.today()
        if let hallLink {
            return try await hallCall(hallLink, { () async throws(HallStoreError) in try await hallLink.store.waitingCounts(day: today) })[category] ?? 0
        }
        return try await read { tx in try tx.queue.waitingCount(category: category, day: try Self.queueDay(today, tx.queue)) }
    }

    /// Assigns the categories a window serves (潮汐窗口: staff move a window to where the queue is).
    public func assignWindow(_ window: String, categories codes: [String]) async throws(FrontDeskError) {
        for code in codes where !categories.contains(where: { $0.code == code }) { throw .workflow(.unknownCategory(code)) }
        let now = clock.now()
        if let hallLink {
            return try await hallCall(hallLink) { () async throws(HallStoreError) in try await hallLink.store.assignWindow(window, categories: codes, at: now) }
        }
        try await write { tx in try tx.queue.assignWindow(window, categories: codes, at: now) }
    }

    /// The categories each window serves.
    public func windows() async throws(FrontDeskError) -> [String: [String]] {
        if let hallLink {
            let rows = try await hallCall(hallLink) { () async throws(HallStoreError) in try await hallLink.store.windows() }
            return Dictionary(rows.map { ($0.id, $0.categories) }, uniquingKeysWith: { first, _ in first })
        }
        return try await read { tx in try tx.queue.windows() }
    }

    /// Calls the next ticket for a window (priority tickets — appointments, 绿色通道 — first, then issue order, across the
    /// window's categories). The ticket the window called before is marked served. nil when nobody waits.
    public func callNext(window: String) async throws(FrontDeskError) -> QueueTicket? {
        let now = clock.now()
        let today = hall.moment(now).day
        if hallLink != nil { return try await callNext(window: window, staff: nil) }
        let id: Int64? = try await write { tx in
            guard let codes = try tx.queue.windowCategories(window) else {
                throw WorkflowError.notFound("window \(window) (assign it categories first)")
            }
            return try tx.queue.callNext(window: window, categories: codes, day: try Self.queueDay(today, tx.queue), at: now)
        }
        guard let id else { return nil }
        return try await ticket(id: id)
    }

    /// Marks a called ticket as not shown up (过号) or served, or cancels a waiting one.
    public func finishTicket(id: Int64, as state: TicketState) async throws(FrontDeskError) -> QueueTicket {
        let now = clock.now()
        if let hallLink {
            let from: [TicketState] = switch state {
            case .skipped: [.called, .waiting]
            case .served: [.called]
            case .cancelled: [.waiting]
            default: []
            }
            return makeTicket(try await hallCall(hallLink) { () async throws(HallStoreError) in
                try await hallLink.store.setTicketState(id: id, to: state, allowedFrom: from, at: now)
            })
        }
        try await write { tx in
            guard let current = try tx.queue.ticketState(id: id) else { throw WorkflowError.notFound("ticket \(id)") }
            let allowed: Bool = switch (current, state) {
            case (.called, .skipped), (.called, .served), (.waiting, .cancelled), (.waiting, .skipped): true
            default: false
            }
            guard allowed else { throw WorkflowError.ticketStep(from: current, to: state) }
            try tx.queue.setTicketState(id: id, state, at: now)
        }
        return try await ticket(id: id)
    }

    private func makeTicket(_ row: TicketRow) -> QueueTicket {
        let category = categories.first { $0.code == row.category }
        return QueueTicket(id: row.id, number: TicketNumber(prefix: category?.prefix ?? "", sequence: row.sequence), category: row.category,
                           categoryName: category?.name ?? row.category, day: row.day, priority: row.priority,
                           state: row.state, window: row.window, issuedAt: row.issuedAt, waitingAhead: row.waitingAhead,
                           priorityReason: row.priorityReason)
    }
}
