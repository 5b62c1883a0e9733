/// A rating on the evaluation pad (好差评), stored as 5…1.
public enum EvaluationLevel: Int, Sendable, Hashable, Codable, CaseIterable {
    case verySatisfied = 5
    case satisfied = 4
    case basicallySatisfied = 3
    case dissatisfied = 2
    case veryDissatisfied = 1

    public var chineseName: String {
        switch self {
        case .verySatisfied: "非常满意"
        case .satisfied: "满意"
        case .basicallySatisfied: "基本满意"
        case .dissatisfied: "不满意"
        case .veryDissatisfied: "非常不满意"
        }
    }

    /// 差评: the two lowest levels, which open a rectification record.
    public var isNegative: Bool { rawValue <= 2 }

    /// Validates a level given as a number.
    public static func from(_ level: Int) throws(WorkflowError) -> EvaluationLevel {
        guard let value = EvaluationLevel(rawValue: level) else { throw .invalidLevel(level) }
        return value
    }
}

/// What was rated: one service instance (一次一评).
public enum EvaluationSubject: Sendable, Hashable, CustomStringConvertible {
    /// A filing, by its number.
    case filing(String)
    /// A queue ticket, by its store id (ticket numbers repeat every day).
    case ticket(Int64)

    public var kind: String {
        switch self {
        case .filing: "filing"
        case .ticket: "ticket"
        }
    }

    public var reference: String {
        switch self {
        case let .filing(number): number
        case let .ticket(id): String(id)
        }
    }

    public var description: String { "\(kind) \(reference)" }

    /// The instance's subject in the audit chain: `filing:NUMBER` (what `kioskctl audit show NUMBER`
    /// reads) or `ticket:ID`.
    public var auditSubject: String { "\(kind):\(reference)" }
}

/// The follow-up of a 差评 (差评核实、督促整改和反馈): verify, rectify, answer — or the department
/// appeals and the appeal dismisses the rating as unfounded.
public enum RectificationStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Opened by the rating; the complaint is being verified (核实).
    case pendingVerification
    /// Verified; the department is rectifying (整改).
    case rectifying
    /// Rectified and the citizen answered (反馈): closed.
    case answered
    /// The department disputes the rating (申诉).
    case appealed
    /// The appeal was upheld and the rating dismissed: closed.
    case dismissed

    public var chineseName: String {
        switch self {
        case .pendingVerification: "待核实"
        case .rectifying: "整改中"
        case .answered: "已反馈"
        case .appealed: "申诉中"
        case .dismissed: "申诉成立（已撤销）"
        }
    }

    public var isClosed: Bool { self == .answered || self == .dismissed }

    /// The states each state may move to.
    public static let transitions: [RectificationStatus: Set<RectificationStatus>] = [
        .pendingVerification: [.rectifying, .appealed],
        .rectifying: [.answered],
        .appealed: [.dismissed, .rectifying],
        .answered: [],
        .dismissed: [],
    ]

    /// Checks a step; throws when the table does not allow it.
    public func moving(to next: RectificationStatus) throws(WorkflowError) -> RectificationStatus {
        guard Self.transitions[self, default: []].contains(next) else { throw .rectification(from: self, to: next) }
        return next
    }
}
