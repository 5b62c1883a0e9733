/// The service items and one-chain bundles a kiosk offers, indexed for the workflow: what a filing
/// is for, which materials it asks for (merged across a bundle's items), and the one-time notice.
public struct Catalogue: Sendable {
    public let items: [ServiceItem]
    public let bundles: [ServiceBundle]
    private let itemsByCode: [String: ServiceItem]
    private let bundlesByCode: [String: ServiceBundle]

    /// An item whose form replaces its application-form material (`form.replacesMaterial`) no
    /// longer lists that material here: the decision, the guide and the screen do not ask for it.
    public init(items: [ServiceItem], bundles: [ServiceBundle]) {
        let items = items.map { item in
            guard let replaced = item.form?.replacesMaterial else { return item }
            var item = item
            item.materials.removeAll { $0.code == replaced }
            return item
        }
        self.items = items
        self.bundles = bundles
        itemsByCode = Dictionary(items.map { ($0.implementationCode, $0) }, uniquingKeysWith: { first, _ in first })
        bundlesByCode = Dictionary(bundles.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The item with this implementation code (实施编码).
    public func item(code: String) -> ServiceItem? { itemsByCode[code] }

    public func bundle(code: String) -> ServiceBundle? { bundlesByCode[code] }

    /// The items a filing subject stands for, in the bundle's order; nil when a code is unknown.
    public func items(of subject: FilingSubject) -> [ServiceItem]? {
        switch subject {
        case let .item(code):
            return item(code: code).map { [$0] }
        case let .bundle(code):
            guard let bundle = bundle(code: code) else { return nil }
            let found = bundle.itemCodes.compactMap { item(code: $0) }
            return found.count == bundle.itemCodes.count ? found : nil
        }
    }

    /// The one form the citizen fills in (一张表单): the items' fields merged by key; nil when no item
    /// has a form.
    public func form(for subject: FilingSubject) -> ApplicationForm? {
        guard let items = items(of: subject) else { return nil }
        return ApplicationForm(items: items)
    }

    /// The one material list the citizen is asked for (一套材料): for a bundle, a material several
    /// items need (same catalogue-wide code) appears once, with the strongest need among them.
    public func materialList(for subject: FilingSubject) -> [MaterialRequirement]? {
        guard let items = items(of: subject) else { return nil }
        return MaterialRequirement.merged(items)
    }
}

/// What a filing is for: one service item, or a one-chain bundle (一件事) of several.
public enum FilingSubject: Sendable, Hashable, CustomStringConvertible {
    case item(String)
    case bundle(String)

    public var code: String {
        switch self {
        case let .item(code), let .bundle(code): code
        }
    }

    public var description: String {
        switch self {
        case let .item(code): "item \(code)"
        case let .bundle(code): "bundle \(code)"
        }
    }
}

/// One entry of a (possibly merged) material list: the material, the items that need it and the
/// need that applies to the submission as a whole.
public struct MaterialRequirement: Sendable, Hashable {
    public var material: Material
    /// Implementation codes of the items asking for it, in catalogue order.
    public var itemCodes: [String]
    /// The effective need: `.deferrable` only if every item asking for it may defer it.
    public var need: Material.Need

    /// The need a material has for one item once the item's own rule is applied: a "deferrable"
    /// material of an item that does not allow 容缺受理 is required.
    public static func effectiveNeed(of material: Material, in item: ServiceItem) -> Material.Need {
        if material.need == .deferrable, !(item.allowsDeferredMaterials && material.deferral != nil) { return .required }
        return material.need
    }

    /// Merges the items' material lists by code, keeping first-seen order.
    public static func merged(_ items: [ServiceItem]) -> [MaterialRequirement] {
        var order: [String] = []
        var byCode: [String: MaterialRequirement] = [:]
        for item in items {
            for material in item.materials {
                let need = effectiveNeed(of: material, in: item)
                if var existing = byCode[material.code] {
                    existing.itemCodes.append(item.implementationCode)
                    if rank(need) > rank(existing.need) { existing.need = need }
                    // The merged line says how and when a deferred material follows: the shortest period
                    // among the items that may defer it.
                    if need == .deferrable, let deferral = material.deferral,
                       existing.material.deferral.map({ deferral.withinWorkingDays < $0.withinWorkingDays }) ?? true {
                        existing.material.deferral = deferral
                    }
                    existing.material.pages = max(existing.material.pages, material.pages)
                    byCode[material.code] = existing
                } else {
                    order.append(material.code)
                    byCode[material.code] = MaterialRequirement(material: material, itemCodes: [item.implementationCode], need: need)
                }
            }
        }
        return order.map { byCode[$0]! }
    }

    private static func rank(_ need: Material.Need) -> Int {
        switch need {
        case .optional: 0
        case .deferrable: 1
        case .required: 2
        }
    }
}

extension Material.Need {
    public var chineseName: String {
        switch self {
        case .required: "必要"
        case .optional: "非必要"
        case .deferrable: "容缺后补"
        }
    }
}

extension Material.Source {
    public var chineseName: String {
        switch self {
        case .applicant: "申请人自备"
        case .governmentIssued: "政府部门核发"
        case .other: "其他"
        }
    }
}

/// The one-time notice (一次性告知) of an item or bundle: everything a citizen must know before
/// starting, generated from the catalogue — no catch-all "其他材料".
public struct ServiceGuide: Sendable, Hashable, Codable {
    /// One material line of the guide.
    public struct MaterialLine: Sendable, Hashable, Codable {
        public var code: String
        public var name: String
        /// 必要 / 非必要 / 容缺后补.
        public var need: String
        /// The same need as a code: `required`, `optional`, `deferrable`.
        public var needCode: Material.Need
        /// 申请人自备 / 政府部门核发 / 其他.
        public var source: String
        public var pages: Int
        public var acceptanceStandard: String
        public var sampleForm: String?
        public var electronicLicence: String?
        /// For a bundle: the names of the items asking for it.
        public var forItems: [String]?
        /// For a deferrable material: how and within how many working days it may follow.
        public var deferral: String?
    }

    /// The guide of one item.
    public struct ItemGuide: Sendable, Hashable, Codable {
        public var implementationCode: String
        public var name: String
        public var itemType: String
        public var implementingBody: String
        public var legalBasis: [String]
        public var acceptanceConditions: [String]
        public var processFlow: [String]
        public var caseType: String
        public var statutoryTimeLimit: String
        public var promisedTimeLimit: String
        public var fees: [String]
        public var maxOnSiteVisits: Int
        public var supportsAppointment: Bool
        public var allowsDeferredMaterials: Bool
        public var consultationPhone: String
    }

    public var title: String
    public var bundleCode: String?
    public var items: [ItemGuide]
    public var materials: [MaterialLine]

    public init(subject: FilingSubject, catalogue: Catalogue) throws(WorkflowError) {
        guard let items = catalogue.items(of: subject) else { throw .unknownSubject(subject) }
        let names = Dictionary(items.map { ($0.implementationCode, $0.name) }, uniquingKeysWith: { a, _ in a })
        if case let .bundle(code) = subject, let bundle = catalogue.bundle(code: code) {
            title = bundle.name
            bundleCode = code
        } else {
            title = items[0].name
            bundleCode = nil
        }
        self.items = items.map { item in
            ItemGuide(
                implementationCode: item.implementationCode, name: item.name, itemType: item.itemType.chineseName,
                implementingBody: item.implementingBody, legalBasis: item.legalBasis,
                acceptanceConditions: item.acceptanceConditions, processFlow: item.processFlow,
                caseType: item.caseType == .immediate ? "即办件" : "承诺件",
                statutoryTimeLimit: "\(item.statutoryTimeLimit.value)\(item.statutoryTimeLimit.unit.chineseName)",
                promisedTimeLimit: item.caseType == .immediate
                    ? "即办" : "\(item.promisedTimeLimit.value)\(item.promisedTimeLimit.unit.chineseName)",
                fees: item.isCharged ? (item.fees ?? []).map { "\($0.name) \($0.amount)元" + ($0.basis.map { "（\($0)）" } ?? "") } : ["不收费"],
                maxOnSiteVisits: item.maxOnSiteVisits, supportsAppointment: item.supportsAppointment,
                allowsDeferredMaterials: item.allowsDeferredMaterials, consultationPhone: item.consultationPhone)
        }
        let isBundle = bundleCode != nil
        materials = MaterialRequirement.merged(items).map { requirement in
            let m = requirement.material
            return MaterialLine(
                code: m.code, name: m.name, need: requirement.need.chineseName, needCode: requirement.need, source: m.source.chineseName,
                pages: m.pages, acceptanceStandard: m.acceptanceStandard, sampleForm: m.sampleForm,
                electronicLicence: m.electronicLicence,
                forItems: isBundle ? requirement.itemCodes.compactMap { names[$0] } : nil,
                deferral: requirement.need == .deferrable
                    ? m.deferral.map { "\($0.howToSupply)（受理后\($0.withinWorkingDays)个工作日内）" } : nil)
        }
    }
}
