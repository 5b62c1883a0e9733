import Foundation
import FrontDesk
import GRDB
import KioskTestSupport
import Logging
import Synchronization
import Testing
import Upstream
import Workflow

/// A platform whose answers the test writes: the status of each filing, or a failure.
final class ScriptedPlatform: PlatformAdapter, Sendable {
    private let script = Mutex<(statuses: [String: String], failure: PlatformError?, asked: [String],
                                results: [String: (PlatformFilingStatus.Collection?, PlatformFilingStatus.Mailing?)])>(([:], nil, [], [:]))

    func set(_ number: String, _ status: String, collection: PlatformFilingStatus.Collection? = nil,
             mailing: PlatformFilingStatus.Mailing? = nil) {
        script.withLock {
            $0.statuses[number] = status
            $0.results[number] = (collection, mailing)
        }
    }
    func fail(with error: PlatformError?) { script.withLock { $0.failure = error } }
    var asked: [String] { script.withLock { $0.asked } }

    func filingStatus(number: String) async throws(PlatformError) -> PlatformFilingStatus {
        let (status, failure, result) = script.withLock { s in
            s.asked.append(number)
            return (s.statuses[number] ?? "received", s.failure, s.results[number])
        }
        if let failure { throw failure }
        return PlatformFilingStatus(number: number, caseId: "CASE-\(number.suffix(5))", status: status,
                                    history: [.init(status: status, at: Date(timeIntervalSince1970: 1_795_400_000))],
                                    collection: result?.0, mailing: result?.1)
    }

