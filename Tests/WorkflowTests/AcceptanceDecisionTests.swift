import KioskTestSupport
import Testing
@testable import Workflow

@Suite("Acceptance decision (受理决定): every branch")
struct AcceptanceDecisionTests {
    typealias F = WFFixtures

    // Item A allows 容缺受理; promised 5 working days.
    static let idCard = F.material("ID", "居民身份证", pages: 2, source: .governmentIssued, electronicLicence: "居民身份证")
    static let licensing = F.item("A001", "个体工商户设立登记", materials: [
        idCard,
        F.material("FORM", "设立登记申请书", pages: 1, sampleForm: "A001-样表.pdf"),
        F.material("LEASE", "经营场所使用证明", need: .deferrable, pages: 3, deferral: ("受理后邮寄或到窗口补交", 3)),
        F.material("PHOTO", "经营者照片", need: .optional),
        F.material("LIC", "前置许可证明", need: .deferrable, pages: 1, deferral: ("到窗口补交", 10)),
    ], allowsDeferral: true, promised: TimeLimit(value: 5, unit: .workingDays))

    // Item B shares ID and LEASE but does not allow 容缺受理; promised 10 working days.
    static let food = F.item("B002", "食品经营许可", materials: [
        idCard,
        F.material("FORM2", "食品经营许可申请书"),
        F.material("LEASE", "经营场所使用证明", need: .deferrable, pages: 4, deferral: ("到窗口补交", 3)),
    ], allowsDeferral: false, promised: TimeLimit(value: 10, unit: .workingDays))

    // Item C shares LEASE with A and also allows 容缺受理, same 5-day promise.
    static let hygiene = F.item("C003", "公共场所卫生许可", materials: [
        idCard,
        F.material("LEASE", "经营场所使用证明", need: .deferrable, pages: 3, deferral: ("受理后邮寄或到窗口补交", 3)),
    ], allowsDeferral: true, promised: TimeLimit(value: 5, unit: .workingDays))

    static var licensingWithoutDeferral: ServiceItem { var i = licensing; i.allowsDeferredMaterials = false; return i }
    static var licensingWithLICWithoutTerms: ServiceItem {
        var i = licensing; i.materials[4].deferral = nil; return i
    }
    static let blankPages = F.item("Z009", "零页材料事项", materials: [F.material("SIGN", "签名确认", pages: 0)])

    static let all: [String: Int] = ["ID": 2, "FORM": 1, "LEASE": 4, "PHOTO": 1, "LIC": 1, "FORM2": 1]
    static func all(except codes: String..., overriding: [String: Int] = [:]) -> [String: Int] {
        var pages = all
        for c in codes { pages[c] = nil }
        return pages.merging(overriding) { _, new in new }
    }

    // Submitted Friday 2026-02-13 10:00 → received 02-13; A/C promised 5 W → 02-27 (14, 24, 25, 26, 27);
    // B promised 10 W → 03-05. Deferrals: LEASE 3 W → 02-25; LIC 10 W → 03-05, capped at 02-27.
    static let friday = moment("2026-02-13", "10:00")
    static let received = civil("2026-02-13")
    static let promisedA = civil("2026-02-27"), promisedB = civil("2026-03-05")
    static let leaseA = DeferredMaterial(code: "LEASE", name: "经营场所使用证明", howToSupply: "受理后邮寄或到窗口补交", deadline: civil("2026-02-25"))
    static let licA = DeferredMaterial(code: "LIC", name: "前置许可证明", howToSupply: "到窗口补交", deadline: civil("2026-02-27"))

