import Foundation
@testable import FrontDesk
import KioskTestSupport
import Store
import Testing
import Workflow

/// The hall's shared queue through the front desk, against a real PostgreSQL server: numbering
/// shared by the kiosks, one waiting ticket per person across the hall, the daily reset, the
/// windows' calling order, skip and re-queue, transfer, staff per window, and racing windows.
@Suite(.serialized) struct HallQueueTests {
    @Test func kiosksNumberFromOneSharedSequence() async throws {
        let hall = try await HallRig.make(kiosks: 3)
        var numbers: [String] = []
        for round in 0..<3 {
            for desk in hall.desks {
                numbers.append(try await desk.issueTicket(category: "general").number.description)
                _ = round
            }
        }
        #expect(numbers == (1...9).map { String(format: "G%03d", $0) })
        // Another category has its own sequence, from the same hall day.
        #expect(try await hall.desks[2].issueTicket(category: "social-insurance").number.description == "A001")
        #expect(try await hall.desks[0].waitingCount(category: "general") == 9)
        #expect(try hall.sql("SELECT last FROM hall_sequence WHERE category = 'general'") == "9")
        let kiosks = try hall.sql("SELECT DISTINCT kiosk_id FROM hall_ticket ORDER BY kiosk_id")
        #expect(kiosks.split(separator: "\n") == ["TZ01", "TZ02", "TZ03"], "\(kiosks)")
    }

