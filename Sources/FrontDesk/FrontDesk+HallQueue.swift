import Crypto
import Foundation
import Store
import Workflow

/// A window of the hall as staff and the display see it.
public struct ServiceWindow: Sendable, Hashable, Codable {
    public var id: String
    public var categories: [String]
    public var paused: Bool
    public var pauseReason: String?
    /// The staff member signed in there.
    public var staff: String?
}

/// The hall's shared queue (hall mode): the same front-desk rules, on the hall store.
extension FrontDesk {
    /// Whether the queue is the hall's shared one.
    public var isHallMode: Bool { hallLink != nil }

    /// Runs a hall store call and maps its refusals to the front desk's.
    func hallCall<T: Sendable>(_ link: HallLink, _ body: () async throws(HallStoreError) -> T) async throws(FrontDeskError) -> T {
        do {
            return try await link.call(at: clock.now(), body)
        } catch {
            throw Self.frontDeskError(error)
        }
    }

    static func frontDeskError(_ error: HallStoreError, category: QueueCategory? = nil, window: String = "") -> FrontDeskError {
        switch error {
        case let .unavailable(why): .hallUnavailable(why)
        case let .newerSchema(why): .storage(why)
        case let .alreadyWaiting(number): .workflow(.alreadyWaiting(ticket: number))
        case .dailyLimitReached:
            .workflow(.dailyLimitReached(category: category?.code ?? "", limit: min(category?.dailyLimit ?? QueueRules.maximumDailySequence,
                                                                                  QueueRules.maximumDailySequence)))
        case let .notFound(what): .workflow(.notFound(what))
        case let .windowPaused(reason): .workflow(.windowPaused(window: window, reason: reason))
        case let .windowHeldBy(staff): .workflow(.windowHeldBy(window: window, staff: staff))
        case .windowNotOpen: .workflow(.windowNotOpen(window: window))
        case .nothingCalled: .workflow(.nothingCalled(window: window))
        case let .step(from, to): .workflow(.ticketStep(from: from, to: to))
        case let .graceExpired(number): .workflow(.skipGraceExpired(ticket: number))
        }
    }

    /// A window step: maps refusals naming the window.
    func windowCall<T: Sendable>(_ window: String, _ body: (HallLink) async throws(HallStoreError) -> T) async throws(FrontDeskError) -> T {
        guard let link = hallLink else {
            throw .workflow(.notFound("window calling on a single kiosk (it needs hall mode: hall: {store: postgres, url: …} in kiosk.yaml)"))
        }
        do {
            return try await link.call(at: clock.now()) { () async throws(HallStoreError) in try await body(link) }
        } catch {
            throw Self.frontDeskError(error, window: window)
        }
    }

    /// The applicant key in the hall: HMAC-SHA256 of the ID number with the hall's secret.
    func hallApplicantKey(_ link: HallLink, idNumber: String) async throws(FrontDeskError) -> String {
        let key = try await hallCall(link) { () async throws(HallStoreError) in try await link.applicantSecret() }
        return HMAC<SHA256>.authenticationCode(for: Data(idNumber.uppercased().utf8), using: key).map { String(format: "%02x", $0) }.joined()
    }

    /// Issues from the hall's shared numbering. The request's id is chosen once: when the answer
    /// is lost (the database went away mid-request) the request is kept in doubt and reconciled.
    func hallIssue(_ link: HallLink, category: QueueCategory, applicant: Applicant?, appointmentID: String?, reason: PriorityReason?,
                   applicantKey known: String? = nil) async throws(FrontDeskError) -> QueueTicket {
        let now = clock.now()
        // A ticket left by an earlier lost answer is settled first, so nobody is told they hold a
        // number that never reached them.
        // (Not while the database is known to be away: the link's check settles them when it returns.)
        if link.hasInDoubt && !link.isUnreachable { await link.reconcile(now: now) }
        let key: String?
        if let known { key = known } else if let applicant { key = try await hallApplicantKey(link, idNumber: applicant.idNumber) } else { key = nil }
        let request = HallIssueRequest(
            requestID: UUID(), day: hall.moment(now).day, category: category.code, prefix: category.prefix,
            dailyLimit: min(category.dailyLimit ?? QueueRules.maximumDailySequence, QueueRules.maximumDailySequence),
            applicantKey: key, appointmentID: appointmentID, priorityReason: reason, kioskID: link.kioskID,
            token: Self.newToken(), at: now)
        do {
            let row = try await link.call(at: now) { () async throws(HallStoreError) in try await link.store.issue(request) }
            let issued = makeTicket(row)
            // Auto-assign (a hall option) may offer it to an idle window at once.
            return await autoAssignIfOn().first { $0.id == issued.id } ?? issued
        } catch {
            if case .unavailable = error { link.markInDoubt(request.requestID, at: now) }
            throw Self.frontDeskError(error, category: category)
        }
    }

