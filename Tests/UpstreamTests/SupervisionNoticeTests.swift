import FakePlatform
import Foundation
import FrontDesk
import KioskTestSupport
import Testing
import Upstream
import Workflow

/// The 督办通知单 of seed 001: a filing two working days past its promised deadline turns red and a
/// supervision notice naming the responsible department reaches the platform, exactly once, after
/// the filing itself.
@Suite struct SupervisionNoticeTests {
    @Test func aRedLightSendsOneNoticeToTheResponsibleDepartment() async throws {
        try await RelayRig.run { rig in
            // 出生登记 filed Monday 2026-11-23 (promised 1 working day: due Tuesday 11-24).
            let number = try await rig.file(1)
            await #expect(try rig.desk.filing(number: number).promisedDeadline == CivilDate(iso: "2026-11-24"))
            rig.clock.advance(by: 86_400 * 2)   // Wednesday: 1 working day overdue → 黄灯, no notice yet
            await #expect(try rig.desk.sweepSupervision().newNotices == [])
            await #expect(try rig.desk.filing(number: number).light == .yellow)
            #expect(try rig.allRows().filter { $0.kind == "supervisionNotice" }.isEmpty)
            rig.clock.advance(by: 86_400)       // Thursday: 2 working days overdue → 红灯 and the notice
            await #expect(try rig.desk.sweepSupervision().newNotices == [number])
            await #expect(try rig.desk.sweepSupervision().newNotices == [])   // once
            let rows = try rig.allRows().filter { $0.kind == "supervisionNotice" }
            #expect(rows.map(\.subject) == [number])
            #expect(rows.first?.orderKey == number)   // after the filing's own rows
            let payload = try await #require(try rig.ledger.payload(id: rows[0].id))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
            #expect(object["department"] as? String == "滕州市公安局")
            #expect(object["overdueWorkingDays"] as? Int == 2)
            #expect(object["promisedDeadline"] as? String == "2026-11-24")
            #expect(!payload.contains("张三") && !payload.contains("11010519491231002X"))
            await #expect(try rig.desk.auditTrail(subject: "filing:\(number)").last?.reason?.contains("滕州市公安局") == true)

            // Delivered once through a 503, after the filing (the strict fake refuses a notice of an unknown filing).
            rig.platform.queue([.status(503)], for: .supervisionNotice)
            try await rig.drain()
            try rig.expectDeliveredExactlyOnceInOrder()
            let applied = rig.platform.applied.filter { $0.call == .supervisionNotice }
            #expect(applied.map(\.key) == [OutboxRelay.idempotencyKey(kioskID: "TZ01", rowID: rows[0].id)])
        }
    }
}
