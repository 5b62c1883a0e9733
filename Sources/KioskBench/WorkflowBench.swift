import Foundation
import FrontDesk
import KioskConfig
import Store
import Workflow

/// Workflow figures: a durable submit (decision + numbering + audit + outbox in one transaction,
/// `synchronous=FULL`), issuing a queue ticket, and recomputing supervision lights for 100,000
/// open filings (target ≤ 1 s), both the pure computation and the full sweep on the store.
enum WorkflowBench {
    static func run(configDirectory: String, scratch: String) async throws {
        let configuration = try ConfigLoader.load(directory: configDirectory)
        let store = try KioskStore.open(directory: "\(scratch)/workflow")
        try store.claimIdentity(kioskID: configuration.settings.kiosk.id, regionCode: configuration.settings.kiosk.regionCode, now: SystemClock().now())
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_399_200))  // 2026-11-23 10:00 hall time (Monday)
        let desk = FrontDesk(configuration: configuration, store: store, clock: clock)
        let item = "11370481004396815B3707104001000001"  // 出生登记: M03, M01 (card), M02, M26

        var drafts: [String] = []
        for i in 0..<400 {
            let applicant = Applicant(name: "测试\(i)", idNumber: String(format: "1101051949%08d", i), verifiedByCard: true)
            let draft = try await desk.openDraft(subject: .item(item), applicant: applicant)
            for (code, pages) in [("M03", 1), ("M02", 2), ("M26", 1)] {
                for p in 0..<pages { try await desk.addPage(draftID: draft.id, materialCode: code, sha256: "\(code)-\(p)-\(i)", byteCount: 500_000) }
            }
            drafts.append(draft.id)
        }
        // What the hop to the store's own queue and back costs by itself (no SQL, no fsync): the
        // part of every figure below that keeps an fsync off the cooperative threads.
        await report("store round trip (an empty read)", try measure(400) { _ = try await store.read { _ in 0 } })
        var next = 0
        await report("submit a filing durably (decide+number+audit+outbox)", try measure(drafts.count) {
            guard case .filed = try await desk.submit(draftID: drafts[next]) else { throw BenchError("not filed") }
            next += 1
        })
        await report("issue a queue ticket (durable)", try measure(400) { _ = try await desk.issueTicket(category: "general") })
        let verifyStart = ContinuousClock.now
        let verification = try await desk.verifyAudit()
        print(String(format: "audit verify of %@: %.1f ms", verification.description as NSString,
                     (ContinuousClock.now - verifyStart).microseconds / 1000))

        // 100,000 open promised filings with deadlines spread over 2026–2027.
        let count = 100_000
        let today = CivilDate(iso: "2026-11-23")!
        let first = CivilDate(iso: "2026-01-05")!
        let deadlines = (0..<count).map { first.adding(days: ($0 * 7919) % 720) }
        let pure = try measure(5) {
            let index = WorkingDayIndex(calendar: configuration.calendar, from: first.adding(days: -1), through: first.adding(days: 760))
            var red = 0
            for d in deadlines where SupervisionLight.light(deadline: d, today: today, index: index) == .red { red += 1 }
            if red == 0 { throw BenchError("no red light among 100k") }
        }
        report("supervision lights, 100k filings (pure)", pure)

        // A quarter of them accepted 容缺 with a 结婚证 to follow, deadlines from 5 days ago to 34
        // days on (an eighth of those lapse at the first sweep: 退件 applied, audited, queued upstream);
        // 10,000 open 差评 rectifications with deadlines spread around today.
        let now = SystemClock().now()
        let lapsing = (0..<count).filter { $0 % 4 == 0 && today.adding(days: ($0 / 4) % 40 - 5) < today }.count
        try await store.write { tx in
            try tx.drafts.insert(id: "bench", subject: .item(item), sessionID: nil, applicantKey: "", applicantJSON: "{}", at: now)
            try tx.drafts.markSubmitted(id: "bench", commitmentSigned: false, mailTo: nil, at: now)
            for (i, d) in deadlines.enumerated() {
                let deferred = i % 4 == 0
                let owedBy = today.adding(days: (i / 4) % 40 - 5)
                _ = try tx.filings.insert(draftID: "bench", itemCode: item, bundleCode: nil, number: "370481-BENCH-20260101-\(i)",
                                          status: deferred ? .conditionallyAccepted : .inProgress, progressToken: "bench-token-\(i)",
                                          caseType: .promised, receivedDay: d.adding(days: -20), promisedDeadline: d, light: .green,
                                          deferred: deferred ? [DeferredMaterial(code: "M04", name: "结婚证", howToSupply: "到窗口补交",
                                                                                 deadline: owedBy, consequence: .withdraw)] : [], at: now)
            }
            for i in 0..<10_000 {
                let id = try tx.evaluations.insert(subject: .filing("370481-BENCH-20260101-\(i * 10 + 1)"), level: .veryDissatisfied,
                                                   comment: nil, channel: "screen", at: now)
                _ = try tx.evaluations.openRectification(evaluationID: id, deadline: today.adding(days: i % 20 - 10), at: now)
            }
        }
        let sweepClock = ContinuousClock()
        var start = sweepClock.now
        let firstSweep = try await desk.sweepSupervision()
        let firstMs = (sweepClock.now - start).microseconds / 1000
        start = sweepClock.now
        let steady = try await desk.sweepSupervision()
        let steadyMs = (sweepClock.now - start).microseconds / 1000
        start = sweepClock.now
        let due = try await desk.deferralsDueSoon()
        let overdue = try await desk.overdueRectifications()
        let deadlinesMs = (sweepClock.now - start).microseconds / 1000
        let total = firstSweep.counts.values.reduce(0, +) + firstSweep.lapsedDeferrals.count
        guard firstSweep.lapsedDeferrals.count == lapsing, steady.lapsedDeferrals.isEmpty else {
            throw BenchError("lapsed \(firstSweep.lapsedDeferrals.count) then \(steady.lapsedDeferrals.count), expected \(lapsing) then 0")
        }
        print(String(format: "supervision sweep on the store, %d open filings (%d with 补交 deadlines): first %.0f ms (%d lights changed, %d notices, %d 补交 lapsed → 退件), steady %.0f ms (%d changed)",
                     total, count / 4, firstMs, firstSweep.changed, firstSweep.newNotices.count, firstSweep.lapsedDeferrals.count,
                     steadyMs, steady.changed))
        print(String(format: "staff alerts' deadlines (补交 due by the next working day, overdue rectifications of 10,000 open): %.0f ms (%d due, %d overdue); sweep + deadlines steady: %.0f ms (target ≤ 1000)",
                     deadlinesMs, due.count, overdue.count, steadyMs + deadlinesMs))

        // With the merged forms (the figure), then the same bundle without any form, alternating, so
        // the forms' own cost shows on the same (possibly loaded) machine.
        for round in 0..<2 {
            try await bundleSubmit(configuration: configuration, scratch: scratch + "/forms-\(round)", withForms: true)
            try await bundleSubmit(configuration: configuration, scratch: scratch + "/plain-\(round)", withForms: false)
        }
    }

    /// A 5-item 一件事 submitted durably: five filings numbered, audited and queued with their pages
    /// and their merged form's answers (一表申请: every item has a form, the shared fields answered
    /// once) in one transaction (target ≤ 2 ms median).
    static func bundleSubmit(configuration: KioskConfiguration, scratch: String, withForms: Bool) async throws {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let store = try KioskStore.open(directory: "\(scratch)/bundle")
        try store.claimIdentity(kioskID: configuration.settings.kiosk.id, regionCode: configuration.settings.kiosk.regionCode, now: SystemClock().now())
        // Five kiosk items that accept with their required materials (no deferral asked), as one bundle.
        let items = configuration.catalogue.items.filter { $0.supportsKiosk }.prefix(5)
        guard items.count == 5 else { throw BenchError("the catalogue has fewer than 5 kiosk items") }
        let bundle = ServiceBundle(code: "BENCH-5", name: "五事项一件事（基准）", description: nil, itemCodes: items.map(\.implementationCode))
        var configuration = configuration
        configuration.bundles.append(bundle)
        // Every item of the bench bundle carries a form: the shipped ones (社保, 医保), and for the
        // others the shared identity/contact fields plus two of their own, so the bundle's one form
        // merges fields across all five and each filing carries its item's answers.
        let codes = Set(bundle.itemCodes)
        configuration.items = configuration.items.enumerated().map { index, item in
            guard codes.contains(item.implementationCode) else { return item }
            var item = item
            guard withForms else {
                // The comparison: no form at all (the paper form a shipped form replaces is then asked for again).
                item.form = nil
                return item
            }
            guard item.form == nil else { return item }
            item.form = ItemForm(fields: [
                FormField(key: "applicantName", label: "申请人姓名", type: .text, prefill: .name),
                FormField(key: "idNumber", label: "公民身份号码", type: .idNumber, prefill: .idNumber),
                FormField(key: "householdAddress", label: "户籍地址", type: .address, maxLength: 100, prefill: .address),
                FormField(key: "phone", label: "联系电话", type: .phone),
                FormField(key: "benchChoice\(index)", label: "办理方式", type: .choice, options: ["本人办理", "委托办理"]),
                FormField(key: "benchCount\(index)", label: "申请份数", type: .number, min: 1, max: 10),
            ])
            return item
        }
        let desk = FrontDesk(configuration: configuration, store: store, clock: ManualClock(Date(timeIntervalSince1970: 1_795_399_200)))
        guard let requirements = configuration.catalogue.materialList(for: .bundle(bundle.code)) else { throw BenchError("no bundle") }
        let form = configuration.catalogue.form(for: .bundle(bundle.code))
        var drafts: [String] = []
        for i in 0..<300 {
            let applicant = Applicant(name: "测试\(i)", idNumber: String(format: "3704811988%08d", i), verifiedByCard: true,
                                      card: CardFacts(sex: "男", nation: "汉", birthDate: "1988-01-01", address: "山东省滕州市荆河街道善国北路\(i)号"))
            let draft = try await desk.openDraft(subject: .bundle(bundle.code), applicant: applicant)
            for slot in draft.slots where slot.held == nil && slot.requirement.need != .optional {
                for p in 0..<max(1, slot.requirement.material.pages) {
                    try await desk.addPage(draftID: draft.id, materialCode: slot.requirement.material.code, sha256: "\(slot.requirement.material.code)-\(p)-\(i)", byteCount: 500_000)
                }
            }
            var answers: [String: FormValue?] = [:]
            for field in (form?.fields ?? []).map(\.field) where !draft.isLocked(field: field.key) && draft.formAnswers[field.key] == nil {
                answers[field.key] = switch field.type {
                case .choice: .text(field.options![0])
                case .number: .number(field.min ?? 1)
                case .yesNo: .yesNo(false)
                case .phone: .text("13800000000")
                case .date: .text("2020-01-01")
                case .idNumber: .text("11010519491231002X")
                case .text, .address: .text("山东省滕州市荆河街道1号")
                }
            }
            if form != nil { _ = try await desk.saveFormAnswers(draftID: draft.id, answers: answers) }
            drafts.append(draft.id)
        }
        var next = 0
        let what = form.map { "\(requirements.count) materials, \($0.fields.count) form fields" } ?? "\(requirements.count) materials, no form"
        report("submit a 5-item bundle durably (\(what))", try await measure(drafts.count) {
            guard case let .filed(records) = try await desk.submit(draftID: drafts[next], commitmentSigned: true), records.count == 5 else {
                throw BenchError("bundle not filed as five filings")
            }
            next += 1
        })
        // The form's own work inside each submit (the answers over the card's, every answer checked,
        // the required ones counted, each item's answers built and encoded), without the store: its
        // share of the figure above, which the machine's load blurs.
        if let form {
            let draft = try await desk.draft(id: drafts[0])
            let encoder = JSONEncoder()
            report("  of which the form's own work (check, answers, JSON)", try measure(1000) {
                let answers = draft.formAnswers
                guard form.problems(in: answers.filter { !draft.isLocked(field: $0.key) }).isEmpty, form.missing(in: answers).isEmpty else {
                    throw BenchError("the bench form is not complete")
                }
                for code in bundle.itemCodes {
                    let list = form.keys(of: code).compactMap { key in
                        answers[key].map { FormAnswer(key: key, label: form.field(key)!.label, type: form.field(key)!.type, value: $0) }
                    }
                    _ = try encoder.encode(list)
                }
            })
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
