import Synchronization

/// How recently the outbox relay moved: its loop marks every pass it starts, every idle wait it
/// ends and every delivery attempt it finishes (each bounded by the adapter's deadline), so a relay
/// whose loop died or hangs stops marking. kioskd's watchdog reads it on a monotonic clock (not
/// the kiosk's clock: liveness is measured in elapsed time, whatever the wall clock does).
public final class RelayProgress: Sendable {
    private let state = Mutex<(marks: UInt64, at: ContinuousClock.Instant)>((0, ContinuousClock.now))

    public init() {}

    /// Records that the relay moved now.
    public func mark() {
        let now = ContinuousClock.now
        state.withLock { $0 = ($0.marks &+ 1, now) }
    }

    /// Marks so far and when the last was made (the creation time before the first).
    public var last: (marks: UInt64, at: ContinuousClock.Instant) { state.withLock { $0 } }
}
