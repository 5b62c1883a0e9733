import Foundation
@_spi(StoreTesting) import Store
import FrontDesk
import GRDB
import KioskTestSupport
import Testing
import Workflow

@Suite struct SupervisionSweepTests {
    /// 退役军人优待证 filed Mon 2026-11-23: promised 15 working days → Mon 2026-12-14.
    @Test(arguments: [
        ("2026-11-23 12:00", SupervisionLight.green),
        ("2026-12-10 12:00", .green),     // 2 working days before
        ("2026-12-11 12:00", .warning),   // Friday: due the next working day (Monday)
        ("2026-12-13 12:00", .warning),   // Sunday before
        ("2026-12-14 12:00", .warning),   // due today
        ("2026-12-15 12:00", .yellow),    // 1 working day overdue: 黄灯 (seed 001)
        ("2026-12-16 12:00", .red),       // 2 working days overdue: 红灯 and the 督办通知单
        ("2026-12-17 12:00", .red),       // 3 working days overdue
    ])
    func lightsFollowWorkingDaysFromThePromisedDeadline(_ now: String, _ expected: SupervisionLight) async throws {
        let rig = try FrontDeskRig(at: "2026-11-23 10:00")
        let number = try await #require(try rig.file(.item(FrontDeskRig.veteranCard), supplying: ["M02", "M05", "M30", "M31"])[0].number)
        rig.setTime(now)
        let sweep = try await rig.desk.sweepSupervision()
        #expect(sweep.counts == [expected: 1])
        await #expect(try rig.desk.filing(number: number).light == expected)
        #expect(sweep.newNotices == (expected == .red ? [number] : []))
    }

    @Test func redRecordsOneNoticeAndTheWorstLightStaysForStatistics() async throws {
        let rig = try FrontDeskRig(at: "2026-11-23 10:00")
        let late = try await #require(try rig.file(.item(FrontDeskRig.veteranCard), supplying: ["M02", "M05", "M30", "M31"])[0].number)
        let onTime = try await #require(try rig.file(.item(FrontDeskRig.veteranCard), for: FrontDeskRig.li,
                                               supplying: ["M02", "M05", "M30", "M31"])[0].number)
        let immediate = try await rig.file(.item(FrontDeskRig.pensionEnrolment), supplying: ["M02"])[0]
        #expect(immediate.promisedDeadline == nil)   // 即办件: not supervised by deadline

        rig.setTime("2026-12-01 10:00")
        try await rig.desk.apply(.startHandling, toFiling: onTime, by: .platform)
        try await rig.desk.apply(.conclude(.approved), toFiling: onTime, by: .platform)
        try await rig.desk.apply(.startHandling, toFiling: immediate.number!, by: .staff)
        try await rig.desk.apply(.conclude(.approved), toFiling: immediate.number!, by: .staff)

        rig.setTime("2026-12-18 10:00")
        await #expect(try rig.desk.sweepSupervision().newNotices == [late])
        await #expect(try rig.desk.sweepSupervision().newNotices == [])      // once only
        await #expect(try rig.desk.supervisionNotices().map(\.filingNumber) == [late])
        await #expect(try rig.desk.supervisionNotices().first?.overdueWorkingDays == 4)
        await #expect(try rig.desk.auditTrail(subject: "filing:\(late)").last?.event == "supervisionNotice")

        rig.setTime("2026-12-21 10:00")
        try await rig.desk.apply(.startHandling, toFiling: late, by: .platform)
        try await rig.desk.apply(.conclude(.denied), toFiling: late, by: .platform)
        let (overall, perItem) = try await rig.desk.statistics()
        #expect(overall.received == 3)
        #expect(overall.concluded == 3)
        #expect(overall.concludedOnTime == 2)
        #expect(overall.yellowOrRed == 1)
        #expect(overall.red == 1)
        #expect(abs(overall.onTimeRate - 2.0 / 3.0) < 1e-9)
        let veterans = try #require(perItem.first { $0.itemCode == FrontDeskRig.veteranCard })
        #expect(veterans.received == 2 && veterans.concludedOnTime == 1 && veterans.yellowOrRedShare == 0.5)
        let outside = try await rig.desk.statistics(period: CivilDate(iso: "2026-12-01")!...CivilDate(iso: "2026-12-31")!)
        #expect(outside.overall.received == 0)
    }

    @Test func suspendedFilingsArePausedAndClosedOnesDropOut() async throws {
        let rig = try FrontDeskRig(at: "2026-11-23 10:00")
        let number = try await #require(try rig.file(.item(FrontDeskRig.veteranCard), supplying: ["M02", "M05", "M30", "M31"])[0].number)
        try await rig.desk.apply(.startHandling, toFiling: number, by: .platform)
        try await rig.desk.apply(.suspend, toFiling: number, by: .platform)
        rig.setTime("2027-01-20 10:00")
        await #expect(try rig.desk.sweepSupervision().counts.isEmpty)
        try await rig.desk.apply(.withdraw, toFiling: number, by: .staff, reason: "申请人撤回")
        await #expect(try rig.desk.sweepSupervision().counts.isEmpty)
        await #expect(try rig.desk.filing(number: number).light == nil)
    }
}

