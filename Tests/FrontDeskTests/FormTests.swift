import Foundation
import FrontDesk
import GRDB
import KioskTestSupport
@_spi(StoreTesting) import Store
import Testing
import Workflow

/// 一表申请 / 一张表单 at the front desk: the merged form of a bundle, answers checked per field,
/// submit refused while a required field is unanswered, each filing carrying its item's answers.
@Suite struct FormTests {
    static let withCard = Applicant(name: "王芳", idNumber: "37048119900101002X", documentKind: "resident", verifiedByCard: true,
                                    card: CardFacts(sex: "女", nation: "汉", birthDate: "1990-01-01", address: "山东省滕州市荆河街道善国北路12号"))

    /// The workflow rule that refused `body`, nil when it did not throw one.
    static func refusal(_ body: () async throws -> Void) async -> WorkflowError? {
        do {
            try await body()
            return nil
        } catch let error as FrontDeskError {
            if case let .workflow(rule) = error { return rule }
            return nil
        } catch {
            return nil
        }
    }

    @Test func aBundleFormAsksEachSharedFieldOnceAndPrefillsFromTheCard() async throws {
        let rig = try FrontDeskRig()
        let draft = try await rig.desk.openDraft(subject: .bundle(FrontDeskRig.insuranceBundle), applicant: Self.withCard, sessionID: "s-1")
        let form = try #require(draft.form)
        let keys = form.fields.map(\.field.key)
        #expect(keys.count == Set(keys).count)
        for shared in ["applicantName", "idNumber", "householdAddress", "phone"] {
            #expect(form.fields.first { $0.field.key == shared }?.itemCodes == [FrontDeskRig.pensionEnrolment, FrontDeskRig.medicalInsurance])
        }
        #expect(form.fields.first { $0.field.key == "contributionLevel" }?.itemCodes == [FrontDeskRig.pensionEnrolment])
        #expect(form.fields.first { $0.field.key == "insuredCategory" }?.itemCodes == [FrontDeskRig.medicalInsurance])
        // The paper forms the online form replaces are not asked for.
        #expect(!draft.slots.contains { ["M10", "M12"].contains($0.requirement.material.code) })
        // The card fills the identity (locked) and the address (editable); the ID number derives nothing else.
        let answers = draft.formAnswers
        #expect(answers["idNumber"] == .text("37048119900101002X"))
        #expect(answers["sex"] == .text("女"))
        #expect(answers["birthDate"] == .text("1990-01-01"))
        #expect(answers["householdAddress"] == .text("山东省滕州市荆河街道善国北路12号"))
        #expect(draft.isLocked(field: "idNumber") && draft.isLocked(field: "applicantName"))
        #expect(!draft.isLocked(field: "householdAddress"))
        #expect(form.missing(in: answers) == ["phone", "contributionLevel", "receivesOtherPension", "insuredCategory", "hasEmployeeInsurance"])
    }

    @Test func answersAreCheckedPerFieldAndEachRefusalNamesItsKeys() async throws {
        let rig = try FrontDeskRig()
        let draft = try await rig.desk.openDraft(subject: .bundle(FrontDeskRig.insuranceBundle), applicant: Self.withCard, sessionID: "s-1")
        let bad = await Self.refusal {
            _ = try await rig.desk.saveFormAnswers(draftID: draft.id, answers: ["phone": .text("12345"), "contributionLevel": .text("250"),
                                                                                "receivesOtherPension": .text("maybe"), "insuredCategory": .text("新生儿")])
        }
        guard case let .invalidFormAnswers(problems)? = bad else { Issue.record("bad answers: \(String(describing: bad))"); return }
        #expect(problems.map(\.key) == ["phone", "contributionLevel", "receivesOtherPension"])
        #expect(problems.map(\.reason) == [.notAPhone, .notAnOption, .wrongType])
        #expect(problems[0].message == "联系电话请填写11位手机号码或带区号的固定电话")
        // Nothing of a refused save was kept (insuredCategory was valid but came with the others).
        #expect(try await rig.desk.draft(id: draft.id).savedAnswers.isEmpty)
        let unknown = await Self.refusal { _ = try await rig.desk.saveFormAnswers(draftID: draft.id, answers: ["shoeSize": .number(42)]) }
        #expect(unknown == .unknownFormFields(["shoeSize"]))
        let locked = await Self.refusal {
            _ = try await rig.desk.saveFormAnswers(draftID: draft.id, answers: ["idNumber": .text("11010519491231002X")])
        }
        #expect(locked == .formFieldsLocked(["idNumber"]))
        let saved = try await rig.desk.saveFormAnswers(draftID: draft.id, answers: ["phone": .text(" 138 0000 0000 "), "householdAddress": .text("山东省滕州市北辛街道1号")])
        #expect(saved.savedAnswers["phone"] == .text("13800000000"))
        #expect(saved.formAnswers["householdAddress"] == .text("山东省滕州市北辛街道1号"))
        // null clears an answer.
        let cleared = try await rig.desk.saveFormAnswers(draftID: draft.id, answers: ["phone": nil])
        #expect(cleared.savedAnswers["phone"] == nil)
    }

    @Test func submitRefusesAnIncompleteFormAndFilesNothing() async throws {
        let rig = try FrontDeskRig()
        let draft = try await rig.draft(.bundle(FrontDeskRig.insuranceBundle), supplying: ["M02"], answeringForm: false)
        _ = try await rig.desk.saveFormAnswers(draftID: draft.id, answers: ["phone": .text("13800000000")])
        let refused = await Self.refusal { _ = try await rig.desk.submit(draftID: draft.id) }
        guard case let .formIncomplete(missing)? = refused else { Issue.record("submitted: \(String(describing: refused))"); return }
        #expect(missing.map(\.key) == ["householdAddress", "contributionLevel", "receivesOtherPension", "insuredCategory", "hasEmployeeInsurance"])
        #expect(missing[0].message == "请填写户籍地址")
        #expect(try rig.count("filing") == 0)
        #expect(try rig.count("outbox") == 0)
    }

