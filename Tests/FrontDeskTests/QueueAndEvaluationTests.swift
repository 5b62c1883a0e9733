import Foundation
@_spi(StoreTesting) import Store
import FrontDesk
import GRDB
import KioskTestSupport
import Testing
import Workflow

@Suite struct QueueTicketTests {
    @Test func numbersRunPerCategoryPerDayAndSurviveRestarts() async throws {
        let rig = try FrontDeskRig(at: "2026-11-23 08:30")
        await #expect(try rig.desk.issueTicket(category: "social-insurance").number.description == "A001")
        await #expect(try rig.desk.issueTicket(category: "social-insurance").number.description == "A002")
        await #expect(try rig.desk.issueTicket(category: "real-estate").number.description == "C001")
        try rig.restart()
        let third = try await rig.desk.issueTicket(category: "social-insurance")
        #expect(third.number.description == "A003")
        #expect(third.waitingAhead == 2)
        await #expect(try rig.desk.waitingCount(category: "social-insurance") == 3)
        rig.setTime("2026-11-24 00:00")   // midnight hall time: a new day
        await #expect(try rig.desk.issueTicket(category: "social-insurance").number.description == "A001")
        rig.setTime("2026-11-23 23:59")   // the clock steps back: the queue stays on the later day, no duplicate
        await #expect(try rig.desk.issueTicket(category: "social-insurance").number.description == "A002")
        await #expect(try rig.desk.waitingCount(category: "social-insurance") == 2, "the later day's tickets stay in view")
    }

    /// The clock stepped back an hour across midnight, in a category the earlier day never used:
    /// its counter would start again at 001, the number a citizen already holds. The queue stays
    /// on the later day: the next number, and the window still calls the tickets in order.
    @Test func aClockSteppedBackAnHourAcrossMidnightIssuesNoNumberTwice() async throws {
        let rig = try FrontDeskRig(at: "2026-11-24 00:20")
        let first = try await rig.desk.issueTicket(category: "real-estate")
        #expect(first.number.description == "C001")
        let a = try await rig.file(.item(FrontDeskRig.birthRegistration), supplying: ["M03", "M02", "M26"]).compactMap(\.number)
        rig.setTime("2026-11-23 23:20")
        let second = try await rig.desk.issueTicket(category: "real-estate")
        #expect(second.number.description == "C002")
        #expect(second.waitingAhead == 1)
        try await rig.desk.assignWindow("5", categories: ["real-estate"])
        await #expect(try rig.desk.callNext(window: "5")?.id == first.id)
        await #expect(try rig.desk.callNext(window: "5")?.id == second.id)
        await #expect(try rig.desk.ticket(number: "C002").id == second.id)
        // Filing numbers do the same (the numbering never goes back a day).
        let b = try await rig.file(.item(FrontDeskRig.birthRegistration), for: FrontDeskRig.li, supplying: ["M03", "M02", "M26"]).compactMap(\.number)
        #expect(a.count == 1 && b.count == 1 && Set(a).isDisjoint(with: b), "\(a) \(b)")
        #expect(b.first?.contains("-20261124-00002") == true, "\(b)")
    }

    @Test func onePersonHoldsOneWaitingTicketPerCategory() async throws {
        let rig = try FrontDeskRig()
        let first = try await rig.desk.issueTicket(category: "housing-fund", applicant: FrontDeskRig.zhang)
        let again = await #expect(throws: FrontDeskError.self) { try await rig.desk.issueTicket(category: "housing-fund", applicant: FrontDeskRig.zhang) }
        #expect(again?.chineseMessage == "您已取号，正在排队中，请留意叫号")
        await #expect(try rig.desk.issueTicket(category: "general", applicant: FrontDeskRig.zhang).number.description == "G001")
        await #expect(try rig.desk.issueTicket(category: "housing-fund", applicant: FrontDeskRig.li).number.description == "D002")
        // Once called, the person may queue again.
        try await rig.desk.assignWindow("3", categories: ["housing-fund"])
        await #expect(try rig.desk.callNext(window: "3")?.id == first.id)
        await #expect(try rig.desk.issueTicket(category: "housing-fund", applicant: FrontDeskRig.zhang).number.description == "D003")
        // A waiting ticket of yesterday does not block today.
        rig.setTime("2026-11-24 09:00")
        await #expect(try rig.desk.issueTicket(category: "housing-fund", applicant: FrontDeskRig.li).number.description == "D001")
    }

    @Test func theDailyLimitStopsIssuing() async throws {
        let rig = try FrontDeskRig()
        for _ in 0..<100 { _ = try await rig.desk.issueTicket(category: "veterans") }   // dailyLimit: 100
        let refused = await #expect(throws: FrontDeskError.self) { try await rig.desk.issueTicket(category: "veterans") }
        #expect(refused?.chineseMessage.contains("今日该业务号已取完") == true)
        await #expect(throws: FrontDeskError.self) { try await rig.desk.issueTicket(category: "no-such-category") }
    }

