import Testing
@testable import Workflow

@Suite("Catalogue: merged material lists and the one-time notice (一次性告知)")
struct CatalogueTests {
    typealias F = WFFixtures
    static let licensing = AcceptanceDecisionTests.licensing   // A001: ID, FORM, LEASE(deferrable, 3p), PHOTO(optional), LIC(deferrable)
    static let food = AcceptanceDecisionTests.food             // B002: ID, FORM2, LEASE(deferrable but no deferral allowed, 4p)
    static let hygiene = AcceptanceDecisionTests.hygiene       // C003: ID, LEASE(deferrable, 3p)

    static let catalogue = Catalogue(items: [licensing, food, hygiene], bundles: [
        ServiceBundle(code: "YJS-01", name: "我要开餐馆", description: "一件事", itemCodes: ["A001", "B002"]),
        ServiceBundle(code: "YJS-02", name: "我要开旅馆", description: nil, itemCodes: ["C003", "A001"]),
        ServiceBundle(code: "YJS-BAD", name: "缺事项", description: nil, itemCodes: ["A001", "NOPE"]),
    ])

    @Test func mergedForABundle() {
        let merged = MaterialRequirement.merged([Self.licensing, Self.food])
        #expect(merged.map(\.material.code) == ["ID", "FORM", "LEASE", "PHOTO", "LIC", "FORM2"])
        #expect(merged.map(\.itemCodes) == [["A001", "B002"], ["A001"], ["A001", "B002"], ["A001"], ["A001"], ["B002"]])
        // LEASE: deferrable for A, but B does not allow deferral → required for B → required overall.
        #expect(merged.map(\.need) == [.required, .required, .required, .optional, .deferrable, .required])
        // Pages: the larger of 3 and 4.
        #expect(merged.map(\.material.pages) == [2, 1, 4, 1, 1, 1])
        #expect(Self.catalogue.materialList(for: .bundle("YJS-01")) == merged)
    }

    @Test func mergedForOneItemIsItsOwnListWithEffectiveNeeds() {
        let merged = MaterialRequirement.merged([Self.food])
        #expect(merged.map(\.material) == Self.food.materials)
        #expect(merged.map(\.need) == [.required, .required, .required])  // LEASE: B refuses deferral
        #expect(merged.allSatisfy { $0.itemCodes == ["B002"] })
        #expect(MaterialRequirement.merged([]).isEmpty)
    }

    struct NeedCase: Sendable, CustomTestStringConvertible {
        let first: Material.Need, firstAllows: Bool, second: Material.Need, secondAllows: Bool, merged: Material.Need
        var testDescription: String { "\(first)\(firstAllows ? "" : "(no deferral)") + \(second)\(secondAllows ? "" : "(no deferral)") → \(merged)" }
    }

    /// required beats deferrable beats optional; a deferrable material of an item that does not
    /// allow deferral counts as required. Order of items does not matter.
    static let needCases: [NeedCase] = [
        .init(first: .optional, firstAllows: true, second: .optional, secondAllows: true, merged: .optional),
        .init(first: .optional, firstAllows: true, second: .deferrable, secondAllows: true, merged: .deferrable),
        .init(first: .optional, firstAllows: true, second: .required, secondAllows: true, merged: .required),
        .init(first: .deferrable, firstAllows: true, second: .deferrable, secondAllows: true, merged: .deferrable),
        .init(first: .deferrable, firstAllows: true, second: .required, secondAllows: true, merged: .required),
        .init(first: .deferrable, firstAllows: true, second: .deferrable, secondAllows: false, merged: .required),
        .init(first: .deferrable, firstAllows: false, second: .optional, secondAllows: true, merged: .required),
        .init(first: .optional, firstAllows: false, second: .optional, secondAllows: false, merged: .optional),
        .init(first: .required, firstAllows: false, second: .required, secondAllows: true, merged: .required),
    ]

    @Test(arguments: needCases)
    func strongestNeedWins(_ c: NeedCase) {
        func item(_ code: String, _ need: Material.Need, _ allows: Bool, pages: Int) -> ServiceItem {
            F.item(code, "事项\(code)", materials: [F.material("M", "共用材料", need: need, pages: pages,
                                                              deferral: need == .deferrable ? ("补交", 3) : nil)],
                   allowsDeferral: allows)
        }
        let x = item("X", c.first, c.firstAllows, pages: 2), y = item("Y", c.second, c.secondAllows, pages: 5)
        for (items, codes) in [([x, y], ["X", "Y"]), ([y, x], ["Y", "X"])] {
            let merged = MaterialRequirement.merged(items)
            #expect(merged.count == 1)
            #expect(merged.first?.need == c.merged)
            #expect(merged.first?.itemCodes == codes)
            #expect(merged.first?.material.pages == 5)
        }
    }

