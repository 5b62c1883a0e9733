import FakePlatform
import Foundation
import FrontDesk
import GRDB
import Testing
import Upstream

@Suite struct OutageTests {
    @Test func seventyTwoHoursDownThenEveryRowOnceWhenThePlatformReturns() async throws {
        try await RelayRig.run { rig in
            var numbers: [String] = []
            for n in 1...3 { numbers.append(try await rig.file(n)) }
            _ = try await rig.desk.rate(.filing(numbers[0]), level: 5)
            let rowCount = try rig.allRows().count
            #expect(rowCount == 16)
            rig.platform.setStanding(.status(503))

            let start = rig.clock.now()
            let end = start.addingTimeInterval(72 * 3600)
            var passes = 0
            while rig.clock.now() < end {
                await rig.relay.runOnce()
                passes += 1
                let next = try await #require(try rig.ledger.nextAttemptAt(), "a row vanished from the schedule")
                rig.clock.set(max(next, rig.clock.now().addingTimeInterval(1)))
            }
            // Nothing dropped, nothing applied; the three heads are stuck, the rows behind them wait.
            #expect(try rig.allRows().count == rowCount)
            #expect(rig.platform.applied.isEmpty)
            let report = try await rig.ledger.report(now: rig.clock.now(), rowLimit: 100)
            #expect(report.depth == rowCount)
            #expect(report.stuck == 3)
            #expect(report.oldestAgeSeconds! >= 72 * 3600)
            #expect(report.lastError?.contains("503") == true)
            // Attempts are bounded by the backoff: 10 fast ones (~2 s … 10 min apart), then one every ~30 min.
            let heads = report.rows.filter { $0.state == .stuck }
            for head in heads {
                #expect(head.attempts >= 10 + 130, "row \(head.id): \(head.attempts) attempts")
                #expect(head.attempts <= 10 + 165, "row \(head.id): \(head.attempts) attempts")
            }
            #expect(report.rows.filter { $0.state == .pending }.allSatisfy { $0.attempts == 0 })
            #expect(rig.platform.received.count == heads.map(\.attempts).reduce(0, +))

            // The platform comes back: within the stuck cadence every row goes, once, in order.
            rig.platform.setStanding(.none)
            rig.clock.advance(by: 33 * 60)
            await rig.relay.runOnce()
            try rig.expectDeliveredExactlyOnceInOrder()
            await #expect(try rig.ledger.report(now: rig.clock.now()).depth == 0)
        }
    }

    /// The clock stepped back an hour while rows waited for their retry: they are not held back
    /// an extra hour (each retry's schedule was made by a clock that has since gone back).
    @Test func aClockSteppedBackAnHourDoesNotHoldTheOutboxBackAnHour() async throws {
        try await RelayRig.run { rig in
            let number = try await rig.file(1)
            rig.platform.setStanding(.status(503))
            await rig.relay.runOnce()
            #expect(rig.platform.applied.isEmpty)
            rig.platform.setStanding(.none)
            rig.clock.advance(by: -3600)
            await rig.relay.runOnce()     // nothing due by the stepped-back clock: the schedule is repaired
            await rig.relay.runOnce()
            #expect(rig.platform.applied.contains { $0.call == .filing && $0.key == number }, "the filing waited for the clock")
            try rig.expectDeliveredExactlyOnceInOrder()
            #expect(rig.logs.all.contains { $0.contains("the clock went back") })
        }
    }

    @Test func theBackoffGrowsWithJitterAndIsCapped() {
        let policy = RetryPolicy()
        #expect(policy.afterFailure(attempts: 1, jitter: 0).delay == 1)
        #expect(policy.afterFailure(attempts: 1, jitter: 0.999_999).delay < 2.000_1)
        #expect(policy.afterFailure(attempts: 4, jitter: 0.999_999).delay > 15.9)
        #expect(policy.afterFailure(attempts: 9, jitter: 0.999_999).delay <= 600)
        #expect(policy.afterFailure(attempts: 9, jitter: 0.5).delay > 250)
        #expect(policy.afterFailure(attempts: 9, jitter: 0.5).stuck == false)
        let stuck = policy.afterFailure(attempts: 10, jitter: 0.5)
        #expect(stuck.stuck)
        #expect(stuck.delay == 1800)
        let custom = RetryPolicy(stuckAfterAttempts: 3, stuckRetryInterval: 60)
        #expect(custom.afterFailure(attempts: 3, jitter: 0).stuck)
        #expect(custom.afterFailure(attempts: 3, jitter: 0).delay == 54)
    }

    @Test func aStuckRowRetriedByStaffGoesAtOnce() async throws {
        try await RelayRig.run(policy: RetryPolicy(stuckAfterAttempts: 2, stuckRetryInterval: 3600)) { rig in
            try await rig.file(1)
            rig.platform.setStanding(.status(500))
            await rig.relay.runOnce()
            rig.clock.advance(by: 10)
            await rig.relay.runOnce()
            let stuck = try await #require(try rig.rows().first)
            #expect(stuck.state == .stuck)
            #expect(stuck.nextAttemptAt! > rig.clock.now().addingTimeInterval(3000))
            rig.platform.setStanding(.none)
            #expect(await rig.relay.runOnce().attempted == 0)
            await #expect(try rig.ledger.retryAll(now: rig.clock.now()) == 1)
            #expect(await rig.relay.runOnce().delivered == 5)
            try rig.expectDeliveredExactlyOnceInOrder()
        }
    }

    @Test func anOutcomeIsRecordedOnlyByTheSenderThatSawTheRowAsItIs() async throws {
        try await RelayRig.run { rig in
            try await rig.file(1)
            let row = try await #require(try rig.rows().first)
            #expect(try await rig.ledger.record([.init(row: row, at: rig.clock.now(), outcome: .delivered(platformRef: nil))]) == [true])
            // A second relay (or a stale view) cannot record it again, nor turn it back to pending.
            #expect(try await rig.ledger.record([.init(row: row, at: rig.clock.now(), outcome: .delivered(platformRef: nil))]) == [false])
            #expect(try await rig.ledger.record([.init(row: row, at: rig.clock.now(), outcome: .failed(error: "late", nextAttemptAt: rig.clock.now(), stuck: false))]) == [false])
            #expect(try await rig.ledger.record([.init(row: row, at: rig.clock.now(), outcome: .rejected(reason: "late"))]) == [false])
            await #expect(try rig.ledger.row(id: row.id)?.state == .delivered)
            await #expect(try rig.ledger.row(id: row.id)?.attempts == 1)
        }
    }
}
