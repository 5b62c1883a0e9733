/// How a concluded filing was decided (办结).
public enum FilingConclusion: String, Sendable, Hashable, Codable, CaseIterable {
    /// 准予.
    case approved
    /// 不予许可.
    case denied
}

/// How the result reached the applicant (送达).
public enum FilingDelivery: String, Sendable, Hashable, Codable, CaseIterable {
    case collected
    /// EMS 邮寄送达.
    case mailed
}

/// Where a filing (办件) is in its life, after the domain's lifecycle: draft → submitted (收件) →
/// accepted (受理) | conditionallyAccepted (容缺受理 → accepted once every deferred material is handed
/// in, or rejected / withdrawn when one lapses) | rejected (不予受理) | correctionNotified
/// (补齐补正告知 → accepted, or withdrawn 退件) → inProgress (承办/审核) ⇄ suspended (特别程序) →
/// concluded (approved | denied) → delivered (collected | mailed); withdrawn at any open stage.
public enum FilingStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    case draft
    case submitted
    case accepted
    case conditionallyAccepted
    case rejected
    case correctionNotified
    case inProgress
    case suspended
    case concluded(FilingConclusion)
    case delivered(FilingDelivery)
    case withdrawn

    /// No event leaves these.
    public var isTerminal: Bool {
        switch self {
        case .rejected, .delivered, .withdrawn: true
        default: false
        }
    }

    /// Still to be decided or handled (supervision lights apply).
    public var isOpen: Bool {
        switch self {
        case .accepted, .conditionallyAccepted, .correctionNotified, .inProgress, .suspended: true
        default: false
        }
    }

    /// `concluded.approved`, `delivered.mailed`, `inProgress`: the stored and API form.
    public var description: String {
        switch self {
        case .draft: "draft"
        case .submitted: "submitted"
        case .accepted: "accepted"
        case .conditionallyAccepted: "conditionallyAccepted"
        case .rejected: "rejected"
        case .correctionNotified: "correctionNotified"
        case .inProgress: "inProgress"
        case .suspended: "suspended"
        case let .concluded(c): "concluded.\(c.rawValue)"
        case let .delivered(d): "delivered.\(d.rawValue)"
        case .withdrawn: "withdrawn"
        }
    }

    /// Parses `description`.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count) {
        case ("draft", 1): self = .draft
        case ("submitted", 1): self = .submitted
        case ("accepted", 1): self = .accepted
        case ("conditionallyAccepted", 1): self = .conditionallyAccepted
        case ("rejected", 1): self = .rejected
        case ("correctionNotified", 1): self = .correctionNotified
        case ("inProgress", 1): self = .inProgress
        case ("suspended", 1): self = .suspended
        case ("withdrawn", 1): self = .withdrawn
        case ("concluded", 2): guard let c = FilingConclusion(rawValue: parts[1]) else { return nil }; self = .concluded(c)
        case ("delivered", 2): guard let d = FilingDelivery(rawValue: parts[1]) else { return nil }; self = .delivered(d)
        default: return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let status = FilingStatus(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown filing status '\(text)'"))
        }
        self = status
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// All statuses, for tables and tests.
    public static let all: [FilingStatus] = [.draft, .submitted, .accepted, .conditionallyAccepted, .rejected, .correctionNotified,
                                             .inProgress, .suspended, .withdrawn]
        + FilingConclusion.allCases.map { .concluded($0) } + FilingDelivery.allCases.map { .delivered($0) }
}

/// Who moved a filing: the audit trail's "who".
public enum FilingActor: String, Sendable, Hashable, Codable, CaseIterable {
    /// This kiosk's front-desk logic (acceptance decision at submission).
    case kiosk
    /// Hall staff at a window or at the staff door (restock, reset, maintenance, reprint).
    case staff
    /// A technician at the staff door or the CLI.
    case technician
    /// The provincial/city platform (back-office approval), through progress sync.
    case platform
}

/// What can happen to a filing.
public enum FilingEvent: Sendable, Hashable, Codable, CustomStringConvertible {
    case submit
    case accept
    case acceptConditionally
    case reject
    case notifyCorrection
    case startHandling
    case suspend
    case resume
    case conclude(FilingConclusion)
    case deliver(FilingDelivery)
    case withdraw

