import Foundation
@testable import FrontDesk
import KioskTestSupport
import Store
import Testing
import Workflow

/// The hall database going away (`pg_ctl stop -m immediate`) and coming back: the documented
/// behaviour is to refuse tickets (never to number locally), say so in the link's status, and
/// settle the requests whose answer was lost when it returns. Nothing is ever duplicated.
@Suite struct HallOutageTests {
    @Test func ticketsAreRefusedWhileTheHallDatabaseIsDownAndNumberingGoesOnAfter() async throws {
        let hall = try await HallRig.make(kiosks: 2, timeout: .seconds(3))
        var issued: [String] = []
        for desk in hall.desks { issued.append(try await desk.issueTicket(category: "general").number.description) }
        #expect(await hall.links[0].check(now: hall.clock.now()))
        #expect(hall.links[0].status.state == "ok")

        try await hall.offPool { try hall.postgres.stopImmediately() }
        for desk in hall.desks {
            let refused = await refusal { () async throws(FrontDeskError) in try await desk.issueTicket(category: "general") }
            guard case .hallUnavailable? = refused else {
                Issue.record("expected hall-unavailable while the database is down, got \(String(describing: refused))")
                return
            }
            #expect(refused?.chineseMessage.contains("暂停取号") == true)
        }
        #expect(hall.links.allSatisfy { $0.status.state == "unreachable" && $0.status.lastError != nil })
        #expect(await hall.links[0].check(now: hall.clock.now()) == false)
        // A window cannot call either (and says why).
        let call = await refusal { () async throws(FrontDeskError) in try await hall.desks[0].callNext(window: "1") }
        guard case .hallUnavailable? = call else { Issue.record("expected hall-unavailable, got \(String(describing: call))"); return }

        try await hall.offPool { try hall.postgres.start() }
        for link in hall.links { #expect(await link.check(now: hall.clock.now())) }
        #expect(hall.links.allSatisfy { $0.status.state == "ok" && $0.status.inDoubt == 0 })
        for desk in hall.desks { issued.append(try await desk.issueTicket(category: "general").number.description) }
        #expect(issued == ["G001", "G002", "G003", "G004"])
        #expect(try hall.sql("SELECT count(*) = count(DISTINCT number) FROM hall_ticket") == "t")
    }

    @Test func aTicketWhoseAnswerWasLostIsCancelledWhenTheDatabaseReturns() async throws {
        let hall = try await HallRig.make(kiosks: 1, timeout: .seconds(3))
        let desk = hall.desks[0]
        let link = hall.links[0]
        // A request that reached the database, but whose answer the kiosk never heard (the cut
        // came between COMMIT and the reply): the kiosk refused the citizen, nobody holds a slip.
        let request = HallIssueRequest(requestID: UUID(), day: desk.today(), category: "general", prefix: "G", dailyLimit: 500,
                                       applicantKey: "k-1", appointmentID: nil, priorityReason: nil, kioskID: "TZ01", token: "tok-lost",
                                       at: hall.clock.now())
        let lost = try await link.store.issue(request)
        link.markInDoubt(request.requestID, at: hall.clock.now())
        // A request that never arrived is in doubt too, and simply forgotten.
        link.markInDoubt(UUID(), at: hall.clock.now())
        #expect(link.status.inDoubt == 2)
        try await hall.offPool { try hall.postgres.stopImmediately() }
        #expect(await link.check(now: hall.clock.now()) == false)
        #expect(link.status.inDoubt == 2)
        try await hall.offPool { try hall.postgres.start() }
        #expect(await link.check(now: hall.clock.now()))
        #expect(link.status.inDoubt == 0 && link.status.reconciledCancelled == 1)
        #expect(try await desk.ticket(id: lost.id).state == .cancelled)
        #expect(try hall.sql("SELECT cancel_reason FROM hall_ticket WHERE id = \(lost.id)").contains("never handed out"))
        // A window never calls it; the next ticket takes the next number (never the lost one's).
        try await desk.assignWindow("1", categories: ["general"])
        let next = try await desk.issueTicket(category: "general")
        #expect(next.number.description == "G002")
        #expect(try await desk.callNext(window: "1")?.id == next.id)
        // Retrying the same request id returns the same ticket, never a second one.
        #expect(try await link.store.issue(request).id == lost.id)
    }
}
