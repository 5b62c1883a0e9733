import Foundation
@testable import FrontDesk
import KioskServices
import KioskTestSupport
import Store
import Testing
import Workflow

/// The hall's fleet view, predictive restock, auto-assign and the hall day's close, against a real
/// PostgreSQL server: a kiosk whose heartbeat stopped is marked silent, one never heard of is
/// "never sent", a roll's runs-out time comes from the slips counted between heartbeats; idle
/// windows are offered tickets longest-idle first (a paused one skipped); exactly one kiosk
/// sends a hall day's statistics.
@Suite(.serialized) struct HallFleetTests {
    /// A heartbeat of kiosk `desk` with one receipt printer: `total` slips in its life, this roll
    /// `rollSlips` slips of 100 mm on a roll of `rollLength` mm (nil roll start: never restocked).
    static func beat(_ desk: FrontDesk, clock: ManualClock, total: Int, rollSlips: Int = 0, rollLength: Int = 50_000,
                     rollStarted: Bool = true) async throws {
        let printer = HallHeartbeat.Printer(id: "receipt", rollStartedAt: rollStarted ? clock.now() - 86_400 : nil, rollSlips: rollSlips,
                                            rollPaperMillimetres: Double(rollSlips * 100), rollLengthMillimetres: rollLength,
                                            lowWarningMillimetres: 2_000, totalSlips: total, totalPaperMillimetres: Double(total * 100))
        let device = HallHeartbeat.Device(id: "receipt", status: "online", paper: "full", detail: nil, healthy: true)
        try await desk.sendHeartbeat(HallHeartbeat(kioskID: desk.hallLink!.kioskID, sentAt: clock.now(), version: "test", devices: [device],
                                                   printers: [printer], outboxDepth: 0, outboxOldestAgeSeconds: nil, lastFilingAt: nil,
                                                   health: "ok"))
    }

