import Foundation

// The one clock of the kiosk. Everything that needs the time is given a `KioskClock`; only
// `SystemClock` reads the system's wall clock (a CI check greps for any other `Date()`).

/// Where the workflow reads the time: the system clock in kioskd, a hand-moved clock in tests.
public protocol KioskClock: Sendable {
    func now() -> Date
}

/// The system's wall clock: the only place the kiosk reads it.
public struct SystemClock: KioskClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock tests move by hand (including backwards).
public final class ManualClock: KioskClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date) { current = start }

    public func now() -> Date { lock.withLock { current } }
    public func set(_ date: Date) { lock.withLock { current = date } }
    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
}

/// The system's clock moved forward by hand: kioskd's hidden `--test-clock`, for the end-to-end
/// tests that need a deadline to pass in a real kioskd process (libfaketime stalls its timed
/// waits). It only ever moves forward, through the simulator route `/api/v1/sim/clock`, which
/// answers 404 on a kiosk without it. Never in service: kioskd logs a warning when it is on.
public final class OffsetClock: KioskClock, @unchecked Sendable {
    private let base = SystemClock()
    private let lock = NSLock()
    private var offset: TimeInterval = 0

    public init() {}

    public func now() -> Date { base.now() + lock.withLock { offset } }

    /// How far ahead of the system's clock it runs.
    public var offsetSeconds: TimeInterval { lock.withLock { offset } }

    /// Moves it forward by `seconds` (> 0); returns the new time.
    @discardableResult
    public func advance(by seconds: TimeInterval) -> Date {
        lock.withLock { offset += max(0, seconds) }
        return now()
    }
}

/// Compressed time for soak runs (kioskd's hidden `--test-clock-rate`, `make bench-soak`): starts
/// at the system's time and runs `rate` times faster, measured on the monotonic clock, so a hall
/// day passes in minutes with every day boundary, deadline and retry schedule on the way. Never
/// in service: kioskd logs a warning when it is on.
public final class ScaledClock: KioskClock, Sendable {
    public let rate: Double
    private let start: Date
    private let origin: ContinuousClock.Instant

    public init(rate: Double, start: Date = SystemClock().now()) {
        self.rate = rate
        self.start = start
        origin = ContinuousClock.now
    }

    public func now() -> Date {
        let elapsed = ContinuousClock.now - origin
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return start.addingTimeInterval(seconds * rate)
    }
}