    static func missing(_ m: Material, supplied: Int = 0, pagesExpected: Int? = nil, for items: [ServiceItem]) -> MissingMaterial {
        MissingMaterial(code: m.code, name: m.name, pagesExpected: pagesExpected ?? max(1, m.pages), pagesSupplied: supplied,
                        acceptanceStandard: m.acceptanceStandard, forItems: items.map(\.name))
    }
    static func mat(_ item: ServiceItem, _ code: String) -> Material { item.materials.first { $0.code == code }! }
    static func accepted(_ item: ServiceItem, promised: String = "2026-02-27", deferred: [DeferredMaterial] = []) -> ItemDecision {
        ItemDecision(itemCode: item.implementationCode, status: deferred.isEmpty ? .accepted : .conditionallyAccepted,
                     receivedDay: received, promisedDeadline: civil(promised), deferred: deferred)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let items: [ServiceItem]
        let pages: [String: Int]
        var held: [String: HeldMaterialSource] = [:]
        var signed = false
        var at = AcceptanceDecisionTests.friday
        let expected: AcceptanceDecision
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "everything supplied → accepted", items: [licensing], pages: all, expected: .submit([accepted(licensing)])),
        Case(name: "everything supplied, commitment signed anyway → accepted", items: [licensing], pages: all, signed: true,
             expected: .submit([accepted(licensing)])),
        Case(name: "optional material missing is fine", items: [licensing], pages: all(except: "PHOTO"),
             expected: .submit([accepted(licensing)])),
        Case(name: "deferrable missing + commitment → conditionally accepted, deadlines min(own, promised)",
             items: [licensing], pages: all(except: "LEASE", "LIC"), signed: true,
             expected: .submit([accepted(licensing, deferred: [leaseA, licA])])),
        Case(name: "deferrable missing without commitment → commitment required", items: [licensing],
             pages: all(except: "LEASE", "LIC"), expected: .commitmentRequired(deferred: [leaseA, licA])),
        Case(name: "too few pages of a deferrable material counts as missing", items: [licensing],
             pages: all(overriding: ["LEASE": 2]), signed: true,
             expected: .submit([accepted(licensing, deferred: [leaseA])])),
        Case(name: "deferrable missing but the item does not allow deferral → incomplete", items: [licensingWithoutDeferral],
             pages: all(except: "LEASE"), signed: true,
             expected: .incomplete(missing: [missing(mat(licensing, "LEASE"), for: [licensing])])),
        Case(name: "deferrable material without deferral terms counts as required", items: [licensingWithLICWithoutTerms],
             pages: all(except: "LIC"), signed: true,
             expected: .incomplete(missing: [missing(mat(licensing, "LIC"), for: [licensing])])),
        Case(name: "required missing → incomplete listing exactly the required ones, in material order",
             items: [licensing], pages: all(except: "FORM", "LEASE", "PHOTO", overriding: ["ID": 1]), signed: true,
             expected: .incomplete(missing: [missing(idCard, supplied: 1, for: [licensing]),
                                             missing(mat(licensing, "FORM"), for: [licensing])])),
        Case(name: "too few pages of a required material counts as missing", items: [licensing],
             pages: all(overriding: ["ID": 1]),
             expected: .incomplete(missing: [missing(idCard, supplied: 1, for: [licensing])])),
        Case(name: "a material of 0 pages still needs one page", items: [blankPages], pages: [:],
             expected: .incomplete(missing: [MissingMaterial(code: "SIGN", name: "签名确认", pagesExpected: 1, pagesSupplied: 0,
                                                             acceptanceStandard: "签名确认原件扫描，清晰完整", forItems: ["零页材料事项"])])),
        Case(name: "a material of 0 pages with one page is supplied", items: [blankPages], pages: ["SIGN": 1],
             expected: .submit([ItemDecision(itemCode: "Z009", status: .accepted, receivedDay: received,
                                             promisedDeadline: promisedA, deferred: [])])),
        Case(name: "held materials (electronic licence, earlier filing) count as supplied", items: [licensing],
             pages: all(except: "ID", "FORM", "LEASE"),
             held: ["ID": .electronicLicence(type: "居民身份证", reference: "SAM-0001"),
                    "FORM": .earlierFiling(number: "370481-TZ01-20260210-00003"),
                    "LEASE": .earlierFiling(number: "370481-TZ01-20260210-00003")],
             expected: .submit([accepted(licensing)])),
        Case(name: "held beats too few pages", items: [licensing], pages: all(overriding: ["ID": 1]),
             held: ["ID": .electronicLicence(type: "居民身份证", reference: "SAM-0001")],
             expected: .submit([accepted(licensing)])),
        Case(name: "after hours on Friday 02-13 → received 02-14 (调休), promised 02-28, LEASE by 02-26",
             items: [licensing], pages: all(except: "LEASE"), signed: true, at: moment("2026-02-13", "18:00"),
             expected: .submit([ItemDecision(itemCode: "A001", status: .conditionallyAccepted, receivedDay: civil("2026-02-14"),
                                             promisedDeadline: civil("2026-02-28"),
                                             deferred: [DeferredMaterial(code: "LEASE", name: "经营场所使用证明",
                                                                         howToSupply: "受理后邮寄或到窗口补交", deadline: civil("2026-02-26"))])])),
        // Bundles (一件事): one submission.
        Case(name: "bundle, everything supplied → every item accepted with its own deadline", items: [licensing, food], pages: all,
             expected: .submit([accepted(licensing), accepted(food, promised: "2026-03-05")])),
        Case(name: "bundle, shared material missing is listed once for both items", items: [licensing, food],
             pages: all(except: "ID"),
             expected: .incomplete(missing: [missing(idCard, for: [licensing, food])])),
        Case(name: "bundle, one item blocked → the whole bundle is incomplete", items: [licensing, food],
             pages: all(except: "FORM2"), signed: true,
             expected: .incomplete(missing: [missing(mat(food, "FORM2"), for: [food])])),
        Case(name: "bundle, LEASE deferrable for A but required for B → incomplete for B only", items: [licensing, food],
             pages: all(except: "LEASE"), signed: true,
             expected: .incomplete(missing: [missing(mat(food, "LEASE"), for: [food])])),
        Case(name: "bundle, 3 LEASE pages satisfy A (3) but not B (4)", items: [licensing, food],
             pages: all(overriding: ["LEASE": 3]), signed: true,
             expected: .incomplete(missing: [missing(mat(food, "LEASE"), supplied: 3, for: [food])])),
        Case(name: "bundle, shared required material missing with 3 and 4 pages expects the larger", items: [licensingWithoutDeferral, food],
             pages: all(except: "LEASE"), signed: true,
             expected: .incomplete(missing: [MissingMaterial(code: "LEASE", name: "经营场所使用证明", pagesExpected: 4, pagesSupplied: 0,
                                                             acceptanceStandard: mat(licensing, "LEASE").acceptanceStandard,
                                                             forItems: ["个体工商户设立登记", "食品经营许可"])])),
        Case(name: "bundle, shared deferrable without commitment is listed once", items: [licensing, hygiene],
             pages: all(except: "LEASE"), expected: .commitmentRequired(deferred: [leaseA])),
        Case(name: "bundle, shared deferrable with commitment → each item conditionally accepted", items: [licensing, hygiene],
             pages: all(except: "LEASE"), signed: true,
             expected: .submit([accepted(licensing, deferred: [leaseA]), accepted(hygiene, deferred: [leaseA])])),
    ]

    @Test(arguments: cases)
    func decide(_ c: Case) {
        let decision = AcceptanceDecision.decide(items: c.items, supplied: SuppliedMaterials(pagesByMaterial: c.pages, held: c.held),
                                                 commitmentSigned: c.signed, submittedAt: c.at, deadlines: F.deadlines)
        #expect(decision == c.expected)
    }

    /// Every deferred deadline in a decision lies between the received day and that item's promised deadline.
    @Test func deferredDeadlinesStayWithinThePromise() {
        var rng = SplitMix64(seed: 42)
        let start = civil("2026-01-01")
        for _ in 0..<500 {
            var item = Self.licensing
            item.promisedTimeLimit = TimeLimit(value: Int.random(in: 0...15, using: &rng), unit: Bool.random(using: &rng) ? .workingDays : .naturalDays)
            item.materials[2].deferral?.withinWorkingDays = Int.random(in: 0...20, using: &rng)
            item.materials[4].deferral?.withinWorkingDays = Int.random(in: 0...20, using: &rng)
            let at = HallMoment(day: start.adding(days: Int.random(in: 0..<720, using: &rng)), minuteOfDay: Int.random(in: 0..<1440, using: &rng))
            let decision = AcceptanceDecision.decide(items: [item], supplied: SuppliedMaterials(pagesByMaterial: Self.all(except: "LEASE", "LIC")),
                                                     commitmentSigned: true, submittedAt: at, deadlines: F.deadlines)
            guard case let .submit(decisions) = decision, let d = decisions.first else {
                Issue.record("expected a submission, got \(decision)"); continue
            }
            #expect(d.status == .conditionallyAccepted)
            #expect(d.deferred.map(\.code) == ["LEASE", "LIC"])
            for m in d.deferred {
                #expect(m.deadline >= d.receivedDay && m.deadline <= d.promisedDeadline)
            }
        }
    }

    /// 一件事 notice: when a shared deferred material has different deadlines for the bundle's items
    /// (C promised in 2 W → LEASE by min(02-25, 02-24) = 02-24; A: 02-25), the commitment the applicant
    /// signs must show the earliest one, or one filing's deadline passes before the promised date.
    @Test func sharedDeferredMaterialShowsTheEarliestDeadline() {
        var quick = Self.hygiene
        quick.promisedTimeLimit = TimeLimit(value: 2, unit: .workingDays)  // 02-14, 02-24
        let decision = AcceptanceDecision.decide(items: [Self.licensing, quick],
                                                 supplied: SuppliedMaterials(pagesByMaterial: Self.all(except: "LEASE")),
                                                 commitmentSigned: false, submittedAt: Self.friday, deadlines: F.deadlines)
        var expected = Self.leaseA
        expected.deadline = civil("2026-02-24")
        // BUG: commitmentRequired keeps the first item's deadline for a shared material, not the earliest
        // (AcceptanceDecision.swift:124, `anyDeferred.filter { seen.insert($0.code).inserted }`).
        #expect(decision == .commitmentRequired(deferred: [expected]))
        // What each filing gets once signed: its own deadline.
        let signed = AcceptanceDecision.decide(items: [Self.licensing, quick],
                                               supplied: SuppliedMaterials(pagesByMaterial: Self.all(except: "LEASE")),
                                               commitmentSigned: true, submittedAt: Self.friday, deadlines: F.deadlines)
        guard case let .submit(decisions) = signed else { Issue.record("expected submit, got \(signed)"); return }
        #expect(decisions.map { $0.deferred.map(\.deadline) } == [[civil("2026-02-25")], [civil("2026-02-24")]])
        #expect(decisions.map(\.promisedDeadline) == [civil("2026-02-27"), civil("2026-02-24")])
    }

    @Test(arguments: [
        (0, 1, false), (1, 1, true), (0, 0, false), (1, 0, true), (2, 3, false), (3, 3, true), (7, 3, true),
    ])
    func suppliesCountsPages(_ supplied: Int, _ expectedPages: Int, _ ok: Bool) {
        let m = F.material("M", pages: expectedPages)
        #expect(SuppliedMaterials(pagesByMaterial: ["M": supplied]).supplies(m) == ok)
        // Held always supplies, whatever the pages.
        #expect(SuppliedMaterials(pagesByMaterial: ["M": supplied], held: ["M": .earlierFiling(number: "x")]).supplies(m))
        // Pages of another code do not count.
        #expect(!SuppliedMaterials(pagesByMaterial: ["N": 99]).supplies(m))
    }

    @Test func heldMaterialDescriptions() {
        #expect(HeldMaterialSource.earlierFiling(number: "370481-TZ01-20261122-00017").chineseDescription
                == "已在办件370481-TZ01-20261122-00017中提交，无需重复提交")
        #expect(HeldMaterialSource.electronicLicence(type: "居民身份证", reference: "r").chineseDescription == "使用居民身份证电子证照，免交纸质材料")
    }
}