    @Test func fleetViewMarksAStoppedHeartbeatAndForecastsTheRoll() async throws {
        let hall = try await HallRig.make(kiosks: 2, at: "2026-11-23 10:00", knownKiosks: ["TZ01", "TZ02", "TZ03"], heartbeatSeconds: 10)
        let (one, two) = (hall.desks[0], hall.desks[1])
        // Day 1: both kiosks are first heard of (their counters' baselines: when those slips were printed is unknown).
        try await Self.beat(one, clock: hall.clock, total: 100)
        try await Self.beat(two, clock: hall.clock, total: 50, rollStarted: false)
        // Day 2, a complete day: kiosk 1 prints 12 slips between 09:30 and 09:59.
        hall.setTime("2026-11-24 09:30")
        try await Self.beat(one, clock: hall.clock, total: 100)
        hall.setTime("2026-11-24 09:59")
        try await Self.beat(one, clock: hall.clock, total: 112)
        #expect(try hall.sql("SELECT day || ':' || hour || ':' || slips FROM hall_slip_hour") == "\(CivilDate(iso: "2026-11-24")!.dayNumber):9:12")

        // Day 3, 09:00: both beat; the roll of kiosk 1 has 6 slips of paper left (100 slips of 100 mm on a 10.6 m roll).
        hall.setTime("2026-11-25 09:00")
        try await Self.beat(one, clock: hall.clock, total: 112, rollSlips: 100, rollLength: 10_600)
        try await Self.beat(two, clock: hall.clock, total: 50, rollStarted: false)
        var view = try await HallFleet(desk: one).view(now: hall.clock.now())
        #expect(view.kiosks.map(\.kioskID) == ["TZ03", "TZ01", "TZ02"], "\(view.kiosks.map { ($0.kioskID, $0.level, $0.problems) })")
        #expect(view.kiosks.map(\.state) == ["never", "ok", "ok"])
        #expect(view.kiosks[2].level == "green")

        // Kiosk 2's heartbeat stops; kiosk 1 keeps beating. 20 s: not yet (three 10 s intervals); 35 s: silent, red, first.
        hall.clock.advance(by: 20)
        try await Self.beat(one, clock: hall.clock, total: 112, rollSlips: 100, rollLength: 10_600)
        view = try await HallFleet(desk: one).view(now: hall.clock.now())
        #expect(view.kiosks.first { $0.kioskID == "TZ02" }?.state == "ok")
        hall.clock.advance(by: 15)
        try await Self.beat(one, clock: hall.clock, total: 112, rollSlips: 100, rollLength: 10_600)
        view = try await HallFleet(desk: two).view(now: hall.clock.now())
        #expect(view.kiosks.map(\.kioskID) == ["TZ02", "TZ03", "TZ01"])
        let silent = try #require(view.kiosks.first)
        #expect(silent.level == "red" && silent.state == "silent" && silent.lastHeartbeatAt == HallRig.date("2026-11-25 09:00"))
        #expect(silent.printers.first?.estimate.hasPrefix("暂无预测") == true, "\(silent.printers)")
        #expect(view.kiosks[1].state == "never" && view.kiosks[1].lastHeartbeatAt == nil)

        // Kiosk 1's roll: 6 slips at its own 12 slips an hour at nine → 30 minutes from 09:00:35, and amber with an early alert.
        let kiosk1 = view.kiosks[2]
        let roll = try #require(kiosk1.printers.first)
        #expect(roll.slipsLeft == 6 && roll.basis == "printer" && roll.runsOutAt == HallRig.date("2026-11-25 09:30:35"), "\(roll)")
        #expect(roll.restockSoon && kiosk1.level == "amber" && roll.estimate == "约6张后用完，预计09:30", "\(roll.estimate)")
        let alerts = await StaffAlerts(desk: one, board: nil, disk: nil, maintenance: nil).alerts(now: hall.clock.now(), lockouts: [])
        #expect(Set(alerts.filter { $0.source.hasPrefix("fleet:") }.map { "\($0.code) \($0.source)" })
                == ["kiosk-silent fleet:TZ02", "kiosk-never-sent fleet:TZ03", "restock-soon fleet:TZ01/receipt"], "\(alerts)")
    }

    @Test func autoAssignOffersTheLongestIdleOpenWindowAndOneKioskClosesTheHallDay() async throws {
        let hall = try await HallRig.make(kiosks: 2, at: "2026-11-23 10:00", autoAssign: true)
        let (one, two) = (hall.desks[0], hall.desks[1])
        for window in ["1", "2", "3"] { try await one.assignWindow(window, categories: ["general"]) }
        _ = try await one.openWindow("2", staff: "wangfang")
        hall.clock.advance(by: 60)
        _ = try await two.openWindow("1", staff: "lisi")
        _ = try await one.openWindow("3", staff: "zhaoliu")
        _ = try await one.pauseWindow("3", reason: "午休", staff: "zhaoliu")

        // Windows 1 and 2 idle at once: the first ticket goes to 2 (idle longer), the next to 1; paused 3 gets none.
        hall.clock.advance(by: 30)
        let g1 = try await one.issueTicket(category: "general")
        let g2 = try await two.issueTicket(category: "general")
        let g3 = try await two.issueTicket(category: "general")
        #expect(g1.state == .called && g1.window == "2")
        #expect(g2.state == .called && g2.window == "1")
        #expect(g3.state == .waiting && g3.window == nil)
        // Window 2 finishes: it is offered the waiting ticket at once; window 3 resumes and takes the next one.
        hall.clock.advance(by: 30)
        _ = try await one.finishCalled(window: "2", as: .served, staff: "wangfang")
        #expect(try await one.ticket(id: g3.id).window == "2")
        _ = try await one.pauseWindow("3", reason: nil, staff: "zhaoliu")
        let g4 = try await one.issueTicket(category: "general")
        #expect(g4.window == "3")
        // Every offer is a call the hall display announces.
        #expect(try hall.sql("SELECT string_agg(window_id, ',' ORDER BY id) FROM hall_call") == "2,1,2,3")

        // The next hall day: both kiosks sweep at once, twice; the day's statistics go upstream from exactly one.
        hall.setTime("2026-11-24 00:05")
        async let first = one.closeQueueDays()
        async let second = two.closeQueueDays()
        let closed = try await [first, second]
        let again = try await one.closeQueueDays() + two.closeQueueDays()
        #expect(again.isEmpty)
        let day = try #require(CivilDate(iso: "2026-11-23"))
        #expect(closed.filter { $0 == [day] }.count == 1 && closed.filter(\.isEmpty).count == 1, "\(closed)")
        let sender = closed[0] == [day] ? one : two
        let other = closed[0] == [day] ? two : one
        #expect(try hall.sql("SELECT kiosk_id FROM hall_day_close") == sender.hallLink!.kioskID)
        let subject = FrontDesk.queueStatisticsSubject(day: day)
        #expect(try await sender.read { tx in try tx.outbox.exists(kind: .queueStatistics, subject: subject) })
        #expect(try await !other.read { tx in try tx.outbox.exists(kind: .queueStatistics, subject: subject) })
    }
}
