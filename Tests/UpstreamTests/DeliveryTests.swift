import FakePlatform
import Foundation
@_spi(StoreTesting) import Store
import FrontDesk
import GRDB
import KioskTestSupport
import Testing
import Upstream

@Suite struct DeliveryTests {
    @Test func pagesThenFilingThenRatingArriveOnceWithTheCaseId() async throws {
        try await RelayRig.run { rig in
            let first = try await rig.file(1)
            let second = try await rig.file(2)
            _ = try await rig.desk.rate(.filing(first), level: 1, comment: "太慢")   // 差评: evaluation row
            let rectification = try await #require(try rig.desk.openRectifications().first)
            _ = try await rig.desk.moveRectification(id: rectification.id, to: .rectifying, note: "已核实")
            // Each filing: its four pages, then the filing; the rating and the rectification step follow the first filing.
            let rows = try rig.allRows()
            let filingRows = Array(repeating: "page", count: 4) + ["filing"]
            #expect(rows.map(\.kind) == filingRows + filingRows + ["evaluation", "rectification"])
            #expect(rows.filter { $0.orderKey == first }.count == 7)
            #expect(rows.filter { $0.orderKey == second }.count == 5)

            try await rig.drain()
            try rig.expectDeliveredExactlyOnceInOrder()
            let report = try await rig.ledger.report(now: rig.clock.now())
            #expect(report.depth == 0)
            #expect(report.delivered == 12)
            #expect(report.lastSuccessAt != nil)
            await #expect(try rig.desk.outboxSummary().depth == 0)
            // Every request carried the bearer token; filings and evaluations an Idempotency-Key.
            #expect(rig.platform.received.allSatisfy { $0.authorization == "Bearer \(RelayRig.token)" })
            #expect(Set(rig.platform.received.filter { $0.path == "/v1/filings" }.map(\.idempotencyKey)) == [first, second])
        }
    }

    static let faults: [FakePlatform.Fault] = [
        .status(500), .status(503), .status(408), .status(409), .status(429), .hang, .reset, .slow(milliseconds: 300),
        .applyThenReset, .applyThenHang,
    ]

    @Test(arguments: faults)
    func everyRowArrivesExactlyOnceThroughAFault(_ fault: FakePlatform.Fault) async throws {
        try await RelayRig.run { rig in
            let number = try await rig.file(1)
            try await rig.file(2)
            _ = try await rig.desk.rate(.filing(number), level: 5)
            // Two of each kind of call meet the fault, wherever they fall.
            rig.platform.queue([fault, fault], for: .page)
            rig.platform.queue([fault, fault], for: .filing)
            rig.platform.queue([fault, fault], for: .evaluation)
            try await rig.drain()
            try rig.expectDeliveredExactlyOnceInOrder()
            let attempts = try await rig.store.pool.read { db in try Int.fetchOne(db, sql: "SELECT SUM(attempts) FROM outbox") ?? 0 }
            // 11 rows; the fault costs one extra attempt each time it is met, and nothing else does.
            #expect(attempts == 11 + (fault == .slow(milliseconds: 300) ? 0 : 6))
        }
    }

