import FakePlatform
import Foundation
import FrontDesk
import KioskTestSupport
import Logging
import Testing
import Upstream
import Workflow

/// Appointments (预约) from the platform's `GET /v1/appointments?date=`: pulled for today and the
/// next day, unusable ones skipped, a card holder checked in as a priority ticket, and a platform
/// that fails never losing what was pulled before.
@Suite struct AppointmentSyncTests {
    @Test func appointmentsFromThePlatformAreCheckedInByIDCard() async throws {
        try await RelayRig.run { rig in
            // The rig's hall day is Monday 2026-11-23.
            rig.platform.setAppointments("""
                [{"id":"YY-1","idNumber":"11010519491231002X","category":"social-insurance","day":"2026-11-23","slot":"10:00-10:30"},
                 {"id":"YY-2","idNumber":"370481199001011234","category":"no-such-category","day":"2026-11-23"}]
                """, on: "2026-11-23")
            rig.platform.setAppointments("""
                [{"id":"YY-3","idNumber":"370481199001011234","category":"medical-insurance","day":"2026-11-24"}]
                """, on: "2026-11-24")
            let sync = AppointmentSync(desk: rig.desk, platform: rig.adapter, clock: rig.clock, logger: Logger(label: "test"))
            let pass = await sync.runOnce()
            #expect(pass.days == ["2026-11-23", "2026-11-24"])
            #expect(pass.imported == 2 && pass.skipped == 1 && pass.failure == nil)
            #expect(rig.platform.received.filter { $0.path == "/v1/appointments" }.allSatisfy { $0.authorization == "Bearer \(RelayRig.token)" })

            let ticket = try await #require(try rig.desk.checkIn(applicant: RelayRig.zhang))
            #expect(ticket.priority && ticket.category == "social-insurance")
            // Someone with no appointment today gets none.
            let li = Applicant(name: "李四", idNumber: "370481199001011234", documentKind: "resident", verifiedByCard: true)
            await #expect(try rig.desk.checkIn(applicant: li) == nil)

            // The platform fails: the pull says so, and what was pulled before still checks in.
            rig.platform.queue([.status(503)], for: .appointments)
            let failed = await sync.runOnce()
            #expect(failed.failure != nil && failed.imported == 0)
            await #expect(try rig.desk.checkIn(applicant: RelayRig.zhang)?.id == ticket.id)
            // The next day, the appointment pulled the day before is there.
            rig.clock.advance(by: 86_400)
            await #expect(try rig.desk.checkIn(applicant: li)?.category == "medical-insurance")
        }
    }
}
