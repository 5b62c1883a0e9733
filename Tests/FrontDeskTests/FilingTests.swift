import Foundation
@_spi(StoreTesting) import Store
import FrontDesk
import GRDB
import KioskTestSupport
import Testing
import Workflow

@Suite struct SubmissionTests {
    @Test func completeMaterialsAreAcceptedNumberedAuditedAndQueuedInOneGo() async throws {
        let rig = try FrontDeskRig(at: "2026-11-23 10:00")
        let draft = try await rig.draft(.item(FrontDeskRig.birthRegistration), supplying: ["M03", "M02", "M26"])
        // The card read stands in for the 居民身份证 licence: not asked again.
        #expect(draft.slots.first { $0.requirement.material.code == "M01" }?.held == .electronicLicence(type: "居民身份证", reference: "card-read"))

        guard case let .filed(records) = try await rig.desk.submit(draftID: draft.id) else { Issue.record("not filed"); return }
        let filing = try #require(records.first)
        #expect(records.count == 1)
        #expect(filing.number == "370481-TZ01-20261123-00001")
        #expect(filing.status == .accepted)
        #expect(filing.receivedDay == CivilDate(iso: "2026-11-23"))
        #expect(filing.promisedDeadline == CivilDate(iso: "2026-11-24"))
        #expect(ProgressToken(filing.progressToken) != nil)
        #expect(rig.desk.progressURL(token: filing.progressToken) == "https://zwfw.tengzhou.gov.cn/kiosk/p/\(filing.progressToken)")

        let trail = try await rig.desk.auditTrail(subject: "filing:\(filing.number!)")
        #expect(trail.map(\.to) == ["submitted", "accepted"])
        #expect(trail.map(\.from) == ["draft", "submitted"])
        #expect(trail.allSatisfy { $0.actor == .kiosk })
        let payload = try await rig.store.pool.read { db in try String.fetchAll(db, sql: "SELECT payload FROM outbox WHERE kind = 'filing'") }
        #expect(payload.count == 1)
        #expect(payload.first?.contains("\"number\":\"370481-TZ01-20261123-00001\"") == true)
        await #expect(try rig.desk.verifyAudit() == .intact(records: 2))
        // The draft is closed: a second submit is refused, nothing duplicated.
        await #expect(throws: FrontDeskError.self) { try await rig.desk.submit(draftID: draft.id) }
        #expect(try rig.count("filing") == 1)
        // One outbox row per distinct page, then the filing's row, all keyed by the filing number.
        let outbox = try rig.store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT kind, subject, orderKey, state FROM outbox ORDER BY id")
        }
        let pageHashes = Set(draft.slots.flatMap(\.pages))
        #expect(outbox.map { $0["kind"] as String } == Array(repeating: "page", count: pageHashes.count) + ["filing"])
        #expect(Set(outbox.dropLast().map { $0["subject"] as String }) == pageHashes)
        #expect(outbox.allSatisfy { ($0["orderKey"] as String) == filing.number! && ($0["state"] as String) == "pending" })
        await #expect(try rig.desk.outboxSummary().depth == pageHashes.count + 1)
    }

    @Test func aMissingRequiredMaterialFilesNothingAndListsWhatIsMissing() async throws {
        let rig = try FrontDeskRig()
        let draft = try await rig.draft(.item(FrontDeskRig.birthRegistration), supplying: ["M03", "M02"])
        try await rig.desk.addPage(draftID: draft.id, materialCode: "M26", sha256: "only-page", byteCount: 10)
        try await rig.desk.removePage(draftID: draft.id, materialCode: "M26", sha256: "only-page")
        guard case let .incomplete(missing) = try await rig.desk.submit(draftID: draft.id) else { Issue.record("filed"); return }
        #expect(missing.map(\.code) == ["M26"])
        #expect(missing.first?.name == "出生登记申报表")
        #expect(try rig.count("filing") == 0)
        #expect(try rig.count("outbox") == 0)
        #expect(try rig.count("audit") == 0)
        // Supplying it afterwards files with the first number: nothing was consumed by the refusal.
        try await rig.desk.addPage(draftID: draft.id, materialCode: "M26", sha256: "form", byteCount: 10)
        guard case let .filed(records) = try await rig.desk.submit(draftID: draft.id) else { Issue.record("not filed"); return }
        #expect(records.first?.number == "370481-TZ01-20261123-00001")
    }

    @Test func deferrableMaterialNeedsTheCommitmentThenIsAcceptedConditionally() async throws {
        let rig = try FrontDeskRig(at: "2026-11-23 10:00")
        let draft = try await rig.draft(.item(FrontDeskRig.veteranCard), supplying: ["M02", "M05", "M30"])
        guard case let .commitmentRequired(deferred) = try await rig.desk.submit(draftID: draft.id) else { Issue.record("no commitment asked"); return }
        #expect(deferred.map(\.code) == ["M31"])
        #expect(try rig.count("filing") == 0)

        guard case let .filed(records) = try await rig.desk.submit(draftID: draft.id, commitmentSigned: true) else { Issue.record("not filed"); return }
        let filing = try #require(records.first)
        #expect(filing.status == .conditionallyAccepted)
        #expect(filing.promisedDeadline == CivilDate(iso: "2026-12-14"))   // 15 working days after Mon 11-23
        #expect(filing.deferred.map(\.code) == ["M31"])
        #expect(filing.deferred.first?.deadline == CivilDate(iso: "2026-11-30"))  // 5 working days
        let trail = try await rig.desk.auditTrail(subject: "filing:\(filing.number!)")
        #expect(trail.last?.to == "conditionallyAccepted")
        #expect(trail.last?.reason?.contains("近期正面免冠白底彩色证件照片") == true)
    }

    @Test func afterHoursOnFridayCountsFromMonday() async throws {
        let rig = try FrontDeskRig(at: "2026-11-27 18:30")  // Friday after closing
        let records = try await rig.file(.item(FrontDeskRig.birthRegistration), supplying: ["M03", "M02", "M26"])
        #expect(records.first?.number == "370481-TZ01-20261127-00001")  // numbered on the calendar day
        #expect(records.first?.receivedDay == CivilDate(iso: "2026-11-30"))
        #expect(records.first?.promisedDeadline == CivilDate(iso: "2026-12-01"))
    }

    @Test func itemsNotOfferedAtKiosksAndUnknownCodesAreRefused() async throws {
        let rig = try FrontDeskRig()
        await #expect(throws: FrontDeskError.self) { try await rig.desk.openDraft(subject: .item(FrontDeskRig.idCardRenewal), applicant: FrontDeskRig.zhang) }
        await #expect(throws: FrontDeskError.self) { try await rig.desk.openDraft(subject: .item("NOPE"), applicant: FrontDeskRig.zhang) }
        let draft = try await rig.desk.openDraft(subject: .item(FrontDeskRig.birthRegistration), applicant: FrontDeskRig.zhang)
        await #expect(throws: FrontDeskError.self) { try await rig.desk.addPage(draftID: draft.id, materialCode: "M99", sha256: "x", byteCount: 1) }
    }

    @Test func aBundleAsksSharedMaterialsOnceAndFilesEachItemWithItsOwnNumber() async throws {
        let rig = try FrontDeskRig()
        let draft = try await rig.draft(.bundle(FrontDeskRig.newbornBundle), supplying: ["M03", "M02", "M26"])
        let codes = draft.slots.map(\.requirement.material.code)
        #expect(codes.count == Set(codes).count)
        // M12 (the 医保 参保登记表) is answered on the screen (一表申请), not photographed.
        #expect(Set(codes) == ["M03", "M01", "M02", "M04", "M26", "M11"])
        #expect(draft.slots.first { $0.requirement.material.code == "M03" }?.requirement.need == .required)
        #expect(draft.slots.first { $0.requirement.material.code == "M02" }?.requirement.itemCodes.count == 2)

        guard case let .filed(records) = try await rig.desk.submit(draftID: draft.id) else { Issue.record("not filed"); return }
        #expect(records.map(\.number) == ["370481-TZ01-20261123-00001", "370481-TZ01-20261123-00002"])
        #expect(records.map(\.itemCode) == [FrontDeskRig.birthRegistration, FrontDeskRig.medicalInsurance])
        #expect(records.allSatisfy { $0.bundleCode == FrontDeskRig.newbornBundle })
        #expect(Set(records.map(\.progressToken)).count == 2)
        let payloads = try await rig.store.pool.read { db in try String.fetchAll(db, sql: "SELECT payload FROM outbox WHERE kind = 'filing' ORDER BY id") }
        #expect(payloads.count == 2)
        #expect(payloads[0].contains("\"siblingNumbers\":[\"370481-TZ01-20261123-00002\"]"))
        let progress = try await #require(try rig.desk.progress(token: records[1].progressToken))
        #expect(progress.bundleName == "新生儿出生“一件事”")
    }

    @Test func materialsSuppliedBeforeAreReusedForTheSameApplicantOnly() async throws {
        let rig = try FrontDeskRig()
        let first = try await rig.file(.item(FrontDeskRig.birthRegistration), supplying: ["M03", "M02", "M26"])
        let again = try await rig.desk.openDraft(subject: .item(FrontDeskRig.medicalInsurance), applicant: FrontDeskRig.zhang)
        #expect(again.slots.first { $0.requirement.material.code == "M02" }?.held == .earlierFiling(number: first[0].number!))
        let other = try await rig.desk.openDraft(subject: .item(FrontDeskRig.medicalInsurance), applicant: FrontDeskRig.li)
        #expect(other.slots.first { $0.requirement.material.code == "M02" }?.held == nil)
        // Only the form is still needed from 张三 (answered on the screen: 一表申请).
        _ = try await rig.desk.saveFormAnswers(draftID: again.id, answers: FrontDeskRig.sampleAnswers(#require(again.form), draft: again))
        guard case .filed = try await rig.desk.submit(draftID: again.id) else { Issue.record("held materials were asked again"); return }
    }

    @Test func abandoningASessionsDraftsReleasesTheirPagesAndForgetsTheApplicant() async throws {
        let rig = try FrontDeskRig()
        let draft = try await rig.draft(.item(FrontDeskRig.birthRegistration), supplying: ["M03"])
        let released = try await rig.desk.abandonDrafts(sessionID: "s-1")
        #expect(released == ["page-M03-0-\(draft.id)"])
        #expect(try rig.count("draftPage") == 0)
        let applicant = try await rig.store.pool.read { db in try String.fetchOne(db, sql: "SELECT applicant FROM draft WHERE id = ?", arguments: [draft.id]) }
        #expect(applicant == "{}")
        await #expect(throws: FrontDeskError.self) { try await rig.desk.submit(draftID: draft.id) }
    }
}

@Suite struct FilingNumberingTests {
    @Test func numbersContinueAcrossRestartsAndNeverRepeatWhenTheClockStepsBack() async throws {
        let rig = try FrontDeskRig(at: "2026-11-24 10:00")
        var numbers: [String] = []
        await numbers += try rig.file(.item(FrontDeskRig.birthRegistration), supplying: ["M03", "M02", "M26"]).compactMap(\.number)
        try rig.restart()
        await numbers += try rig.file(.item(FrontDeskRig.birthRegistration), for: FrontDeskRig.li, supplying: ["M03", "M02", "M26"]).compactMap(\.number)
        rig.setTime("2026-11-22 09:30")   // the clock jumps two days back
        try rig.restart()
        await numbers += try rig.file(.item(FrontDeskRig.medicalInsurance), supplying: []).compactMap(\.number)
        rig.setTime("2026-11-25 09:30")
        await numbers += try rig.file(.item(FrontDeskRig.medicalInsurance), for: FrontDeskRig.li, supplying: []).compactMap(\.number)
        #expect(numbers == ["370481-TZ01-20261124-00001", "370481-TZ01-20261124-00002",
                            "370481-TZ01-20261124-00003", "370481-TZ01-20261125-00001"])
    }
}

