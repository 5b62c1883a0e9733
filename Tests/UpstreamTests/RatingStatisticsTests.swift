import FakePlatform
import Foundation
import FrontDesk
import KioskTestSupport
import Testing
import Upstream
import Workflow

/// 满意率 / 差评率 per item and month: the figures, a past month closed once with an audit record,
/// and its statistics delivered to the platform exactly once, with no personal data.
@Suite struct RatingStatisticsTests {
    @Test func aClosedMonthsRatingsReachThePlatformOnce() async throws {
        try await RelayRig.run { rig in
            // November 2026: three birth registrations rated 5, 3 and 1; one served ticket rated 2.
            for (n, level) in [(1, 5), (2, 3), (3, 1)] {
                let number = try await rig.file(n)
                _ = try await rig.desk.rate(.filing(number), level: level, channel: "pad")
            }
            let ticket = try await rig.desk.issueTicket(category: "social-insurance")
            try await rig.desk.assignWindow("1", categories: ["social-insurance"])
            _ = try await rig.desk.callNext(window: "1")
            _ = try await rig.desk.rate(.ticket(ticket.id), level: 2, channel: "pad")

            let figures = try await rig.desk.ratingFigures()
            #expect(figures.map(\.subject) == [RelayRig.birthRegistration, "queue:social-insurance"])
            let birth = try #require(figures.first)
            #expect(birth.month == "2026-11" && birth.total == 3 && birth.levels["3"] == 1)
            #expect(abs(birth.satisfactionRate - 2.0 / 3) < 1e-9 && abs(birth.poorRate - 1.0 / 3) < 1e-9)
            #expect(figures.last?.poorRate == 1 && figures.last?.subjectName == "排队：社会保险")

            // Not before the month is over; then once.
            await #expect(try rig.desk.closeRatingMonths() == [])
            rig.clock.advance(by: 8 * 86_400)   // 2026-12-01
            await #expect(try rig.desk.closeRatingMonths() == ["2026-11"])
            await #expect(try rig.desk.closeRatingMonths() == [])
            await #expect(try rig.desk.auditTrail(subject: "ratings:2026-11").map(\.event) == ["closeRatingMonth"])
            // A December rating closes in January, alone: the closed November is not read again.
            let december = try await rig.file(4)
            _ = try await rig.desk.rate(.filing(december), level: 4, channel: "pad")
            rig.clock.advance(by: 31 * 86_400)   // 2027-01-01
            await #expect(try rig.desk.closeRatingMonths() == ["2026-12"])
            await #expect(try rig.desk.closeRatingMonths() == [])
            let rows = try rig.allRows().filter { $0.kind == "ratingStatistics" }
            #expect(rows.map(\.subject) == ["ratings:2026-11", "ratings:2026-12"])
            let payload = try await #require(try rig.ledger.payload(id: rows[0].id))
            #expect(!payload.contains("张三") && !payload.contains("11010519491231002X"))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
            let overall = try #require(object["overall"] as? [String: Any])
            #expect(overall["total"] as? Int == 4 && overall["poorRate"] as? Double == 0.5)

            rig.platform.queue([.status(503)], for: .ratingStatistics)
            try await rig.drain()
            try rig.expectDeliveredExactlyOnceInOrder()
            #expect(rig.platform.applied.filter { $0.call == .ratingStatistics }.map(\.key).sorted()
                == rows.map { OutboxRelay.idempotencyKey(kioskID: "TZ01", rowID: $0.id) }.sorted())
        }
    }
}