@Suite struct AuditTamperingTests {
    func filedRig() async throws -> (FrontDeskRig, String) {
        let rig = try FrontDeskRig()
        let number = try await #require(try rig.file(.item(FrontDeskRig.veteranCard), supplying: ["M02", "M05", "M30", "M31"])[0].number)
        try await rig.desk.apply(.startHandling, toFiling: number, by: .platform)
        _ = try await rig.file(.item(FrontDeskRig.birthRegistration), for: FrontDeskRig.li, supplying: ["M03", "M02", "M26"])
        try await rig.desk.apply(.conclude(.approved), toFiling: number, by: .platform)
        await #expect(try rig.desk.verifyAudit() == .intact(records: 6))
        return (rig, number)
    }

    @Test func theDatabaseRefusesToChangeOrDeleteAuditRecords() async throws {
        let (rig, _) = try await filedRig()
        #expect(throws: DatabaseError.self) {
            try rig.store.pool.write { db in try db.execute(sql: "UPDATE audit SET reason = 'x' WHERE sequence = 2") }
        }
        #expect(throws: DatabaseError.self) {
            try rig.store.pool.write { db in try db.execute(sql: "DELETE FROM audit WHERE sequence = 6") }
        }
        await #expect(try rig.desk.verifyAudit() == .intact(records: 6))
    }

    @Test(arguments: [
        ("UPDATE audit SET reason = '材料齐全（已改）' WHERE sequence = 2", Int64(2)),
        ("UPDATE audit SET actor = 'staff' WHERE sequence = 3", 3),
        ("UPDATE audit SET toState = 'concluded.denied' WHERE sequence = 6", 6),
        ("UPDATE audit SET atMilliseconds = atMilliseconds - 86400000 WHERE sequence = 1", 1),
        ("DELETE FROM audit WHERE sequence = 4", 4),
        ("DELETE FROM audit WHERE sequence = 6", 6),   // cut off the end: the head counter says 6 were written
    ])
    func tamperingWithTriggersDroppedIsDetectedAtTheRecord(_ sql: String, _ brokenAt: Int64) async throws {
        let (rig, _) = try await filedRig()
        try await rig.store.pool.write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete")
            try db.execute(sql: sql)
        }
        let verification = try await rig.desk.verifyAudit()
        guard case let .broken(at, _) = verification else { Issue.record("tampering not detected: \(verification)"); return }
        #expect(at == brokenAt)
    }

    @Test func recomputingOneRecordsHashStillBreaksTheNextLink() async throws {
        let (rig, _) = try await filedRig()
        try await rig.store.pool.write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            let row = try Row.fetchOne(db, sql: "SELECT * FROM audit WHERE sequence = 3")!
            let forged = AuditChain.hash(sequence: 3, subject: row["subject"], actor: .staff, atMilliseconds: row["atMilliseconds"],
                                         event: row["event"], from: row["fromState"], to: row["toState"], reason: row["reason"],
                                         previousHash: row["previousHash"])
            try db.execute(sql: "UPDATE audit SET actor = 'staff', hash = ? WHERE sequence = 3", arguments: [forged])
        }
        guard case let .broken(at, _) = try await rig.desk.verifyAudit() else { Issue.record("forgery not detected"); return }
        #expect(at == 4)
    }
}

@Suite struct RandomOperationsTests {

    /// Random events by random actors on several filings, with restarts and clock moves: the store
    /// follows the pure table exactly (a refused step changes nothing), the audit chain stays intact
    /// and holds exactly one record per accepted step.
    @Test(arguments: [UInt64(1), 7, 42])
    func randomSequencesNeverReachAnIllegalStateNorLoseARecord(seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        let rig = try FrontDeskRig(at: "2026-11-23 10:00")
        var model: [String: FilingStatus] = [:]
        var expectedRecords = 0
        for applicant in [FrontDeskRig.zhang, FrontDeskRig.li] {
            for record in try await rig.file(.bundle(FrontDeskRig.newbornBundle), for: applicant, supplying: ["M03", "M02", "M26"]) {
                model[record.number!] = record.status
                expectedRecords += 2
            }
        }
        let numbers = model.keys.sorted()
        for step in 0..<300 {
            let number = numbers.randomElement(using: &random)!
            let event = FilingEvent.all.randomElement(using: &random)!
            let actor = FilingActor.allCases.randomElement(using: &random)!
            let expected = try? FilingLifecycle.next(from: model[number]!, on: event, by: actor)
            let actual = try? await rig.desk.apply(event, toFiling: number, by: actor)
            #expect(actual == expected, "step \(step): \(event) by \(actor) on \(model[number]!)")
            if let expected {
                model[number] = expected
                expectedRecords += 1
            }
            if step % 50 == 49 { try rig.restart() }
            if step % 20 == 0 { rig.clock.advance(by: 86_400 * Double(Int.random(in: -1...3, using: &random))) }
            if step % 25 == 0 { _ = try await rig.desk.sweepSupervision() }
        }
        for number in numbers { await #expect(try rig.desk.filing(number: number).status == model[number]) }
        let notices = try rig.count("supervisionNotice")
        await #expect(try rig.desk.verifyAudit() == .intact(records: expectedRecords + notices))
    }
}
