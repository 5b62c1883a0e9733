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

