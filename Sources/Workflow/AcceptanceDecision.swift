import Foundation

/// Why a material counts as supplied without new pages (一次办事提交一份材料 / 无证明).
public enum HeldMaterialSource: Sendable, Hashable, Codable {
    /// Supplied with an earlier filing of the same applicant at this kiosk.
    case earlierFiling(number: String)
    /// Stands in as an electronic licence (电子证照) of the named type, e.g. the ID card just read.
    case electronicLicence(type: String, reference: String)

    public var chineseDescription: String {
        switch self {
        case let .earlierFiling(number): "已在办件\(number)中提交，无需重复提交"
        case let .electronicLicence(type, _): "使用\(type)电子证照，免交纸质材料"
        }
    }
}

/// What the citizen has supplied for a submission: pages captured per material code, and
/// materials already held for this applicant.
public struct SuppliedMaterials: Sendable, Hashable {
    public var pagesByMaterial: [String: Int]
    public var held: [String: HeldMaterialSource]

    public init(pagesByMaterial: [String: Int] = [:], held: [String: HeldMaterialSource] = [:]) {
        self.pagesByMaterial = pagesByMaterial
        self.held = held
    }

    /// Whether the material counts as supplied: held, or at least its expected number of pages.
    public func supplies(_ material: Material) -> Bool {
        held[material.code] != nil || (pagesByMaterial[material.code] ?? 0) >= max(1, material.pages)
    }
}

/// A material the submission lacks, as the one-time notice (一次性告知) lists it.
public struct MissingMaterial: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public var pagesExpected: Int
    public var pagesSupplied: Int
    public var acceptanceStandard: String
    /// Names of the items that need it (several for a bundle).
    public var forItems: [String]
}

/// What becomes of a 容缺 filing whose deferred material has not followed by its deadline.
public enum DeferralConsequence: String, Sendable, Hashable, Codable, CaseIterable {
    /// 退件: the application is taken as withdrawn (`withdrawn`).
    case withdraw
    /// 不予受理: the application is not accepted after all (`rejected`); a filing the department
    /// has already started handling is withdrawn instead (the lifecycle has no rejection there).
    case reject

    /// `退件` / `不予受理`.
    public var chineseName: String {
        switch self {
        case .withdraw: "退件"
        case .reject: "不予受理"
        }
    }

    /// The lifecycle event that applies it to a filing in `status`.
    public func event(from status: FilingStatus) -> FilingEvent {
        self == .reject && status == .conditionallyAccepted ? .reject : .withdraw
    }
}

/// A deferrable material accepted as missing (容缺), with the day it must follow by.
public struct DeferredMaterial: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public var howToSupply: String
    public var deadline: CivilDate
    /// What happens if it has not followed by `deadline` (nil in rows written before it was stored: 退件).
    public var consequence: DeferralConsequence?
    /// When it was handed in (补交); nil while still owed.
    public var suppliedAt: Date?
    /// When its deadline passed without it and the consequence was applied.
    public var lapsedAt: Date?

    public init(code: String, name: String, howToSupply: String, deadline: CivilDate, consequence: DeferralConsequence? = nil,
                suppliedAt: Date? = nil, lapsedAt: Date? = nil) {
        self.code = code; self.name = name; self.howToSupply = howToSupply; self.deadline = deadline
        self.consequence = consequence; self.suppliedAt = suppliedAt; self.lapsedAt = lapsedAt
    }

    /// The consequence that applies (退件 when the catalogue named none).
    public var effectiveConsequence: DeferralConsequence { consequence ?? .withdraw }

    /// Still owed: neither handed in nor lapsed.
    public var isOwed: Bool { suppliedAt == nil && lapsedAt == nil }
}

/// The decision for one item of a submission.
public struct ItemDecision: Sendable, Hashable {
    public var itemCode: String
    /// `.accepted` or `.conditionallyAccepted`.
    public var status: FilingStatus
    public var receivedDay: CivilDate
    public var promisedDeadline: CivilDate
    /// Empty unless conditionally accepted.
    public var deferred: [DeferredMaterial]
}

/// The acceptance decision (受理决定) taken at submit, before anything is numbered or stored.
public enum AcceptanceDecision: Sendable, Hashable {
    /// Every item can be accepted (some perhaps with deferred materials): submit.
    case submit([ItemDecision])
    /// A required material is missing: nothing is submitted; the citizen gets the list.
    case incomplete(missing: [MissingMaterial])
    /// Only deferrable materials are missing, but the applicant has not signed the commitment
    /// (告知承诺) yet: nothing is submitted; ask for the signature.
    case commitmentRequired(deferred: [DeferredMaterial])

