import KioskConfig

/// Turns a HID pad's input reports into key events with the profile's report → key mapping.
/// Pads report the key that is down (or none) in every report, so a change is a press or a
/// release and the same key reported again is the key held.
public struct HIDReportDecoder: Sendable {
    public let keys: [EvaluationPadProfile.HIDKey]
    public private(set) var down: Int?

    public init(keys: [EvaluationPadProfile.HIDKey]) { self.keys = keys }

    /// The level whose key this report names, nil for "no key".
    public func level(in report: [UInt8]) -> Int? {
        keys.first { $0.byte < report.count && Int(report[$0.byte]) == $0.value }?.level
    }

    public mutating func decode(_ report: [UInt8]) -> [PadKeyEvent] {
        let now = level(in: report)
        if now == down { return now.map { [PadKeyEvent(level: $0, action: .repeat)] } ?? [] }
        var events: [PadKeyEvent] = []
        if let previous = down { events.append(PadKeyEvent(level: previous, action: .release)) }
        if let now { events.append(PadKeyEvent(level: now, action: .press)) }
        down = now
        return events
    }
}

/// Turns evdev key events (EV_KEY: value 1 press, 2 auto-repeat, 0 release) of the profile's key
/// codes into pad key events; other keys and event types are not the pad's.
public struct EvdevKeyDecoder: Sendable {
    public let levels: [UInt16: Int]

    public init(keys: [EvaluationPadProfile.EvdevKey]) {
        var levels: [UInt16: Int] = [:]
        for key in keys { if let code = EvdevKeyCodes.code(named: key.key) { levels[code] = key.level } }
        self.levels = levels
    }

    /// EV_KEY in linux/input-event-codes.h.
    public static let evKey: UInt16 = 1

    public func decode(type: UInt16, code: UInt16, value: Int32) -> PadKeyEvent? {
        guard type == Self.evKey, let level = levels[code] else { return nil }
        switch value {
        case 1: return PadKeyEvent(level: level, action: .press)
        case 2: return PadKeyEvent(level: level, action: .repeat)
        case 0: return PadKeyEvent(level: level, action: .release)
        default: return nil
        }
    }
}

/// Per-key debounce for tools that show every key (`kioskctl pad watch`, `pad test`): a press of
/// the same key within `window` of its previous press is a bounce. (The rating logic debounces
/// across all keys, since any press after the first is refused anyway.)
public struct PadBounceFilter: Sendable {
    public let window: Duration
    private var lastPress: [Int: ContinuousClock.Instant] = [:]

    public init(window: Duration) { self.window = window }

    /// True when this press is a bounce of the previous one of its key.
    public mutating func isBounce(level: Int, at now: ContinuousClock.Instant) -> Bool {
        defer { lastPress[level] = now }
        guard let last = lastPress[level] else { return false }
        return now - last < window
    }
}
