import Foundation

/// A source of random numbers in [0, 1) for backoff jitter; tests inject a fixed one.
public protocol JitterSource: Sendable {
    func unit() -> Double
}

/// The system's random generator.
public struct SystemJitter: JitterSource {
    public init() {}
    public func unit() -> Double { Double.random(in: 0..<1) }
}

/// A fixed "random" value, for tests and reproducible schedules.
public struct FixedJitter: JitterSource {
    public let value: Double
    public init(_ value: Double) { self.value = min(max(value, 0), 0.999_999) }
    public func unit() -> Double { value }
}

/// When a failed row is tried again.
///
/// Exponential backoff with full jitter: after the n-th failed attempt the next one is due after a
/// random delay between half the initial delay and min(`maximumDelay`, `initialDelay` · 2ⁿ⁻¹) — so
/// 1–2 s, 1–4 s, 1–8 s … capped at 10 min by default, spreading many rows (and many kiosks) apart.
/// After `stuckAfterAttempts` failures the row is `stuck`: still retried, every
/// `stuckRetryInterval` (±10 %), and shown to staff.
public struct RetryPolicy: Sendable, Hashable {
    public var initialDelay: TimeInterval
    public var maximumDelay: TimeInterval
    public var stuckAfterAttempts: Int
    public var stuckRetryInterval: TimeInterval

    public init(initialDelay: TimeInterval = 2, maximumDelay: TimeInterval = 600, stuckAfterAttempts: Int = 10,
                stuckRetryInterval: TimeInterval = 30 * 60) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.stuckAfterAttempts = stuckAfterAttempts
        self.stuckRetryInterval = stuckRetryInterval
    }

    /// The longest delay `afterFailure` can give (a stuck row's interval with its +10 %).
    public var longestDelay: TimeInterval { max(maximumDelay, stuckRetryInterval * 1.1) }

    /// The delay before the next attempt after `attempts` failed attempts (attempts ≥ 1), and
    /// whether the row is now stuck.
    public func afterFailure(attempts: Int, jitter: Double) -> (delay: TimeInterval, stuck: Bool) {
        if attempts >= stuckAfterAttempts {
            return (stuckRetryInterval * (0.9 + 0.2 * jitter), true)
        }
        let exponent = Double(min(max(attempts - 1, 0), 40))
        let ceiling = min(maximumDelay, initialDelay * pow(2, exponent))
        let floor = min(initialDelay, ceiling) / 2
        return (floor + jitter * (ceiling - floor), false)
    }
}