    @Test(arguments: [
        (Material.Need.required, true, true, Material.Need.required),
        (.optional, false, false, .optional),
        (.deferrable, true, true, .deferrable),
        (.deferrable, false, true, .required),    // item refuses 容缺
        (.deferrable, true, false, .required),    // no deferral terms
        (.deferrable, false, false, .required),
    ])
    func effectiveNeed(_ need: Material.Need, _ itemAllows: Bool, _ hasTerms: Bool, _ expected: Material.Need) {
        let m = F.material("M", need: need, deferral: hasTerms ? ("补交", 2) : nil)
        let item = F.item("I", "事项", materials: [m], allowsDeferral: itemAllows)
        #expect(MaterialRequirement.effectiveNeed(of: m, in: item) == expected)
    }

    @Test func itemsOfSubjects() {
        #expect(Self.catalogue.items(of: .item("B002"))?.map(\.implementationCode) == ["B002"])
        #expect(Self.catalogue.items(of: .bundle("YJS-01"))?.map(\.implementationCode) == ["A001", "B002"])
        #expect(Self.catalogue.items(of: .bundle("YJS-02"))?.map(\.implementationCode) == ["C003", "A001"])  // bundle order
        #expect(Self.catalogue.items(of: .bundle("YJS-BAD")) == nil)  // an unknown item in the bundle
        #expect(Self.catalogue.items(of: .bundle("NOPE")) == nil)
        #expect(Self.catalogue.items(of: .item("NOPE")) == nil)
        #expect(Self.catalogue.items(of: .item("YJS-01")) == nil)     // a bundle code is not an item
        #expect(Self.catalogue.materialList(for: .bundle("YJS-BAD")) == nil)
        #expect(Self.catalogue.materialList(for: .item("NOPE")) == nil)
        #expect(FilingSubject.bundle("YJS-01").code == "YJS-01")
        #expect(FilingSubject.item("A001").description == "item A001")
        #expect(FilingSubject.bundle("YJS-01").description == "bundle YJS-01")
    }

    @Test func duplicateCodesKeepTheFirst() {
        var other = Self.food
        other.name = "重复编码"
        let c = Catalogue(items: [Self.food, other], bundles: [])
        #expect(c.item(code: "B002")?.name == "食品经营许可")
        #expect(c.items.count == 2)
    }

    // MARK: ServiceGuide

    @Test func guideForOneItem() throws {
        let guide = try ServiceGuide(subject: .item("A001"), catalogue: Self.catalogue)
        #expect(guide.title == "个体工商户设立登记")
        #expect(guide.bundleCode == nil)
        #expect(guide.items.count == 1)
        let item = try #require(guide.items.first)
        #expect(item.implementationCode == "A001")
        #expect(item.itemType == "行政许可")
        #expect(item.caseType == "承诺件")
        #expect(item.statutoryTimeLimit == "20个工作日")
        #expect(item.promisedTimeLimit == "5个工作日")
        #expect(item.fees == ["不收费"])
        #expect(item.allowsDeferredMaterials)
        #expect(item.consultationPhone == "0632-12345")
        #expect(guide.materials.map(\.code) == ["ID", "FORM", "LEASE", "PHOTO", "LIC"])
        #expect(guide.materials.map(\.need) == ["必要", "必要", "容缺后补", "非必要", "容缺后补"])
        #expect(guide.materials.map(\.source) == ["政府部门核发", "申请人自备", "申请人自备", "申请人自备", "申请人自备"])
        #expect(guide.materials.map(\.deferral) == [nil, nil, "受理后邮寄或到窗口补交（受理后3个工作日内）", nil, "到窗口补交（受理后10个工作日内）"])
        #expect(guide.materials.allSatisfy { $0.forItems == nil })
        #expect(guide.materials[0].electronicLicence == "居民身份证")
        #expect(guide.materials[1].sampleForm == "A001-样表.pdf")
        #expect(guide.materials.map(\.pages) == [2, 1, 3, 1, 1])
    }