    /// 128 random bits, URL-safe: the queue-position page's token (nothing personal in it).
    static func newToken() -> String {
        SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    func hallCheckIn(_ link: HallLink, applicant: Applicant, day: CivilDate) async throws(FrontDeskError) -> QueueTicket? {
        let key = try await hallApplicantKey(link, idNumber: applicant.idNumber)
        guard let found = try await hallCall(link, { () async throws(HallStoreError) in try await link.store.appointment(applicantKey: key, day: day) })
        else { return nil }
        if let ticketID = found.ticketID { return try await ticket(id: ticketID) }
        guard let category = categories.first(where: { $0.code == found.category }) else { throw .workflow(.unknownCategory(found.category)) }
        return try await hallIssue(link, category: category, applicant: applicant, appointmentID: found.id, reason: .appointment, applicantKey: key)
    }

    func hallImport(_ link: HallLink, _ appointments: [Appointment]) async throws(FrontDeskError) {
        for a in appointments where !categories.contains(where: { $0.code == a.category }) { throw .workflow(.unknownCategory(a.category)) }
        for a in appointments {
            let key = try await hallApplicantKey(link, idNumber: a.idNumber)
            try await hallCall(link) { () async throws(HallStoreError) in
                try await link.store.upsertAppointment(id: a.id, applicantKey: key, category: a.category, day: a.day, slot: a.slot)
            }
        }
    }

    func makeTicket(_ row: HallTicketRow) -> QueueTicket {
        let issuedIn = categories.first { $0.code == row.issuedCategory }
        let category = categories.first { $0.code == row.category }
        return QueueTicket(id: row.id, number: TicketNumber(prefix: issuedIn?.prefix ?? String(row.number.prefix { !$0.isNumber }), sequence: row.sequence),
                           category: row.category, categoryName: category?.name ?? row.category, day: row.day, priority: row.priority,
                           state: row.state, window: row.window, issuedAt: row.issuedAt, waitingAhead: row.waitingAhead,
                           token: row.token, calledAt: row.calledAt, priorityReason: row.priorityReason)
    }

    // MARK: windows (hall mode)

    /// The hall's windows with who works there and whether they are paused.
    public func serviceWindows() async throws(FrontDeskError) -> [ServiceWindow] {
        try await windowCall("") { link async throws(HallStoreError) in
            try await link.store.windows().map { ServiceWindow(id: $0.id, categories: $0.categories, paused: $0.paused, pauseReason: $0.pauseReason, staff: $0.staff) }
        }
    }

    /// A staff member signs in at a window; the window's steps then need that member's login.
    public func openWindow(_ window: String, staff: String) async throws(FrontDeskError) -> ServiceWindow {
        let now = clock.now()
        let row = try await windowCall(window) { link async throws(HallStoreError) in try await link.store.openWindow(window, staff: staff, at: now) }
        await autoAssignIfOn()
        return ServiceWindow(id: row.id, categories: row.categories, paused: row.paused, pauseReason: row.pauseReason, staff: row.staff)
    }

    public func closeWindow(_ window: String, staff: String?) async throws(FrontDeskError) {
        let now = clock.now()
        try await windowCall(window) { link async throws(HallStoreError) in try await link.store.closeWindow(window, staff: staff, at: now) }
    }

    /// Pauses a window with a reason (暂停服务), or resumes it with nil.
    public func pauseWindow(_ window: String, reason: String?, staff: String?) async throws(FrontDeskError) -> ServiceWindow {
        let now = clock.now()
        let row = try await windowCall(window) { link async throws(HallStoreError) in
            try await link.store.pauseWindow(window, reason: reason, staff: staff, at: now)
        }
        if reason == nil { await autoAssignIfOn() }
        return ServiceWindow(id: row.id, categories: row.categories, paused: row.paused, pauseReason: row.pauseReason, staff: row.staff)
    }

    /// Calls the next ticket for a window (priority check-ins first, then by the time it joined
    /// the queue, only the window's categories); the window's previous ticket is served. `staff`
    /// must be the one signed in at the window (nil: kioskctl, the technician's tool). nil when
    /// nobody waits.
    public func callNext(window: String, staff: String?) async throws(FrontDeskError) -> QueueTicket? {
        let now = clock.now()
        let today = hall.moment(now).day
        guard hallLink != nil else { return try await callNext(window: window) }
        return try await windowCall(window) { link async throws(HallStoreError) in
            try await link.store.callNext(window: window, day: today, staff: staff, at: now)
        }.map(makeTicket)
    }

    /// Calls the window's current ticket again (重呼).
    public func recall(window: String, staff: String?) async throws(FrontDeskError) -> QueueTicket {
        let now = clock.now()
        return makeTicket(try await windowCall(window) { link async throws(HallStoreError) in try await link.store.recall(window: window, staff: staff, at: now) })
    }

    /// Ends the window's current ticket as served (办结) or skipped (过号).
    public func finishCalled(window: String, as state: TicketState, staff: String?) async throws(FrontDeskError) -> QueueTicket {
        let now = clock.now()
        let finished = makeTicket(try await windowCall(window) { link async throws(HallStoreError) in
            try await link.store.finishCalled(window: window, as: state, staff: staff, at: now)
        })
        await autoAssignIfOn()
        return finished
    }

    /// Sends the window's current ticket to another category (转办), keeping its number and its place by issue time.
    public func transferCalled(window: String, to code: String, staff: String?) async throws(FrontDeskError) -> QueueTicket {
        guard categories.contains(where: { $0.code == code }) else { throw .workflow(.unknownCategory(code)) }
        let now = clock.now()
        let transferred = makeTicket(try await windowCall(window) { link async throws(HallStoreError) in
            try await link.store.transferCalled(window: window, to: code, staff: staff, at: now)
        })
        await autoAssignIfOn()
        return transferred
    }

    /// Puts a skipped ticket (过号) back in the queue, behind those waiting now, when its holder
    /// comes back within the hall's grace (`hall.skipGraceMinutes`).
    public func requeue(number: String) async throws(FrontDeskError) -> QueueTicket {
        let found = try await ticket(number: number)
        let now = clock.now()
        return makeTicket(try await windowCall("") { link async throws(HallStoreError) in
            try await link.store.requeue(id: found.id, skippedSince: now.addingTimeInterval(-link.skipGrace), at: now)
        })
    }

    /// The URL of a ticket's queue-position page (`<publicBaseURL>/q/<token>`), printed as its QR.
    public func queuePositionURL(token: String) -> String { rules.publicBaseURL + "/q/" + token }

    /// A ticket by its queue-position token (the QR's page): nil for an unknown token.
    public func ticket(token: String) async throws(FrontDeskError) -> QueueTicket? {
        try await windowCall("") { link async throws(HallStoreError) in try await link.store.ticket(token: token) }.map(makeTicket)
    }

    /// The hall's figures for a day per category (every kiosk's tickets), in the configured order.
    public func hallDayFigures(day: CivilDate) async throws(FrontDeskError) -> [QueueCategoryStatistics] {
        let order = Dictionary(categories.enumerated().map { ($0.element.code, $0.offset) }, uniquingKeysWith: { first, _ in first })
        return try await windowCall("") { link async throws(HallStoreError) in try await link.store.dayFigures(day: day) }.map { figures in
            var named = figures
            named.categoryName = categories.first { $0.code == figures.category }?.name
            return named
        }.sorted { (order[$0.category] ?? .max, $0.category) < (order[$1.category] ?? .max, $1.category) }
    }

    /// A call of a ticket to a window, as the hall display announces it.
    public struct HallCall: Sendable, Hashable {
        public var id: Int64
        public var ticket: String
        public var category: String
        public var categoryName: String
        public var window: String
        public var recall: Bool
        public var at: Date
    }

    /// At most this many calls come back from one `hallCalls(after:)`.
    public static let hallCallBatch = 100

    /// The hall's calls with these ids that are visible now (a feed's gaps), oldest first.
    public func hallCalls(ids: [Int64]) async throws(FrontDeskError) -> [HallCall] {
        guard !ids.isEmpty else { return [] }
        return try await windowCall("") { link async throws(HallStoreError) in try await link.store.calls(ids: ids) }.map(hallCall)
    }

    func hallCall(_ row: HallCallRow) -> HallCall {
        HallCall(id: row.id, ticket: row.number, category: row.category,
                 categoryName: categories.first { $0.code == row.category }?.name ?? row.category, window: row.window,
                 recall: row.recall, at: row.at)
    }

    /// The hall's calls after `id` (every window, every kiosk), oldest first, at most `hallCallBatch`.
    public func hallCalls(after id: Int64) async throws(FrontDeskError) -> [HallCall] {
        try await windowCall("") { link async throws(HallStoreError) in try await link.store.calls(after: id, limit: Self.hallCallBatch) }.map { row in
            HallCall(id: row.id, ticket: row.number, category: row.category,
                     categoryName: categories.first { $0.code == row.category }?.name ?? row.category, window: row.window,
                     recall: row.recall, at: row.at)
        }
    }

    /// The newest call's id.
    public func lastHallCallID() async throws(FrontDeskError) -> Int64 {
        try await windowCall("") { link async throws(HallStoreError) in try await link.store.lastCallID() }
    }

    /// The hall ticket's state, for the rating rules (nil on a single kiosk or for a filing).
    func hallTicketState(_ subject: EvaluationSubject) async throws(FrontDeskError) -> TicketState? {
        guard let hallLink, case let .ticket(id) = subject else { return nil }
        guard let row = try await hallCall(hallLink, { () async throws(HallStoreError) in try await hallLink.store.ticket(id: id) }) else {
            throw .workflow(.notFound("ticket \(id)"))
        }
        return row.state
    }
}

/// Where a hall-display feed is in the hall's calls, so none is announced twice or lost. Call ids
/// come from a sequence when a call is inserted but become visible when its transaction commits:
/// two windows calling at once can make call 101 visible before call 100. An id skipped over is a
/// gap, looked up again on every read until it appears (announced then) or `grace` passes (the
/// transaction rolled back: sequences leave holes).
public struct HallCallCursor: Sendable {
    /// The newest id seen; the next read asks for calls after it.
    public private(set) var newest: Int64
    /// Ids below `newest` not seen yet, with when they were first missed.
    public private(set) var gaps: [Int64: Date] = [:]
    public let grace: TimeInterval

    public init(newest: Int64, grace: TimeInterval = 30) {
        self.newest = newest
        self.grace = grace
    }

    /// The gap ids to look up again (at most 500, oldest first).
    public var gapIDs: [Int64] { Array(gaps.keys.sorted().prefix(500)) }

    /// Takes what a read returned (calls after `newest` and any gaps found); returns the calls to
    /// announce, oldest first, each once.
    public mutating func accept(_ calls: [FrontDesk.HallCall], now: Date) -> [FrontDesk.HallCall] {
        var fresh: [FrontDesk.HallCall] = []
        for call in calls.sorted(by: { $0.id < $1.id }) {
            if call.id > newest {
                // (A jump of thousands is not a commit race but a reset sequence: nothing to wait for.)
                if call.id > newest + 1 && call.id - newest <= 1_000 {
                    for missing in (newest + 1)..<call.id { gaps[missing] = now }
                }
                newest = call.id
                fresh.append(call)
            } else if gaps.removeValue(forKey: call.id) != nil {
                fresh.append(call)
            }
        }
        gaps = gaps.filter { now.timeIntervalSince($0.value) <= grace }
        return fresh
    }
}
