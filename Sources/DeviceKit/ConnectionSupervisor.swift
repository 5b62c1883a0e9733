import KioskConfig
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps a device's one connection: opens it when there is none, backs off while the device is
/// absent, acts on libusb's hot-plug events, drops the connection of an unplugged device, and
/// keeps the device's XFS4IoT-style status — `noDevice` for a device never seen, `powerOff` for one
/// that was there and went away, `hardwareError` for one present but unusable. Shared by the
/// ID-card reader, the evaluation pad and the document camera, so each of them only adds what is
/// its own (reading cards, keys, frames). Its state methods are synchronous (called from the
/// driver's work on the blocking pool); `run` is the polling drivers' loop.
public final class ConnectionSupervisor<Connection: Sendable>: Sendable {
    /// How long to wait after failed opens: `first`, doubled after each further failure at most
    /// `doublings` times, never more than `maximum`.
    public struct Backoff: Sendable, Hashable {
        public var first: Duration
        public var doublings: Int
        public var maximum: Duration

        public init(first: Duration, doublings: Int, maximum: Duration) {
            self.first = first
            self.doublings = doublings
            self.maximum = maximum
        }

        /// The wait after the `failures`-th failed open in a row (1 for the first).
        public func wait(afterFailures failures: Int) -> Duration {
            min(first * (1 << min(max(failures - 1, 0), doublings)), maximum)
        }
    }

    /// What the technician is told about the device (the subject of the status details).
    public struct Wording: Sendable {
        /// After an open that found nothing: `"check the reader's cable and power"`.
        public var absentAdvice: String
        /// After an unplug: `"the reader was unplugged; it is re-opened when it returns"`.
        public var unplugged: String

        public init(absentAdvice: String, unplugged: String) {
            self.absentAdvice = absentAdvice
            self.unplugged = unplugged
        }
    }

    /// What `connection(open:)` found.
    public enum Link<Failure: Error> {
        /// The connection that was already open.
        case open(Connection)
        /// Opened now; `returned` when the device had been open before (re-opened after it came back).
        case opened(Connection, returned: Bool)
        /// The open failed with the opener's error; wait this long before trying again.
        case failed(Failure, wait: Duration)
    }

    /// How a failed open is classed.
    public enum OpenFailure: Sendable {
        /// Nothing there (not found, gone): `noDevice`, or `powerOff` once it had been open.
        case absent
        /// Present but unusable (permissions, a bad profile): `hardwareError`.
        case unusable
    }

    private struct State: Sendable {
        var connection: Connection?
        var report: DeviceStatusReport
        var everConnected = false
        var failedOpens = 0
        var unplugs = 0
        /// Set by libusb's hot-plug callback; acted on at the next poll, which it also hastens.
        var hotplug: USBHotplugWatcher.Event?
    }

    public let binding: DeviceBinding
    public let backoff: Backoff
    public let wording: Wording
    private let close: @Sendable (Connection) -> Void
    private let state: Mutex<State>

    /// - Parameter close: releases a connection that is dropped (unplug, reset, a failed link).
    public init(binding: DeviceBinding, backoff: Backoff, wording: Wording, close: @escaping @Sendable (Connection) -> Void) {
        self.binding = binding
        self.backoff = backoff
        self.wording = wording
        self.close = close
        state = Mutex(State(report: DeviceStatusReport(binding: binding, status: .starting)))
    }

    // MARK: state

    /// The device's status as last set.
    public var report: DeviceStatusReport { state.withLock { $0.report } }
    /// The open connection, if any.
    public var connection: Connection? { state.withLock { $0.connection } }
    /// Whether the device was open at least once (an absent device is then `powerOff`).
    public var everConnected: Bool { state.withLock { $0.everConnected } }
    /// Unplugs seen while the device was open.
    public var unplugs: Int { state.withLock { $0.unplugs } }
    /// Failed opens in a row.
    public var failedOpens: Int { state.withLock { $0.failedOpens } }

    /// Sets the status; the report is replaced only when the status or its detail changed.
    public func setStatus(_ status: DeviceStatus, detail: String?, action: TechnicianAction?) {
        state.withLock { s in
            if s.report.status != status || s.report.detail != detail {
                s.report = DeviceStatusReport(binding: binding, status: status, detail: detail, action: action)
            }
        }
    }

    // MARK: opening