    /// Decides a submission of `items` (one, or a bundle's) with what was supplied.
    ///
    /// Each item is decided on the same supplied set (a shared material counts for every item that
    /// asks for it). A material missing for any item that is not deferrable *for that item* makes the
    /// whole submission incomplete: a bundle is one submission (一次提交).
    public static func decide(items: [ServiceItem], supplied: SuppliedMaterials, commitmentSigned: Bool,
                              submittedAt: HallMoment, deadlines: DeadlineCalculator) -> AcceptanceDecision {
        var missing: [String: MissingMaterial] = [:]
        var missingOrder: [String] = []
        var decisions: [ItemDecision] = []
        var anyDeferred: [DeferredMaterial] = []
        let received = deadlines.receivedDay(submittedAt: submittedAt)

        for item in items {
            let promised = deadlines.promisedDeadline(of: item, received: received)
            var deferred: [DeferredMaterial] = []
            for material in item.materials where !supplied.supplies(material) {
                switch MaterialRequirement.effectiveNeed(of: material, in: item) {
                case .optional:
                    continue
                case .deferrable:
                    let deferral = material.deferral!  // effectiveNeed is .deferrable only with a deferral
                    deferred.append(DeferredMaterial(
                        code: material.code, name: material.name, howToSupply: deferral.howToSupply,
                        deadline: deadlines.deferredMaterialDeadline(deferral, received: received, promised: promised),
                        consequence: deferral.consequence))
                case .required:
                    if var known = missing[material.code] {
                        known.forItems.append(item.name)
                        known.pagesExpected = max(known.pagesExpected, material.pages)
                        missing[material.code] = known
                    } else {
                        missingOrder.append(material.code)
                        missing[material.code] = MissingMaterial(
                            code: material.code, name: material.name, pagesExpected: max(1, material.pages),
                            pagesSupplied: supplied.pagesByMaterial[material.code] ?? 0,
                            acceptanceStandard: material.acceptanceStandard, forItems: [item.name])
                    }
                }
            }
            anyDeferred.append(contentsOf: deferred)
            decisions.append(ItemDecision(
                itemCode: item.implementationCode, status: deferred.isEmpty ? .accepted : .conditionallyAccepted,
                receivedDay: received, promisedDeadline: promised, deferred: deferred))
        }
        if !missingOrder.isEmpty { return .incomplete(missing: missingOrder.map { missing[$0]! }) }
        if !anyDeferred.isEmpty, !commitmentSigned {
            // A material several items defer is listed once, with the earliest of its deadlines.
            var earliest: [String: DeferredMaterial] = [:]
            var order: [String] = []
            for d in anyDeferred {
                if let known = earliest[d.code] {
                    if d.deadline < known.deadline { earliest[d.code] = d }
                } else {
                    order.append(d.code)
                    earliest[d.code] = d
                }
            }
            return .commitmentRequired(deferred: order.map { earliest[$0]! })
        }
        return .submit(decisions)
    }
}

/// The person a filing or ticket is for, as read from their ID card (or typed by staff).
/// Personal data: stored for the platform, shown only masked, never logged.
public struct Applicant: Sendable, Hashable, Codable {
    public var name: String
    public var idNumber: String
    /// The kind of document, e.g. `resident`, `hkMacaoTaiwanPermit`, `foreignPermanentResident`.
    public var documentKind: String?
    public var phone: String?
    /// Whether the identity was read from the card's chip and verified by the SAM (it then stands
    /// in for the 居民身份证 electronic licence).
    public var verifiedByCard: Bool
    /// The card's other facts (sex, nation, birth date, address) that pre-fill an application form
    /// (一表申请); kept with the draft only (wiped with it), never sent upstream as part of the applicant.
    public var card: CardFacts?

    /// The card's birth date (绿色通道: the holder's age), from its facts.
    public var birthDate: CivilDate? { card?.birthDate.flatMap(CivilDate.init(iso:)) }

    /// `birthDate` is a shorthand for `card` facts holding only the birth date.
    public init(name: String, idNumber: String, documentKind: String? = nil, phone: String? = nil, verifiedByCard: Bool,
                card: CardFacts? = nil, birthDate: CivilDate? = nil) {
        var facts = card
        if let birthDate {
            facts = facts ?? CardFacts()
            facts?.birthDate = birthDate.description
        }
        self.card = facts
        self.name = name
        self.idNumber = idNumber
        self.documentKind = documentKind
        self.phone = phone
        self.verifiedByCard = verifiedByCard
    }
}