    @Test func aPermanentRefusalIsRejectedWithTheReasonAndHoldsBackTheFilingsLaterRows() async throws {
        // One key at a time, so the refused filing's POST is the first the platform sees.
        try await RelayRig.run(concurrency: 1) { rig in
            let refused = try await rig.file(1)
            let fine = try await rig.file(2)
            _ = try await rig.desk.rate(.filing(refused), level: 4)
            rig.platform.queue([.reject(status: 422, reason: "申请人身份证号码与姓名不符")], for: .filing)
            try await rig.drain()

            let rows = try rig.allRows()
            let filingRow = try #require(rows.first { $0.kind == "filing" && $0.subject == refused })
            #expect(filingRow.state == "rejected")
            #expect(rows.first { $0.kind == "evaluation" }?.state == "pending")
            #expect(rows.filter { $0.orderKey == fine }.allSatisfy { $0.state == "delivered" })
            let report = try await rig.ledger.report(now: rig.clock.now())
            #expect(report.rejected == 1)
            #expect(report.depth == 2)
            let rejection = try #require(report.rejections.first)
            #expect(rejection.reason.contains("申请人身份证号码与姓名不符"))
            #expect(rejection.reason.contains("422"))
            #expect(rejection.blockedRows == 1)
            #expect(report.rows.first { $0.kind == .evaluation }?.lastError?.contains("rejected row \(filingRow.id)") == true)
            // Never retried blindly: time passes, nothing is sent.
            let before = rig.platform.received.count
            rig.clock.advance(by: 7 * 86_400)
            let idle = await rig.relay.runOnce()
            #expect(idle.attempted == 0)
            #expect(rig.platform.received.count == before)
            await #expect(try rig.ledger.retryAll(now: rig.clock.now()) == 0)   // --all leaves rejected rows alone

            // Staff corrected it upstream and retry the row by its id: it and the row behind it go.
            await #expect(try rig.ledger.retry(id: filingRow.id, now: rig.clock.now()))
            try await rig.drain()
            try rig.expectDeliveredExactlyOnceInOrder()
        }
    }

    @Test func aMissingPageFileIsRejectedWithAClearReason() async throws {
        let empty = try TemporaryDirectory("pages")
        defer { empty.remove() }
        try await RelayRig.run(pageSource: DirectoryPageSource(directory: empty.path)) { rig in
            let number = try await rig.file(1)
            try await rig.drain()
            let report = try await rig.ledger.report(now: rig.clock.now())
            #expect(report.rejected == 1)
            #expect(report.rejections.first?.reason.contains("page file missing") == true)
            #expect(report.rejections.first?.blockedRows == 4)   // three more pages and the filing
            #expect(rig.platform.applied.isEmpty)
            #expect(try rig.allRows().filter { $0.orderKey == number }.allSatisfy { $0.state != "delivered" })
        }
    }

    @Test func aPageAlreadyDeliveredForAnotherFilingIsNotSentAgain() async throws {
        try await RelayRig.run { rig in
            try await rig.file(1)
            try await rig.drain()
            try await rig.file(1)   // the same four pages (same content) again, for another filing
            try await rig.drain()
            let puts = rig.platform.received.filter { $0.method == "PUT" }
            #expect(puts.count == 4)
            #expect(try rig.allRows().allSatisfy { $0.state == "delivered" })
            #expect(rig.platform.applied.filter { $0.call == .filing }.count == 2)
        }
    }

    @Test func retryNowMakesAWaitingRowDueAtOnce() async throws {
        try await RelayRig.run { rig in
            try await rig.file(1)
            rig.platform.queue([.status(503)], for: .page)
            let first = await rig.relay.runOnce()
            #expect(first.failed == 1)
            let waiting = try await #require(try rig.rows().first)
            #expect(waiting.attempts == 1)
            #expect(waiting.nextAttemptAt! > rig.clock.now())
            #expect(waiting.lastError?.contains("503") == true)
            #expect(await rig.relay.runOnce().attempted == 0)   // backing off

            await #expect(try rig.ledger.retry(id: waiting.id, now: rig.clock.now()))
            let again = await rig.relay.runOnce()
            #expect(again.delivered == 5)   // the page, then the key's next rows, in the same pass
            try rig.expectDeliveredExactlyOnceInOrder()
            await #expect(try rig.ledger.retry(id: waiting.id, now: rig.clock.now()) == false)   // delivered: nothing to retry
        }
    }

    @Test func keysAreSentConcurrentlyButNeverMoreThanTheLimit() async throws {
        try await RelayRig.run(concurrency: 2) { rig in
            for n in 1...6 { try await rig.file(n) }
            rig.platform.setStanding(.slow(milliseconds: 50))
            try await rig.drain()
            try rig.expectDeliveredExactlyOnceInOrder()
            #expect(rig.platform.maximumConcurrentRequests <= 2)
            #expect(rig.platform.maximumConcurrentRequests == 2)
        }
    }
}