    /// The open connection, or a new one from `open`. A failure counts towards the backoff and
    /// sets the status (`classify` says whether the device was absent or unusable).
    public func connection<E: Error>(open: () throws(E) -> Connection, classify: (E) -> OpenFailure) -> Link<E> {
        if let existing = state.withLock({ $0.connection }) { return .open(existing) }
        do throws(E) {
            let connection = try open()
            let returned = state.withLock { s -> Bool in
                s.connection = connection
                s.failedOpens = 0
                defer { s.everConnected = true }
                return s.everConnected
            }
            return .opened(connection, returned: returned)
        } catch {
            let (everConnected, failures) = state.withLock { s -> (Bool, Int) in
                s.failedOpens += 1
                return (s.everConnected, s.failedOpens)
            }
            switch classify(error) {
            case .absent:
                setStatus(everConnected ? .powerOff : .noDevice, detail: "\(error): \(wording.absentAdvice)",
                          action: everConnected ? .maintenance : .configuration)
            case .unusable:
                setStatus(.hardwareError, detail: "\(error)", action: .configuration)
            }
            return .failed(error, wait: backoff.wait(afterFailures: failures))
        }
    }

    /// Drops the connection of a device that went away: closed, counted, status `powerOff`.
    /// Returns false (and changes nothing) when no connection was open.
    @discardableResult
    public func unplugged() -> Bool {
        let dropped = state.withLock { s -> Connection? in
            guard let connection = s.connection else { return nil }
            s.connection = nil
            s.unplugs += 1
            return connection
        }
        guard let dropped else { return false }
        close(dropped)
        setStatus(.powerOff, detail: wording.unplugged, action: .maintenance)
        return true
    }

    /// Closes the connection (a link error, shutdown); the next poll opens it again.
    public func drop() {
        if let dropped = state.withLock({ s -> Connection? in defer { s.connection = nil }; return s.connection }) { close(dropped) }
    }

    /// Staff reset: the connection closed, the failed opens and any pending hot-plug event forgotten.
    public func reset() {
        drop()
        state.withLock { s in
            s.failedOpens = 0
            s.hotplug = nil
        }
    }

    // MARK: hot-plug

    /// Called by libusb's hot-plug callback (on its event thread).
    public func noteHotplug(_ event: USBHotplugWatcher.Event) {
        state.withLock { $0.hotplug = event }
    }

    public var hotplugPending: Bool { state.withLock { $0.hotplug != nil } }

    /// Acts on a pending hot-plug event at the start of a poll: LEFT drops the connection (an
    /// unplugged device's handle may go on answering) and returns true; ARRIVED forgets the failed
    /// opens, so the device is opened at once.
    public func applyHotplug() -> Bool {
        switch state.withLock({ s -> USBHotplugWatcher.Event? in defer { s.hotplug = nil }; return s.hotplug }) {
        case .left?:
            return unplugged()
        case .arrived?:
            state.withLock { $0.failedOpens = 0 }
            return false
        case nil:
            return false
        }
    }

    // MARK: the polling loop

    /// The loop of a device that polls its hardware, until graceful shutdown (or cancellation):
    /// watches hot-plug for `hotplugIDs` when given (`onHotplug` is told of each event after it is
    /// noted), polls, then waits the delay the poll asked for in slices of at most 50 ms through
    /// `sleep`, so a hot-plug event is acted on at once even during a backoff. Closes the
    /// connection when it ends.
    public func run(hotplugIDs: (vendorID: UInt16, productID: UInt16)?,
                    onHotplug: @escaping @Sendable (USBHotplugWatcher.Event) -> Void = { _ in },
                    sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
                    poll: @escaping @Sendable () async throws -> Duration) async throws {
        let watcher = hotplugIDs.flatMap { ids in
            USBHotplugWatcher(vendorID: ids.vendorID, productID: ids.productID) { [weak self] event in
                self?.noteHotplug(event)
                onHotplug(event)
            }
        }
        defer {
            watcher?.stop()
            drop()
        }
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    try await self.wait(try await poll(), sleep: sleep)
                }
            }
        } catch is CancellationError {
            // graceful shutdown
        }
    }

    /// Waits `delay` in slices of at most 50 ms, ending early when a hot-plug event is pending.
    func wait(_ delay: Duration, sleep: @Sendable (Duration) async throws -> Void) async throws {
        var left = delay
        while left > .zero, !hotplugPending {
            let slice = min(.milliseconds(50), left)
            try await sleep(slice)
            left -= slice
        }
    }
}
