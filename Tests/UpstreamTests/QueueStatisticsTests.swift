import FakePlatform
import Foundation
import FrontDesk
import KioskTestSupport
import Testing
import Upstream
import Workflow

/// A closed hall day's queue statistics: written once with an audit record, counted right, free
/// of personal data, and delivered to the platform exactly once.
@Suite struct QueueStatisticsTests {
    @Test func aPastDayIsClosedOnceAndItsFiguresReachThePlatformOnce() async throws {
        try await RelayRig.run { rig in
            let desk = rig.desk
            // 2026-11-23 10:00: three social-insurance tickets (two people with cards, one without), one medical.
            let first = try await desk.issueTicket(category: "social-insurance", applicant: RelayRig.zhang)
            let li = Applicant(name: "李四", idNumber: "370481199001011234", documentKind: "resident", verifiedByCard: true)
            _ = try await desk.issueTicket(category: "social-insurance", applicant: li)
            _ = try await desk.issueTicket(category: "social-insurance")
            _ = try await desk.issueTicket(category: "medical-insurance")
            try await desk.assignWindow("3", categories: ["social-insurance"])
            // Called 10 minutes and 30 minutes after issue; the first served, the second did not come.
            rig.clock.advance(by: 600)
            let called = try await #require(try desk.callNext(window: "3"))
            #expect(called.id == first.id)
            _ = try await desk.finishTicket(id: called.id, as: .served)
            rig.clock.advance(by: 1_200)
            let second = try await #require(try desk.callNext(window: "3"))
            _ = try await desk.finishTicket(id: second.id, as: .skipped)

            // The day is not over: nothing to close.
            await #expect(try desk.closeQueueDays().isEmpty)
            // The next morning the day closes, once.
            rig.clock.advance(by: 86_400)
            let day = try #require(CivilDate(iso: "2026-11-23"))
            await #expect(try desk.closeQueueDays() == [day])
            await #expect(try desk.closeQueueDays().isEmpty)

            let rows = try rig.allRows().filter { $0.kind == "queueStatistics" }
            #expect(rows.map(\.subject) == ["queue:2026-11-23"])
            let payload = try await #require(try rig.ledger.payload(id: rows[0].id))
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let statistics = try decoder.decode(QueueDayStatistics.self, from: Data(payload.utf8))
            #expect(statistics.day == "2026-11-23")
            #expect(statistics.kioskID == "TZ01")
            let social = try #require(statistics.categories.first { $0.category == "social-insurance" })
            #expect((social.issued, social.called, social.served, social.skipped, social.unserved) == (3, 2, 1, 1, 1))
            #expect(social.averageWaitSeconds == (600 + 1_800) / 2)
            #expect(social.longestWaitSeconds == 1_800)
            let medical = try #require(statistics.categories.first { $0.category == "medical-insurance" })
            #expect((medical.issued, medical.called, medical.unserved) == (1, 0, 1))
            #expect(medical.averageWaitSeconds == nil)
            // Counts only: no name, no ID number, no applicant key.
            #expect(!payload.contains("张三") && !payload.contains("11010519491231002X") && !payload.contains("applicant"))
            await #expect(try desk.auditTrail(subject: "queue:2026-11-23").map(\.event) == ["closeQueueDay"])

            // Delivered once, with a stable key, through a 503 on the first try.
            rig.platform.queue([.status(503)], for: .queueStatistics)
            try await rig.drain()
            try rig.expectDeliveredExactlyOnceInOrder()
            let applied = rig.platform.applied.filter { $0.call == .queueStatistics }
            #expect(applied.map(\.key) == [OutboxRelay.idempotencyKey(kioskID: "TZ01", rowID: rows[0].id)])

            // The next day's tickets close the next morning: only that day, the closed one stays closed.
            _ = try await desk.issueTicket(category: "housing-fund")
            rig.clock.advance(by: 86_400)
            await #expect(try desk.closeQueueDays() == [try #require(CivilDate(iso: "2026-11-24"))])
            #expect(try rig.allRows().filter { $0.kind == "queueStatistics" }.map(\.subject) == ["queue:2026-11-23", "queue:2026-11-24"])
        }
    }
}