@Suite struct LifecycleTests {
    @Test func theStoreRefusesWhatTheTableRefusesAndRecordsWhatItAllows() async throws {
        let rig = try FrontDeskRig()
        let number = try await #require(try rig.file(.item(FrontDeskRig.veteranCard), supplying: ["M02", "M05", "M30", "M31"])[0].number)
        await #expect(throws: FrontDeskError.self) { try await rig.desk.apply(.deliver(.mailed), toFiling: number, by: .platform) }
        let refusal = await #expect(throws: FrontDeskError.self) { try await rig.desk.apply(.conclude(.approved), toFiling: number, by: .kiosk) }
        #expect(refusal.map { "\($0)" } == "\(FilingTransitionError.notPermitted(actor: .kiosk, event: .conclude(.approved)))")
        await #expect(try rig.desk.apply(.startHandling, toFiling: number, by: .platform) == .inProgress)
        await #expect(try rig.desk.apply(.suspend, toFiling: number, by: .platform, reason: "专家评审") == .suspended)
        await #expect(try rig.desk.apply(.resume, toFiling: number, by: .platform) == .inProgress)
        rig.setTime("2026-11-26 15:00")
        await #expect(try rig.desk.apply(.conclude(.approved), toFiling: number, by: .platform) == .concluded(.approved))
        await #expect(try rig.desk.apply(.deliver(.collected), toFiling: number, by: .staff) == .delivered(.collected))
        let filing = try await rig.desk.filing(number: number)
        #expect(filing.concludedDay == CivilDate(iso: "2026-11-26"))
        #expect(filing.light == nil)
        await #expect(try rig.desk.auditTrail(subject: "filing:\(number)").map(\.to) ==
            ["submitted", "accepted", "inProgress", "suspended", "inProgress", "concluded.approved", "delivered.collected"])
        await #expect(try rig.desk.verifyAudit().isIntact)
    }

    @Test func theProgressViewShowsHistoryWithoutPersonalData() async throws {
        let rig = try FrontDeskRig()
        let filing = try await rig.file(.item(FrontDeskRig.birthRegistration), supplying: ["M03", "M02", "M26"])[0]
        try await rig.desk.apply(.startHandling, toFiling: filing.number!, by: .platform, reason: "承办人：王五 13800000000")
        let progress = try await #require(try rig.desk.progress(token: filing.progressToken))
        #expect(progress.statusName == "审核办理中")
        #expect(progress.history.map(\.status) == ["submitted", "accepted", "inProgress"])
        #expect(progress.history.last?.by == "审批部门")
        let json = String(decoding: try JSONEncoder().encode(progress), as: UTF8.self)
        for secret in ["张三", "11010519491231002X", "王五", "13800000000"] { #expect(!json.contains(secret)) }
        await #expect(try rig.desk.progress(token: "00000000000000000000000000") == nil)
        await #expect(try rig.desk.progress(token: "../../etc/passwd") == nil)
    }
}
