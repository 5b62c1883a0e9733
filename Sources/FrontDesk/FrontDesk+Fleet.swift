import Foundation
import Store
import Workflow

/// The hall's fleet (hall mode): heartbeats in, the hall's view of every kiosk and its slips out,
/// and the hall day's statistics sent upstream by exactly one kiosk.
extension FrontDesk {
    /// When this kiosk made its newest filing (nil before the first).
    public func lastFiledAt() async throws(FrontDeskError) -> Date? {
        try await read { tx in try tx.filings.lastFiledAt() }
    }

    /// Writes this kiosk's heartbeat into the hall store; its slips are counted in the hall hour of
    /// its `sentAt`. Goes straight to the store: a failed heartbeat changes nothing on the kiosk
    /// (tickets, health) — the link's own check reports an outage — and the next one retries.
    public func sendHeartbeat(_ heartbeat: HallHeartbeat) async throws(FrontDeskError) {
        guard let link = hallLink else { throw .workflow(.notFound("the fleet view on a single kiosk (it needs hall mode)")) }
        let moment = hall.moment(heartbeat.sentAt)
        do {
            try await link.store.recordHeartbeat(heartbeat, day: moment.day, hour: moment.minuteOfDay / 60)
        } catch {
            throw Self.frontDeskError(error)
        }
    }

    /// Every kiosk's latest heartbeat and the slip history of the last `RestockForecast.historyDays`
    /// complete hall days (today's hour of day, for the forecast, comes from `today()`).
    public func fleetReports() async throws(FrontDeskError) -> (heartbeats: [HallHeartbeat], slips: HallSlipHistory) {
        let today = today()
        return try await windowCall("") { link async throws(HallStoreError) in
            let heartbeats = try await link.store.heartbeats()
            let slips = try await link.store.slipHistory(from: CivilDate(dayNumber: today.dayNumber - RestockForecast.historyDays - 1), before: today)
            return (heartbeats, slips)
        }
    }

    /// The hall's time zone (the forecast steps through hall hours).
    public var hallTimeZone: TimeZone { hall.timeZone }

    /// Closes past hall days (hall mode): the hall's figures for each day (every kiosk's tickets)
    /// go upstream from exactly one kiosk — the first whose sweep claims the day in the hall
    /// store (`hall_day_close`). The claim is permanent, so no other kiosk ever sends that day;
    /// the claimant writes the outbox row in its own store, and if it stopped between the claim
    /// and that write, its next sweep finds its claim and writes it (the write is once-only).
    func closeHallQueueDays(_ link: HallLink) async throws(FrontDeskError) -> [CivilDate] {
        let now = clock.now()
        let today = hall.moment(now).day
        let ownNewest = try await read { tx in
            try tx.outbox.newestSubject(kind: .queueStatistics, prefix: "queue:").flatMap { CivilDate(iso: $0) }
        }
        var closed: [CivilDate] = []
        let days = try await hallCall(link) { () async throws(HallStoreError) in
            try await link.store.closableDays(kioskID: link.kioskID, claimedAfter: ownNewest, before: today)
        }
        for day in days {
            let holder = try await hallCall(link) { () async throws(HallStoreError) in
                try await link.store.claimDayClose(day, kioskID: link.kioskID, at: now)
            }
            guard holder == link.kioskID else { continue }
            let figures = try await hallDayFigures(day: day)
            let subject = Self.queueStatisticsSubject(day: day)
            let didClose = try await write { [self] tx -> Bool in
                try closePeriodOnce(tx, subject: subject, kind: .queueStatistics, event: "closeQueueDay", at: now) {
                    let statistics = QueueDayStatistics(kioskID: rules.kioskID, regionCode: rules.regionCode, day: day.description,
                                                        categories: figures, closedAt: now)
                    let issued = figures.reduce(0) { $0 + $1.issued }
                    return (.queueStatistics(statistics), "hall day: \(issued) tickets in \(figures.count) categories, sent by this kiosk")
                }
            }
            if didClose { closed.append(day) }
        }
        return closed
    }

    /// Offers waiting tickets to the longest-idle open windows when the hall turned auto-assign
    /// on (`hall.autoAssign`); nothing otherwise. A failure is the caller's step's business only
    /// (its own step succeeded): it is logged and the next step or the feed tries again.
    @discardableResult
    public func autoAssignIfOn() async -> [QueueTicket] {
        guard let link = hallLink, link.autoAssign else { return [] }
        let now = clock.now()
        let today = hall.moment(now).day
        do {
            return try await link.call(at: now) { () async throws(HallStoreError) in try await link.store.autoAssign(day: today, at: now) }
                .map(makeTicket)
        } catch {
            logger.warning("auto-assign failed; the next step retries it", metadata: ["error": "\(error)"])
            return []
        }
    }
}
