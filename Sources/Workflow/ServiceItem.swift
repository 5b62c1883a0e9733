/// A service item (事项) of the catalogue, with the standard elements of GB/T 39554 and the
/// national exchange schema. What the kiosk tells the citizen once (一次性告知) and what the
/// acceptance decision checks come from here.
public struct ServiceItem: Sendable, Hashable, Codable {
    public var catalogCode: String
    public var implementationCode: String
    public var name: String
    public var itemType: ItemType
    public var implementingBody: String
    public var legalBasis: [String]
    public var acceptanceConditions: [String]
    public var materials: [Material]
    public var processFlow: [String]
    public var statutoryTimeLimit: TimeLimit
    public var promisedTimeLimit: TimeLimit
    public var isCharged: Bool
    public var fees: [Fee]?
    public var caseType: CaseType
    public var maxOnSiteVisits: Int
    public var supportsKiosk: Bool
    public var supportsAppointment: Bool
    /// Whether minor materials may follow after acceptance (容缺受理) with a signed commitment.
    public var allowsDeferredMaterials: Bool
    public var consultationPhone: String
    /// The queue category (prefix letter's category code) whose window handles this item.
    public var queueCategory: String?
    /// Who answers for the filing (责任人): the window that handles it and the person in charge,
    /// printed on the acceptance notice.
    public var responsible: Responsible?
    /// 一表申请: the application form filled in on the screen (its answers go upstream structured).
    public var form: ItemForm?
}

/// The window and the person responsible for an item's filings (from the catalogue).
public struct Responsible: Sendable, Hashable, Codable {
    /// `3号窗口（社会保险）`.
    public var window: String?
    /// `首席事务代表 张敏`.
    public var person: String?

    public init(window: String? = nil, person: String? = nil) {
        self.window = window
        self.person = person
    }
}

/// The kind of administrative act an item is (事项类型). Provinces code these differently; the
/// catalogue's `itemTypeCodes` maps each to the province's code.
public enum ItemType: String, Sendable, Hashable, Codable, CaseIterable {
    case administrativeLicensing      // 行政许可
    case administrativePayment        // 行政给付
    case administrativeConfirmation   // 行政确认
    case administrativeAdjudication   // 行政裁决
    case administrativeReward         // 行政奖励
    case otherAdministrativePower     // 其他行政权力
    case publicService                // 公共服务

    public var chineseName: String {
        switch self {
        case .administrativeLicensing: "行政许可"
        case .administrativePayment: "行政给付"
        case .administrativeConfirmation: "行政确认"
        case .administrativeAdjudication: "行政裁决"
        case .administrativeReward: "行政奖励"
        case .otherAdministrativePower: "其他行政权力"
        case .publicService: "公共服务"
        }
    }
}

/// 即办件 (concluded on the spot) or 承诺件 (concluded within a promised time limit).
public enum CaseType: String, Sendable, Hashable, Codable {
    case immediate
    case promised
}

/// A time limit (办结时限) with its unit: 工作日 or 自然日.
public struct TimeLimit: Sendable, Hashable, Codable {
    public enum Unit: String, Sendable, Hashable, Codable {
        case workingDays
        case naturalDays

        public var chineseName: String { self == .workingDays ? "个工作日" : "个自然日" }
    }

    public var value: Int
    public var unit: Unit

    public init(value: Int, unit: Unit) { self.value = value; self.unit = unit }
}

/// A fee the item charges, with the basis for charging it. `amount` is in yuan, e.g. "80.00".
public struct Fee: Sendable, Hashable, Codable {
    public var name: String
    public var amount: String
    public var basis: String?
}

/// One material (申请材料) an item asks for.
public struct Material: Sendable, Hashable, Codable {
    /// 必要 / 非必要 / 容缺后补.
    public enum Need: String, Sendable, Hashable, Codable {
        case required
        case optional
        case deferrable
    }

    /// Who provides it: the applicant (自备), a government body (政府部门核发), or other.
    public enum Source: String, Sendable, Hashable, Codable {
        case applicant
        case governmentIssued
        case other
    }

    /// How and by when a deferrable material may follow (容缺后补), and what happens to the filing
    /// when it does not.
    public struct Deferral: Sendable, Hashable, Codable {
        public var howToSupply: String
        public var withinWorkingDays: Int
        /// What the filing becomes when the material has not followed by its deadline (the
        /// catalogue states it; 退件 when it does not).
        public var consequence: DeferralConsequence?

        public init(howToSupply: String, withinWorkingDays: Int, consequence: DeferralConsequence? = nil) {
            self.howToSupply = howToSupply
            self.withinWorkingDays = withinWorkingDays
            self.consequence = consequence
        }
    }

    public var code: String
    public var name: String
    public var need: Need
    public var source: Source
    /// Expected pages of one copy (the camera flow asks for at least this many).
    public var pages: Int
    public var acceptanceStandard: String
    public var sampleForm: String?
    public var deferral: Deferral?
    /// The electronic licence (电子证照) type that can stand in for the paper, if any.
    public var electronicLicence: String?
}

/// Several related items submitted as one "一件事" (一链办理): one notice, one merged set of
/// materials, one form; each item still gets its own filing.
public struct ServiceBundle: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public var description: String?
    public var itemCodes: [String]

    public init(code: String, name: String, description: String? = nil, itemCodes: [String]) {
        self.code = code; self.name = name; self.description = description; self.itemCodes = itemCodes
    }
}

/// A queue-ticket category (排队叫号): tickets are numbered with its prefix, e.g. A007.
public struct QueueCategory: Sendable, Hashable, Codable {
    public var code: String
    public var prefix: String
    public var name: String
    public var description: String?
    /// Tickets per day at most (three digits: ≤ 999).
    public var dailyLimit: Int?
    /// Whether appointment check-ins (预约取号) get priority tickets in this category.
    public var acceptsAppointments: Bool?
}
