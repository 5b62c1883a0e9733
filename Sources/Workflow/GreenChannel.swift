/// Why a queue ticket is called before ordinary ones: an appointment checked in (预约), or the
/// hall's green channel (绿色通道) for the elderly, the disabled and pregnant applicants. The
/// ticket records the reason only (no birth date, no certificate: nothing personal beyond it).
public enum PriorityReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// An appointment checked in at the kiosk.
    case appointment
    /// 绿色通道: the card holder's age (from the card's birth date) reached the hall's threshold.
    case elderly
    /// 绿色通道: declared by the citizen at the screen; the window staff verify it.
    case disabled
    /// 绿色通道: declared by the citizen at the screen; the window staff verify it.
    case pregnant

    /// Whether it is a green-channel reason (not an appointment).
    public var isGreenChannel: Bool { self != .appointment }

    /// Whether it rests on the citizen's word, which the window staff verify (残疾人证, 孕产证明).
    public var isDeclared: Bool { self == .disabled || self == .pregnant }

    /// As the slip, the screen and the window say it.
    public var chineseName: String {
        switch self {
        case .appointment: "预约"
        case .elderly: "老年人"
        case .disabled: "残疾人"
        case .pregnant: "孕妇"
        }
    }
}

/// A ground a citizen may claim at the ticket screen (the elderly ground is never claimed: it
/// comes from the card's birth date).
public enum DeclaredGround: String, Sendable, Hashable, Codable, CaseIterable {
    case disabled, pregnant

    public var reason: PriorityReason { self == .disabled ? .disabled : .pregnant }
}

/// A hall's green channel (绿色通道, seed 002: "尤其是残疾人、老年人等特殊群体开通绿色通道"): which grounds
/// it offers and from what age a card holder counts as elderly. Configured in queue.yaml.
public struct GreenChannel: Sendable, Hashable {
    /// The grounds the hall offers; empty: no green channel.
    public var grounds: Set<PriorityReason>
    /// The age (周岁) from which a card holder's ticket is a green-channel one, when `elderly` is offered.
    public var elderlyAge: Int?

    public init(grounds: Set<PriorityReason>, elderlyAge: Int?) {
        self.grounds = grounds.filter(\.isGreenChannel)
        self.elderlyAge = elderlyAge
    }

    /// No green channel (a hall that configures none).
    public static let off = GreenChannel(grounds: [], elderlyAge: nil)

    /// The grounds a citizen may declare at the screen.
    public var declarable: [DeclaredGround] { DeclaredGround.allCases.filter { grounds.contains($0.reason) } }

    /// Full years of age (周岁) on `day` of someone born on `birth`: a year is reached on the
    /// birthday itself; one born on 29 February reaches it on 1 March in a common year.
    public static func age(born birth: CivilDate, on day: CivilDate) -> Int {
        let years = day.year - birth.year
        let reached = (day.month, day.day) >= (birth.month, birth.day)
        return max(0, reached ? years : years - 1)
    }

    /// The green-channel reason of a ticket taken on `day`: the ground the citizen declared (if
    /// the hall offers it), else elderly when the card's birth date makes the holder old enough;
    /// nil for an ordinary ticket.
    public func reason(birthDate: CivilDate?, declared: DeclaredGround?, on day: CivilDate) throws(WorkflowError) -> PriorityReason? {
        if let declared {
            guard grounds.contains(declared.reason) else { throw .greenChannelNotOffered(ground: declared.reason.rawValue) }
            return declared.reason
        }
        if grounds.contains(.elderly), let threshold = elderlyAge, let birthDate, Self.age(born: birthDate, on: day) >= threshold {
            return .elderly
        }
        return nil
    }
}
