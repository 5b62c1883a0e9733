import FakePlatform
import FrontDesk
import Foundation
import KioskTestSupport
import Logging
import Testing
import Upstream
import Workflow

/// 电子证照 from the platform's licence library: a licence the library holds marks the material it
/// covers held (可用电子证照免交) with the library's reference, which travels upstream; a slow or
/// failing library only means the paper is asked for, within the bounded wait; the session's
/// licences are forgotten with it.
@Suite struct LicencePrefetchTests {
    static let medicalInsurance = "11370481MB2852071H3720147001000001"   // M02 居民户口簿 may be an electronic licence

    func rig(_ rig: RelayRig, wait: Duration = .seconds(2)) -> (FrontDesk, SessionLicences, LicencePrefetch) {
        let licences = SessionLicences()
        let desk = FrontDesk(configuration: rig.configuration, store: rig.store, clock: rig.clock, licences: licences)
        return (desk, licences, LicencePrefetch(platform: rig.adapter, licences: licences, wait: wait, logger: Logger(label: "test")))
    }

    @Test func aLicenceTheLibraryHoldsMarksItsMaterialHeld() async throws {
        try await RelayRig.run { rig in
            let (desk, licences, prefetch) = self.rig(rig)
            rig.platform.setLicences(#"[{"type":"居民户口簿","reference":"DZZZ-370481-HKB-0001"}]"#, for: RelayRig.zhang.idNumber)
            #expect(await prefetch.prefetch(for: RelayRig.zhang) == .found(1))
            let draft = try await desk.openDraft(subject: .item(Self.medicalInsurance), applicant: RelayRig.zhang, sessionID: "s")
            let m02 = try #require(draft.slots.first { $0.requirement.material.code == "M02" })
            #expect(m02.held == .electronicLicence(type: "居民户口簿", reference: "DZZZ-370481-HKB-0001"))
            // The ID number reached the platform only in its query; never a log line of the adapter.
            #expect(!rig.logs.all.contains { $0.contains(RelayRig.zhang.idNumber) })
            // Forgotten with the session.
            licences.clear()
            let later = try await desk.openDraft(subject: .item(Self.medicalInsurance), applicant: RelayRig.zhang, sessionID: "t")
            #expect(later.slots.first { $0.requirement.material.code == "M02" }?.held == nil)
        }
    }

    @Test func aSlowOrFailingLibraryAsksForThePaperWithinTheBoundedWait() async throws {
        try await RelayRig.run { rig in
            let (desk, _, prefetch) = self.rig(rig, wait: .milliseconds(300))
            rig.platform.setLicences(#"[{"type":"居民户口簿","reference":"DZZZ-1"}]"#, for: RelayRig.zhang.idNumber)
            rig.platform.queue([.hang], for: .licences)
            // The hung call would end as a failure after the rig's 3 s HTTP deadline; the 300 ms bound
            // ends the wait first (judged by which came first, not by wall time on a loaded machine).
            #expect(await prefetch.prefetch(for: RelayRig.zhang) == .timedOut)
            rig.platform.queue([.status(503)], for: .licences)
            if case .failed = await prefetch.prefetch(for: RelayRig.zhang) {} else { Issue.record("a 503 is a failed lookup") }
            let draft = try await desk.openDraft(subject: .item(Self.medicalInsurance), applicant: RelayRig.zhang, sessionID: "s")
            #expect(draft.slots.first { $0.requirement.material.code == "M02" }?.held == nil)   // the paper is asked for
        }
    }
}