    @Test func guideForABundle() throws {
        let guide = try ServiceGuide(subject: .bundle("YJS-01"), catalogue: Self.catalogue)
        #expect(guide.title == "我要开餐馆")
        #expect(guide.bundleCode == "YJS-01")
        #expect(guide.items.map(\.name) == ["个体工商户设立登记", "食品经营许可"])
        #expect(guide.items.map(\.promisedTimeLimit) == ["5个工作日", "10个工作日"])
        #expect(guide.items.map(\.allowsDeferredMaterials) == [true, false])
        #expect(guide.materials.map(\.code) == ["ID", "FORM", "LEASE", "PHOTO", "LIC", "FORM2"])
        #expect(guide.materials.map(\.forItems) == [
            ["个体工商户设立登记", "食品经营许可"], ["个体工商户设立登记"], ["个体工商户设立登记", "食品经营许可"],
            ["个体工商户设立登记"], ["个体工商户设立登记"], ["食品经营许可"],
        ])
        // LEASE is required for the bundle (B refuses deferral): no deferral line, 4 pages.
        #expect(guide.materials[2].need == "必要")
        #expect(guide.materials[2].deferral == nil)
        #expect(guide.materials[2].pages == 4)
        #expect(guide.materials[4].deferral == "到窗口补交（受理后10个工作日内）")
    }

    @Test func guideFeesAndImmediateItems() throws {
        let charged = F.item("F1", "机动车驾驶证补证", materials: [], caseType: .immediate,
                             statutory: TimeLimit(value: 30, unit: .naturalDays), itemType: .publicService, isCharged: true,
                             fees: [Fee(name: "工本费", amount: "10.00", basis: "发改价格〔2017〕1186号"), Fee(name: "照片费", amount: "20.00", basis: nil)])
        let chargedWithoutList = F.item("F2", "收费但未列明", materials: [], isCharged: true, fees: nil)
        let freeWithFeesListed = F.item("F3", "不收费但列了费用", materials: [], isCharged: false,
                                        fees: [Fee(name: "工本费", amount: "5.00", basis: nil)])
        let c = Catalogue(items: [charged, chargedWithoutList, freeWithFeesListed], bundles: [])
        let g1 = try ServiceGuide(subject: .item("F1"), catalogue: c)
        #expect(g1.items[0].fees == ["工本费 10.00元（发改价格〔2017〕1186号）", "照片费 20.00元"])
        #expect(g1.items[0].caseType == "即办件")
        #expect(g1.items[0].promisedTimeLimit == "即办")
        #expect(g1.items[0].statutoryTimeLimit == "30个自然日")
        #expect(g1.items[0].itemType == "公共服务")
        #expect(try ServiceGuide(subject: .item("F2"), catalogue: c).items[0].fees == [])
        #expect(try ServiceGuide(subject: .item("F3"), catalogue: c).items[0].fees == ["不收费"])
    }

    @Test(arguments: [FilingSubject.item("NOPE"), .bundle("NOPE"), .bundle("YJS-BAD"), .item("YJS-01")])
    func guideOfAnUnknownSubjectThrows(_ subject: FilingSubject) {
        #expect(throws: WorkflowError.unknownSubject(subject)) {
            _ = try ServiceGuide(subject: subject, catalogue: Self.catalogue)
        }
    }

    /// When a bundle's first item lists a material as optional and a later item as deferrable, the
    /// merged need becomes 容缺后补, but the merged material keeps the first item's (absent) deferral
    /// terms, so the guide prints "容缺后补" without saying how or by when to supply it.
    @Test func deferrableLineAlwaysSaysHowAndWhen() throws {
        let first = F.item("P1", "先列为非必要", materials: [F.material("M", "共用材料", need: .optional)])
        let second = F.item("P2", "后列为容缺", materials: [F.material("M", "共用材料", need: .deferrable, deferral: ("邮寄补交", 5))])
        let c = Catalogue(items: [first, second], bundles: [ServiceBundle(code: "B", name: "一件事", description: nil, itemCodes: ["P1", "P2"])])
        let guide = try ServiceGuide(subject: .bundle("B"), catalogue: c)
        let line = try #require(guide.materials.first)
        #expect(line.need == "容缺后补")
        // BUG: MaterialRequirement.merged (Catalogue.swift:85) raises `need` but keeps the first material's `deferral` (nil).
        #expect(line.deferral == "邮寄补交（受理后5个工作日内）")
    }

    @Test func chineseNames() {
        #expect([Material.Need.required, .optional, .deferrable].map(\.chineseName) == ["必要", "非必要", "容缺后补"])
        #expect([Material.Source.applicant, .governmentIssued, .other].map(\.chineseName) == ["申请人自备", "政府部门核发", "其他"])
        #expect(ItemType.allCases.map(\.chineseName) == ["行政许可", "行政给付", "行政确认", "行政裁决", "行政奖励", "其他行政权力", "公共服务"])
        #expect(TimeLimit.Unit.workingDays.chineseName == "个工作日")
        #expect(TimeLimit.Unit.naturalDays.chineseName == "个自然日")
    }
}