    @Test func eachFilingOfTheBundleCarriesItsItemsAnswersAndTheWipeForgetsThem() async throws {
        let rig = try FrontDeskRig()
        let draft = try await rig.draft(.bundle(FrontDeskRig.insuranceBundle), supplying: ["M02"], answeringForm: false)
        _ = try await rig.desk.saveFormAnswers(draftID: draft.id, answers: [
            "phone": .text("13800000000"), "householdAddress": .text("山东省滕州市北辛街道1号"), "contributionLevel": .text("500"),
            "receivesOtherPension": .yesNo(false), "insuredCategory": .text("城乡居民"), "hasEmployeeInsurance": .yesNo(false),
        ])
        guard case let .filed(records) = try await rig.desk.submit(draftID: draft.id) else { Issue.record("not filed"); return }
        #expect(records.count == 2)
        let payloads = try await rig.store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT payload FROM outbox WHERE kind = 'filing' ORDER BY id")
        }
        let messages = try payloads.map { try JSONDecoder.iso.decode(FilingMessage.self, from: Data($0.utf8)) }
        let pension = try #require(messages.first { $0.itemCode == FrontDeskRig.pensionEnrolment }?.form)
        let medical = try #require(messages.first { $0.itemCode == FrontDeskRig.medicalInsurance }?.form)
        // 张三's card facts are not known here: sex and birth date come from the ID number, the nation (optional) stays unanswered.
        #expect(pension.map(\.key) == ["applicantName", "idNumber", "sex", "birthDate", "householdAddress", "phone",
                                       "contributionLevel", "receivesOtherPension"])
        #expect(pension.first { $0.key == "birthDate" }?.value == .text("1949-12-31"))
        #expect(pension.contains { $0.key == "contributionLevel" && $0.value == .text("500") })
        #expect(!pension.contains { $0.key == "insuredCategory" })
        #expect(medical.map(\.key) == ["applicantName", "idNumber", "householdAddress", "phone", "insuredCategory", "hasEmployeeInsurance"])
        // The shared answers, given once, go to both filings; the ID number whole (upstream only).
        for form in [pension, medical] {
            #expect(form.first { $0.key == "phone" }?.value == .text("13800000000"))
            #expect(form.first { $0.key == "idNumber" }?.value == .text(FrontDeskRig.zhang.idNumber))
        }
        #expect(medical.first { $0.key == "hasEmployeeInsurance" } == FormAnswer(key: "hasEmployeeInsurance", label: "是否已参加职工基本医疗保险",
                                                                                 type: .yesNo, value: .yesNo(false)))

        // An abandoned draft's answers are wiped with its applicant.
        let open = try await rig.desk.openDraft(subject: .item(FrontDeskRig.medicalInsurance), applicant: FrontDeskRig.li, sessionID: "s-2")
        _ = try await rig.desk.saveFormAnswers(draftID: open.id, answers: ["phone": .text("13900000000")])
        let stored = { (id: String) in
            try await rig.store.pool.read { db in try String.fetchOne(db, sql: "SELECT formAnswers FROM draft WHERE id = ?", arguments: [id]) }
        }
        #expect(try await stored(open.id)?.contains("13900000000") == true)
        try await rig.desk.abandonDrafts(sessionID: "s-2")
        #expect(try await stored(open.id) == nil)
    }
}

extension FormTests {
    @Test(arguments: [
        (FormFieldType.phone, "0632-5512260", true), (.phone, "06325512260", true), (.phone, "13800000000", true), (.phone, "010-12345678", true),
        (.phone, "12345", false), (.phone, "0632--5512260", false), (.phone, "0632-551226", false), (.phone, "23800000000", false),
        (.date, "2024-02-29", true), (.date, "2023-02-29", false), (.date, "2024-2-3", false), (.date, "20240203", false),
        (.idNumber, "11010519491231002X", true), (.idNumber, "110105194912310021", false),
    ])
    func eachTypeChecksItsShape(_ type: FormFieldType, _ text: String, _ accepted: Bool) {
        let field = FormField(key: "f", label: "某项", type: type)
        #expect((ApplicationForm.check(field, .text(text)) == nil) == accepted)
    }

    /// A crash leaves an open draft no live session owns: the start-up sweep wipes its answers with it.
    @Test func theCrashSweepWipesAnOrphanDraftsAnswers() async throws {
        let rig = try FrontDeskRig()
        let draft = try await rig.desk.openDraft(subject: .bundle(FrontDeskRig.insuranceBundle), applicant: Self.withCard, sessionID: "gone")
        _ = try await rig.desk.saveFormAnswers(draftID: draft.id, answers: ["phone": .text("13900000000"), "householdAddress": .text("山东省滕州市北辛街道2号")])
        try rig.restart()   // as after a crash: the session is gone with the process
        rig.setTime("2026-11-23 10:05")
        let (wiped, _) = try await rig.desk.abandonOrphanDrafts(liveSessionIDs: [], createdBefore: FrontDeskRig.date("2026-11-23 10:05"))
        #expect(wiped == 1)
        let row = try await rig.store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT formAnswers, applicant, state FROM draft WHERE id = ?", arguments: [draft.id])
        }
        #expect(row?["formAnswers"] as String? == nil)
        #expect(row?["applicant"] as String? == "{}")
        #expect(row?["state"] as String? == "abandoned")
    }
}

extension JSONDecoder {
    /// The outbox's stored JSON (ISO 8601 dates).
    static var iso: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