    @Test func onePersonHoldsOneWaitingTicketPerCategoryAcrossTheHall() async throws {
        let hall = try await HallRig.make(kiosks: 2)
        let first = try await hall.desks[0].issueTicket(category: "social-insurance", applicant: HallRig.zhang)
        let second = await refusal { () async throws(FrontDeskError) in
            try await hall.desks[1].issueTicket(category: "social-insurance", applicant: HallRig.zhang)
        }
        guard case .workflow(.alreadyWaiting(ticket: first.number.description))? = second else {
            Issue.record("expected already-waiting \(first.number), got \(String(describing: second))")
            return
        }
        // Another category is fine; no personal data in the hall store (only the keyed hash).
        _ = try await hall.desks[1].issueTicket(category: "general", applicant: HallRig.zhang)
        #expect(try hall.sql("SELECT count(*) FROM hall_ticket WHERE applicant_key LIKE '%11010519491231002X%'") == "0")

        // Many attempts for one person at once, on both kiosks: exactly one ticket.
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for attempt in 0..<16 {
                group.addTask {
                    let desk = hall.desks[attempt % 2]
                    return (try? await desk.issueTicket(category: "medical-insurance", applicant: HallRig.li)) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        #expect(try hall.sql("SELECT count(*) FROM hall_ticket WHERE category = 'medical-insurance' AND state = 'waiting'") == "1")
    }

    @Test func numberingRestartsAtTheHallsMidnight() async throws {
        let hall = try await HallRig.make(kiosks: 2, at: "2026-11-23 23:59:58")
        #expect(try await hall.desks[0].issueTicket(category: "general").number.description == "G001")
        #expect(try await hall.desks[1].issueTicket(category: "general", applicant: HallRig.zhang).number.description == "G002")
        hall.setTime("2026-11-23 23:59:59")
        #expect(try await hall.desks[0].issueTicket(category: "general").number.description == "G003")
        hall.setTime("2026-11-24 00:00:00")  // midnight in Asia/Shanghai, 16:00 UTC
        #expect(try await hall.desks[1].issueTicket(category: "general").number.description == "G001")
        // Yesterday's waiting ticket of the same person is stale: cancelled, and a new one issued.
        let today = try await hall.desks[0].issueTicket(category: "general", applicant: HallRig.zhang)
        #expect(today.number.description == "G002")
        #expect(try hall.sql("SELECT state FROM hall_ticket WHERE number = 'G002' AND day < \(today.day.dayNumber)") == "cancelled")
        #expect(try hall.sql("SELECT count(*) FROM hall_ticket") == "5")
        #expect(try await hall.desks[0].waitingCount(category: "general") == 2)
    }

    @Test func windowsCallPriorityFirstThenByIssueTimeAndOnlyTheirCategories() async throws {
        let hall = try await HallRig.make(kiosks: 2)
        let desk = hall.desks[0]
        try await desk.assignWindow("1", categories: ["general", "social-insurance"])
        try await desk.assignWindow("2", categories: ["medical-insurance"])
        let g1 = try await desk.issueTicket(category: "general")
        hall.clock.advance(by: 10)
        let a1 = try await hall.desks[1].issueTicket(category: "social-insurance")
        hall.clock.advance(by: 10)
        let b1 = try await desk.issueTicket(category: "medical-insurance")
        hall.clock.advance(by: 10)
        try await desk.importAppointments([Appointment(id: "YY-1", idNumber: HallRig.zhang.idNumber, category: "social-insurance",
                                                       day: desk.today(), slot: "10:30")])
        let checkedIn = try #require(try await hall.desks[1].checkIn(applicant: HallRig.zhang))
        #expect(checkedIn.priority && checkedIn.number.description == "A002")
        // Checking in again gives the same ticket.
        #expect(try await desk.checkIn(applicant: HallRig.zhang)?.id == checkedIn.id)
        // 绿色通道: a card holder of 76 (the card's birth date) and a declared ground queue after the
        // appointment, before the ordinary tickets; the hall store keeps the reason only.
        hall.clock.advance(by: 10)
        let elder = try await hall.desks[1].issueTicket(category: "general", applicant: Applicant(
            name: "王五", idNumber: "370481195001010013", verifiedByCard: true, birthDate: CivilDate(iso: "1950-01-01")))
        hall.clock.advance(by: 10)
        let declared = try await desk.issueTicket(category: "social-insurance", declared: .disabled)
        #expect(elder.priorityReason == .elderly && declared.priorityReason == .disabled && declared.waitingAhead == 1)
        #expect(try hall.sql("SELECT string_agg(coalesce(priority_reason, '-'), ',' ORDER BY id) FROM hall_ticket") == "-,-,-,appointment,elderly,disabled")

        var calledAtOne: [String] = []
        while let t = try await desk.callNext(window: "1") { calledAtOne.append(t.number.description) }
        #expect(calledAtOne == ["A002", elder.number.description, declared.number.description, g1.number.description, a1.number.description])
        let atTwo = try #require(try await hall.desks[1].callNext(window: "2"))
        #expect(atTwo.id == b1.id && atTwo.window == "2")
        #expect(try await desk.callNext(window: "2") == nil)
        // Calling next served the window's previous ticket.
        #expect(try await desk.ticket(id: g1.id).state == .served)
        #expect(try hall.sql("SELECT count(*) FROM hall_call WHERE kind = 'call'") == "6")
    }

    @Test func skippedTicketsRequeueWithinTheGraceOnly() async throws {
        let hall = try await HallRig.make(kiosks: 1, skipGraceMinutes: 10)
        let desk = hall.desks[0]
        try await desk.assignWindow("3", categories: ["general"])
        _ = try await desk.openWindow("3", staff: "wangfang")
        let g1 = try await desk.issueTicket(category: "general")
        let g2 = try await desk.issueTicket(category: "general")
        #expect(try await desk.callNext(window: "3", staff: "wangfang")?.id == g1.id)
        let skipped = try await desk.finishCalled(window: "3", as: .skipped, staff: "wangfang")
        #expect(skipped.state == .skipped)
        hall.clock.advance(by: 60)
        let g3 = try await desk.issueTicket(category: "general")
        // The holder turns up within the grace: back in the queue, behind those waiting now.
        hall.clock.advance(by: 9 * 60)
        let back = try await desk.requeue(number: "G001")
        #expect(back.state == .waiting && back.waitingAhead == 2)
        var order: [Int64] = []
        for _ in 0..<3 { order.append(try #require(try await desk.callNext(window: "3", staff: "wangfang")).id) }
        #expect(order == [g2.id, g3.id, g1.id])
        // Skipped again; past the grace it cannot come back.
        _ = try await desk.finishCalled(window: "3", as: .skipped, staff: "wangfang")
        hall.clock.advance(by: 10 * 60 + 1)
        let late = await refusal { () async throws(FrontDeskError) in try await desk.requeue(number: "G001") }
        guard case .workflow(.skipGraceExpired(ticket: "G001"))? = late else {
            Issue.record("expected skip-grace-expired, got \(String(describing: late))")
            return
        }
        // Only a skipped ticket can be re-queued.
        let waiting = await refusal { () async throws(FrontDeskError) in try await desk.requeue(number: "G002") }
        guard case .workflow(.ticketStep(from: .served, to: .waiting))? = waiting else {
            Issue.record("expected ticket-step, got \(String(describing: waiting))")
            return
        }
    }

    @Test func transferMovesTheCalledTicketToAnotherCategoryKeepingItsNumber() async throws {
        let hall = try await HallRig.make(kiosks: 2)
        let desk = hall.desks[0]
        try await desk.assignWindow("1", categories: ["general"])
        try await desk.assignWindow("2", categories: ["medical-insurance"])
        let g1 = try await desk.issueTicket(category: "general")
        hall.clock.advance(by: 30)
        let b1 = try await desk.issueTicket(category: "medical-insurance")
        _ = try await desk.callNext(window: "1")
        let moved = try await hall.desks[1].transferCalled(window: "1", to: "medical-insurance", staff: nil)
        #expect(moved.number.description == "G001" && moved.category == "medical-insurance" && moved.state == .waiting)
        // It keeps its place by issue time: before B001, issued later.
        #expect(try await desk.callNext(window: "2")?.id == g1.id)
        #expect(try await desk.callNext(window: "2")?.id == b1.id)
        #expect(try await desk.callNext(window: "1") == nil)
        let nothing = await refusal { () async throws(FrontDeskError) in try await desk.transferCalled(window: "1", to: "general", staff: nil) }
        guard case .workflow(.nothingCalled(window: "1"))? = nothing else {
            Issue.record("expected nothing-called, got \(String(describing: nothing))")
            return
        }
    }

    @Test func aWindowAnswersOnlyToTheStaffSignedInAndNotWhilePaused() async throws {
        let hall = try await HallRig.make(kiosks: 1)
        let desk = hall.desks[0]
        try await desk.assignWindow("5", categories: ["general"])
        _ = try await desk.issueTicket(category: "general")
        let notOpen = await refusal { () async throws(FrontDeskError) in try await desk.callNext(window: "5", staff: "wangfang") }
        guard case .workflow(.windowNotOpen)? = notOpen else { Issue.record("expected window-not-open, got \(String(describing: notOpen))"); return }
        _ = try await desk.openWindow("5", staff: "wangfang")
        let other = await refusal { () async throws(FrontDeskError) in try await desk.openWindow("5", staff: "lisi") }
        guard case .workflow(.windowHeldBy(window: "5", staff: "wangfang"))? = other else {
            Issue.record("expected window-held-by-other, got \(String(describing: other))")
            return
        }
        let paused = try await desk.pauseWindow("5", reason: "午休", staff: "wangfang")
        #expect(paused.paused && paused.pauseReason == "午休")
        let whilePaused = await refusal { () async throws(FrontDeskError) in try await desk.callNext(window: "5", staff: "wangfang") }
        guard case .workflow(.windowPaused(window: "5", reason: "午休"))? = whilePaused else {
            Issue.record("expected window-paused, got \(String(describing: whilePaused))")
            return
        }
        _ = try await desk.pauseWindow("5", reason: nil, staff: "wangfang")
        let called = try #require(try await desk.callNext(window: "5", staff: "wangfang"))
        let recalled = try await desk.recall(window: "5", staff: "wangfang")
        #expect(recalled.id == called.id)
        #expect(try hall.sql("SELECT recalls FROM hall_ticket WHERE id = \(called.id)") == "1")
        // The service is rateable once called (the rating lives in the kiosk's own store).
        let rating = try await desk.rate(.ticket(called.id), level: 5, channel: "screen")
        #expect(rating.level.rawValue == 5)
        try await desk.closeWindow("5", staff: "wangfang")
        _ = try await desk.openWindow("5", staff: "lisi")
    }

    @Test func twoWindowsCallingAtOnceNeverGetTheSameTicket() async throws {
        let hall = try await HallRig.make(kiosks: 2)
        try await hall.desks[0].assignWindow("1", categories: ["general"])
        try await hall.desks[0].assignWindow("2", categories: ["general"])
        for _ in 0..<150 { _ = try await hall.desks[0].issueTicket(category: "general") }
        let called = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for (index, window) in ["1", "2"].enumerated() {
                group.addTask {
                    var ids: [Int64] = []
                    while let t = try await hall.desks[index].callNext(window: window) { ids.append(t.id) }
                    return ids
                }
            }
            return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
        }
        let all = called.flatMap { $0 }
        #expect(all.count == 150)
        #expect(Set(all).count == 150)
        // Both windows took part (the race was a race).
        #expect(called.allSatisfy { !$0.isEmpty })
        #expect(try hall.sql("SELECT count(*) FROM hall_call") == "150")
        #expect(try hall.sql("SELECT count(DISTINCT ticket_id) FROM hall_call") == "150")
    }
}
