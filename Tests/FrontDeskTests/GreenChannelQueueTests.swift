import Foundation
import FrontDesk
import GRDB
import KioskConfig
import KioskTestSupport
@_spi(StoreTesting) import Store
import Testing
import Workflow

/// 绿色通道 on a single kiosk's queue (SQLite): the elderly by the card's birth date, the disabled
/// and pregnant by declaration, called before ordinary tickets in the order they came; only the
/// reason is stored.
@Suite struct GreenChannelQueueTests {
    /// 张三 with the birth date his card carries (the number's: 1949-12-31): 76 on the rig's day.
    static let elderZhang = Applicant(name: "张三", idNumber: "11010519491231002X", documentKind: "resident", verifiedByCard: true,
                                      birthDate: CivilDate(iso: "1949-12-31"))
    /// 65 on 2026-11-23, not the day before.
    static let sixtyFiveToday = Applicant(name: "王五", idNumber: "370481196111230018", documentKind: "resident", verifiedByCard: true,
                                          birthDate: CivilDate(iso: "1961-11-23"))

    @Test func greenChannelTicketsAreCalledFirstInTheOrderTheyCame() async throws {
        let rig = try FrontDeskRig(at: "2026-11-23 09:00")
        let ordinary = try await rig.desk.issueTicket(category: "general", applicant: FrontDeskRig.li)
        rig.clock.advance(by: 10)
        let elder = try await rig.desk.issueTicket(category: "general", applicant: Self.elderZhang)
        rig.clock.advance(by: 10)
        let declared = try await rig.desk.issueTicket(category: "general", declared: .pregnant)   // no card: her word
        rig.clock.advance(by: 10)
        let sixtyFive = try await rig.desk.issueTicket(category: "general", applicant: Self.sixtyFiveToday)
        rig.clock.advance(by: 10)
        let later = try await rig.desk.issueTicket(category: "general")

        #expect(ordinary.priorityReason == nil && !ordinary.priority)
        #expect(elder.priority && elder.priorityReason == .elderly && elder.waitingAhead == 0)
        #expect(declared.priorityReason == .pregnant && declared.waitingAhead == 1)
        #expect(sixtyFive.priorityReason == .elderly && sixtyFive.waitingAhead == 2)
        #expect(later.priorityReason == nil && later.waitingAhead == 4)
        await #expect(try rig.desk.ticket(id: ordinary.id).waitingAhead == 3)

        try await rig.desk.assignWindow("7", categories: ["general"])
        var called: [Int64] = []
        while let t = try await rig.desk.callNext(window: "7") { called.append(t.id) }
        #expect(called == [elder.id, declared.id, sixtyFive.id, ordinary.id, later.id])
        // Only the reason is kept: no birth date, no declaration text.
        let stored = try await rig.store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT priority, priorityReason FROM queueTicket ORDER BY id").map { "\($0[0] as Int):\(($0[1] as String?) ?? "-")" }
        }
        #expect(stored == ["0:-", "1:elderly", "1:pregnant", "1:elderly", "0:-"])
    }

    @Test func theDayBeforeTheBirthdayIsAnOrdinaryTicket() async throws {
        let rig = try FrontDeskRig(at: "2026-11-22 23:59")
        let before = try await rig.desk.issueTicket(category: "general", applicant: Self.sixtyFiveToday)
        #expect(before.priorityReason == nil)
        rig.setTime("2026-11-23 00:00")   // the hall's midnight: the birthday
        let on = try await rig.desk.issueTicket(category: "general", applicant: Self.sixtyFiveToday)
        #expect(on.priorityReason == .elderly)
    }

    @Test func aHallWithoutTheGroundRefusesTheDeclarationAndAppointmentsKeepTheirReason() async throws {
        let rig = try FrontDeskRig(at: "2026-11-23 09:00")
        var configuration = rig.configuration
        configuration.greenChannel = GreenChannel(grounds: [.disabled], elderlyAge: nil)
        let desk = FrontDesk(configuration: configuration, store: rig.store, clock: rig.clock)
        let refused = await #expect(throws: FrontDeskError.self) { try await desk.issueTicket(category: "general", declared: .pregnant) }
        guard case .workflow(.greenChannelNotOffered(ground: "pregnant"))? = refused else {
            Issue.record("expected green-channel-not-offered, got \(String(describing: refused))")
            return
        }
        #expect(try await desk.issueTicket(category: "general", applicant: Self.elderZhang).priorityReason == nil)
        #expect(try await desk.issueTicket(category: "general", declared: .disabled).priorityReason == .disabled)
        #expect(try rig.count("queueTicket") == 2)

        try await desk.importAppointments([Appointment(id: "YY-9", idNumber: FrontDeskRig.li.idNumber, category: "real-estate",
                                                       day: CivilDate(iso: "2026-11-23")!)])
        let booked = try #require(try await desk.checkIn(applicant: FrontDeskRig.li))
        #expect(booked.priority && booked.priorityReason == .appointment)
    }
}