    @Test func appointmentsCheckInWithPriorityAndWindowsCallSkipAndMove() async throws {
        let rig = try FrontDeskRig(at: "2026-11-23 09:00")
        try await rig.desk.importAppointments([Appointment(id: "YY-1", idNumber: FrontDeskRig.li.idNumber, category: "real-estate",
                                                     day: CivilDate(iso: "2026-11-23")!, slot: "09:30-10:00")])
        let walkIn = try await rig.desk.issueTicket(category: "real-estate")
        let other = try await rig.desk.issueTicket(category: "social-insurance")
        await #expect(try rig.desk.checkIn(applicant: FrontDeskRig.zhang) == nil)
        let booked = try await #require(try rig.desk.checkIn(applicant: FrontDeskRig.li))
        #expect(booked.priority && booked.number.description == "C002" && booked.waitingAhead == 0)
        await #expect(try rig.desk.checkIn(applicant: FrontDeskRig.li)?.id == booked.id)   // checking in twice: same ticket
        await #expect(try rig.desk.ticket(id: walkIn.id).waitingAhead == 1)

        try await rig.desk.assignWindow("5", categories: ["real-estate"])
        await #expect(try rig.desk.callNext(window: "5")?.id == booked.id)
        let called = try await #require(try rig.desk.callNext(window: "5"))
        #expect(called.id == walkIn.id && called.window == "5")
        await #expect(try rig.desk.ticket(id: booked.id).state == .served)
        await #expect(try rig.desk.finishTicket(id: walkIn.id, as: .skipped).state == .skipped)
        await #expect(throws: FrontDeskError.self) { try await rig.desk.finishTicket(id: walkIn.id, as: .served) }
        await #expect(try rig.desk.callNext(window: "5") == nil)

        // 潮汐窗口: window 5 now serves social insurance too.
        try await rig.desk.assignWindow("5", categories: ["real-estate", "social-insurance"])
        await #expect(try rig.desk.callNext(window: "5")?.id == other.id)
        await #expect(try rig.desk.windows()["5"] == ["real-estate", "social-insurance"])
        await #expect(throws: FrontDeskError.self) { try await rig.desk.assignWindow("6", categories: ["nope"]) }
        await #expect(throws: FrontDeskError.self) { try await rig.desk.callNext(window: "9") }
    }
}

@Suite struct EvaluationTests {
    @Test func eachServiceIsRatedOnceAndAPoorRatingOpensItsFollowUp() async throws {
        let rig = try FrontDeskRig(at: "2026-11-23 10:00")
        let filing = try await rig.file(.item(FrontDeskRig.birthRegistration), supplying: ["M03", "M02", "M26"])[0]
        let good = try await rig.desk.rate(.filing(filing.number!), level: 5, comment: "很快")
        #expect(good.level == .verySatisfied && good.rectification == nil)
        let second = await #expect(throws: FrontDeskError.self) { try await rig.desk.rate(.filing(filing.number!), level: 1) }
        #expect(second?.chineseMessage == "该服务已评价，感谢您的参与")
        #expect(try rig.count("evaluation") == 1)

        try await rig.desk.assignWindow("1", categories: ["general"])
        let ticket = try await rig.desk.issueTicket(category: "general")
        await #expect(throws: FrontDeskError.self) { try await rig.desk.rate(.ticket(ticket.id), level: 2) }   // still waiting
        _ = try await rig.desk.callNext(window: "1")
        let poor = try await rig.desk.rate(.ticket(ticket.id), level: 2, comment: "等太久")
        let rectification = try #require(poor.rectification)
        #expect(rectification.status == .pendingVerification)
        #expect(rectification.deadline == CivilDate(iso: "2026-11-30"))   // 5 working days
        await #expect(try rig.desk.openRectifications().map(\.id) == [rectification.id])

        await #expect(throws: FrontDeskError.self) { try await rig.desk.moveRectification(id: rectification.id, to: .answered) }
        await #expect(try rig.desk.moveRectification(id: rectification.id, to: .rectifying, note: "已核实").status == .rectifying)
        await #expect(try rig.desk.moveRectification(id: rectification.id, to: .answered, note: "已电话回访").status == .answered)
        await #expect(try rig.desk.openRectifications().isEmpty)
        await #expect(try rig.desk.auditTrail(subject: "rectification:\(rectification.id)").map(\.to)
            == ["pendingVerification", "rectifying", "answered"])
        let kinds = try await rig.store.pool.read { db in try String.fetchAll(db, sql: "SELECT kind FROM outbox WHERE kind <> 'page' ORDER BY id") }
        #expect(kinds == ["filing", "evaluation", "evaluation", "rectification", "rectification"])
        // The filing's rating follows the filing upstream; the ticket's rating and its steps have their own key.
        let keys = try await rig.store.pool.read { db in try String.fetchAll(db, sql: "SELECT orderKey FROM outbox WHERE kind <> 'page' ORDER BY id") }
        #expect(keys == [filing.number!, filing.number!, "ticket:\(ticket.id)", "ticket:\(ticket.id)", "ticket:\(ticket.id)"])
        await #expect(try rig.desk.verifyAudit().isIntact)
    }

    @Test(arguments: [0, 6, -1, 100])
    func levelsOutsideOneToFiveAreRefused(_ level: Int) async throws {
        let rig = try FrontDeskRig()
        let filing = try await rig.file(.item(FrontDeskRig.birthRegistration), supplying: ["M03", "M02", "M26"])[0]
        await #expect(throws: FrontDeskError.self) { try await rig.desk.rate(.filing(filing.number!), level: level) }
        await #expect(try rig.desk.isRated(.filing(filing.number!)) == false)
    }

    @Test func anAppealCanDismissAPoorRating() async throws {
        let rig = try FrontDeskRig()
        let filing = try await rig.file(.item(FrontDeskRig.birthRegistration), supplying: ["M03", "M02", "M26"])[0]
        let poor = try await rig.desk.rate(.filing(filing.number!), level: 1)
        let id = try #require(poor.rectification?.id)
        await #expect(try rig.desk.moveRectification(id: id, to: .appealed, note: "系申请人材料不全").status == .appealed)
        await #expect(try rig.desk.moveRectification(id: id, to: .dismissed).status == .dismissed)
        await #expect(throws: FrontDeskError.self) { try await rig.desk.moveRectification(id: id, to: .rectifying) }
        await #expect(throws: FrontDeskError.self) { try await rig.desk.rate(.filing("370481-TZ01-20261123-09999"), level: 5) }
    }
}