    public var description: String {
        switch self {
        case .submit: "submit"
        case .accept: "accept"
        case .acceptConditionally: "acceptConditionally"
        case .reject: "reject"
        case .notifyCorrection: "notifyCorrection"
        case .startHandling: "startHandling"
        case .suspend: "suspend"
        case .resume: "resume"
        case let .conclude(c): "conclude.\(c.rawValue)"
        case let .deliver(d): "deliver.\(d.rawValue)"
        case .withdraw: "withdraw"
        }
    }

    public static let all: [FilingEvent] = [.submit, .accept, .acceptConditionally, .reject, .notifyCorrection, .startHandling,
                                            .suspend, .resume, .withdraw]
        + FilingConclusion.allCases.map { .conclude($0) } + FilingDelivery.allCases.map { .deliver($0) }

    /// Who may cause it: the front-desk decisions belong to the kiosk and staff, the back-office
    /// steps to the platform and staff; anyone may record a withdrawal.
    public var permittedActors: Set<FilingActor> {
        switch self {
        case .submit, .accept, .acceptConditionally, .reject, .notifyCorrection: [.kiosk, .staff]
        case .startHandling, .suspend, .resume, .conclude: [.platform, .staff]
        case .deliver: [.platform, .staff]
        case .withdraw: [.kiosk, .staff, .platform]
        }
    }
}

/// A transition the lifecycle does not allow, or an actor that may not make it.
public enum FilingTransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    case illegal(from: FilingStatus, event: FilingEvent)
    case notPermitted(actor: FilingActor, event: FilingEvent)

    public var description: String {
        switch self {
        case let .illegal(from, event): "a filing that is \(from) cannot \(event)"
        case let .notPermitted(actor, event): "\(actor.rawValue) may not \(event) a filing"
        }
    }
}

/// The lifecycle's transition table.
public enum FilingLifecycle {
    /// The status `event` leads to from `status`, or why it cannot.
    public static func next(from status: FilingStatus, on event: FilingEvent, by actor: FilingActor) throws(FilingTransitionError) -> FilingStatus {
        guard event.permittedActors.contains(actor) else { throw .notPermitted(actor: actor, event: event) }
        switch (status, event) {
        case (.draft, .submit): return .submitted
        case (.draft, .withdraw): return .withdrawn
        case (.submitted, .accept): return .accepted
        case (.submitted, .acceptConditionally): return .conditionallyAccepted
        case (.submitted, .reject): return .rejected
        case (.submitted, .notifyCorrection): return .correctionNotified
        case (.submitted, .withdraw): return .withdrawn
        case (.correctionNotified, .accept): return .accepted
        case (.conditionallyAccepted, .accept): return .accepted        // every deferred material handed in (补交)
        case (.conditionallyAccepted, .reject): return .rejected        // a deferred material lapsed: 不予受理
        case (.correctionNotified, .withdraw): return .withdrawn   // 退件
        case (.accepted, .startHandling), (.conditionallyAccepted, .startHandling): return .inProgress
        case (.accepted, .withdraw), (.conditionallyAccepted, .withdraw): return .withdrawn
        case (.inProgress, .suspend): return .suspended
        case (.suspended, .resume): return .inProgress
        case let (.inProgress, .conclude(conclusion)): return .concluded(conclusion)
        case (.inProgress, .withdraw), (.suspended, .withdraw): return .withdrawn
        case let (.concluded, .deliver(delivery)): return .delivered(delivery)
        default: throw .illegal(from: status, event: event)
        }
    }
}

extension FilingStatus {
    /// The status as the progress page and slips name it.
    public var chineseName: String {
        switch self {
        case .draft: "填写中"
        case .submitted: "已收件"
        case .accepted: "已受理"
        case .conditionallyAccepted: "容缺受理"
        case .rejected: "不予受理"
        case .correctionNotified: "补齐补正告知"
        case .inProgress: "审核办理中"
        case .suspended: "特别程序（暂停计时）"
        case .concluded(.approved): "已办结（准予）"
        case .concluded(.denied): "已办结（不予许可）"
        case .delivered(.collected): "已送达（已领取）"
        case .delivered(.mailed): "已送达（邮寄）"
        case .withdrawn: "已撤回"
        }
    }
}

extension FilingEvent {
    /// Parses `description` (`accept`, `conclude.approved`, `deliver.mailed`…).
    public init?(_ text: String) {
        guard let event = FilingEvent.all.first(where: { $0.description == text }) else { return nil }
        self = event
    }
}