    func putPage(sha256: String, bytes: [UInt8]) async throws(PlatformError) { throw .permanent("not in this script") }
    func postFiling(_ filing: FilingMessage) async throws(PlatformError) -> PlatformReceipt { throw .permanent("not in this script") }
    func postQueueStatistics(_ statistics: QueueDayStatistics, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt { throw .permanent("not in this script") }
    func postRatingStatistics(_ statistics: RatingMonthStatistics, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt { throw .permanent("not in this script") }
    func postSupervisionNotice(_ notice: SupervisionNoticeMessage, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt { throw .permanent("not in this script") }
    func postSupplement(_ supplement: SupplementMessage, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt { throw .permanent("not in this script") }
    func postEvaluation(_ evaluation: EvaluationMessage, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt {
        throw .permanent("not in this script")
    }
}

/// Progress sync replays the platform's steps on delivered filings, as audited platform steps,
/// adaptively and within its request budget.
@Suite struct ProgressSyncTests {
    func sync(_ rig: RelayRig, _ platform: ScriptedPlatform, perMinute: Int = 30) -> ProgressSync {
        ProgressSync(desk: rig.desk, store: rig.store, platform: platform, clock: rig.clock,
                     options: .init(maximumRequestsPerMinute: perMinute), logger: Logger(label: "test.sync"))
    }

    func status(_ rig: RelayRig, _ number: String) async throws -> FilingStatus {
        try await rig.desk.filing(number: number).status
    }

    @Test func thePlatformsStepsBecomeAuditedStepsOnTheProgressPage() async throws {
        try await RelayRig.run { rig in
            let number = try await rig.file(1)
            let platform = ScriptedPlatform()
            let sync = sync(rig, platform)
            // Not yet delivered: the platform does not know it, so it is not asked.
            #expect(await sync.runOnce().asked == 0)
            try await rig.drain()

            platform.set(number, "inProgress")
            let first = await sync.runOnce()
            #expect(first.asked == 1 && first.stepsApplied == 1)
            await #expect(try status(rig, number) == .inProgress)

            // Asked again only after the fresh interval (5 min by default).
            platform.set(number, "concluded.approved")
            rig.clock.advance(by: 60)
            #expect(await sync.runOnce().asked == 0)
            rig.clock.advance(by: 300)
            let second = await sync.runOnce()
            #expect(second.stepsApplied == 1)
            await #expect(try status(rig, number) == .concluded(.approved))

            let token = try await rig.desk.filing(number: number).progressToken
            let progress = try await #require(try rig.desk.progress(token: token))
            let platformSteps = progress.history.filter { $0.by == FilingActor.platform.chineseName }
            #expect(platformSteps.map(\.status) == ["inProgress", "concluded.approved"])
            await #expect(try rig.desk.verifyAudit().isIntact)

            // Delivered: the platform's step is replayed too, and then the filing is no longer followed.
            platform.set(number, "delivered.mailed")
            rig.clock.advance(by: 400)
            #expect(await sync.runOnce().stepsApplied == 1)
            rig.clock.advance(by: 86_400 * 30)
            #expect(await sync.runOnce().asked == 0)
        }
    }

    @Test func severalStepsAtOnceAreReplayedInOrderAndImpossibleOnesAreNot() async throws {
        try await RelayRig.run { rig in
            let a = try await rig.file(1)
            let b = try await rig.file(2)
            try await rig.drain()
            let platform = ScriptedPlatform()
            platform.set(a, "concluded.denied")        // accepted → inProgress → concluded.denied
            platform.set(b, "rejected")                // a front-desk decision the platform cannot make here
            let pass = await sync(rig, platform).runOnce()
            #expect(pass.asked == 2)
            #expect(pass.stepsApplied == 2)
            #expect(pass.notReplayable == 1)
            await #expect(try status(rig, a) == .concluded(.denied))
            await #expect(try status(rig, b) == .accepted)
            let trail = try await rig.desk.auditTrail(subject: "filing:\(a)").filter { $0.actor == .platform }
            #expect(trail.map(\.event) == ["startHandling", "conclude.denied"])
        }
    }

    @Test func theRequestBudgetAndAnOfflinePlatformBoundWhatIsAsked() async throws {
        try await RelayRig.run { rig in
            var numbers: [String] = []
            for n in 1...5 { numbers.append(try await rig.file(n)) }
            try await rig.drain()
            let platform = ScriptedPlatform()
            let sync = sync(rig, platform, perMinute: 2)
            #expect(await sync.runOnce().asked == 2)
            #expect(await sync.runOnce().asked == 0)    // the minute's budget is spent
            rig.clock.advance(by: 30)
            #expect(await sync.runOnce().asked == 1)
            rig.clock.advance(by: 60)
            #expect(await sync.runOnce().asked == 2)
            #expect(Set(platform.asked) == Set(numbers))

            // Offline: one failed request ends the pass; the filing is asked again later.
            platform.fail(with: .transient("connection refused"))
            rig.clock.advance(by: 3_600)
            let offline = await sync.runOnce()
            #expect(offline.asked == 1 && offline.failed == 1)
            platform.fail(with: nil)
            platform.set(numbers[0], "inProgress")
            // The failed filing's next turn is a fresh interval (5 min) later; by then, within the
            // budget of two a minute, every filing has had its turn again.
            for _ in 0..<6 {
                rig.clock.advance(by: 60)
                _ = await sync.runOnce()
            }
            await #expect(try status(rig, numbers[0]) == .inProgress)
            #expect(platform.asked.filter { $0 == numbers[0] }.count == 3)   // first turn, offline, again
        }
    }

    @Test func platformStatusNames() {
        #expect(ProgressSync.localStatus(forPlatformStatus: "received") == nil)
        #expect(ProgressSync.localStatus(forPlatformStatus: "accepted") == nil)
        #expect(ProgressSync.localStatus(forPlatformStatus: "inProgress") == .inProgress)
        #expect(ProgressSync.localStatus(forPlatformStatus: "concluded") == .concluded(.approved))
        #expect(ProgressSync.localStatus(forPlatformStatus: "delivered.collected") == .delivered(.collected))
        #expect(ProgressSync.localStatus(forPlatformStatus: "draft") == nil)
        #expect(ProgressSync.localStatus(forPlatformStatus: "已办结") == nil)
    }
}
