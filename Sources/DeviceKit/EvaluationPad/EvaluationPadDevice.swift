import BlockingWork
import Foundation
import KioskConfig
import Logging
import ServiceLifecycle
import Synchronization

/// What the pad tells the rating logic: a key, or that it went away / came back.
public enum PadInput: Sendable, Hashable {
    case key(PadKeyEvent)
    /// Unplugged (or unreadable): no key can come until it returns.
    case unavailable(String)
    /// Opened again after it was unavailable.
    case available
}

/// The pad's statistics, after UnifiedPOS: key events read, unplugs, link errors.
public struct EvaluationPadCounters: Sendable, Hashable, Codable {
    public var keyEvents = 0
    public var unplugs = 0
    public var communicationErrors = 0
}

/// Drives one evaluation pad (HID, evdev or simulated): keeps it open, reads its keys and hands
/// them to the attached handler (the rating logic), keeps XFS4IoT-style status and counters, and
/// survives unplug: the stale connection is dropped (status `powerOff`, `.unavailable` handed on)
/// and the pad re-opened when it returns, without restarting kioskd — the connection's life (open,
/// backoff, hot-plug, `powerOff`) is its `ConnectionSupervisor`'s. Reads run on the process's
/// `BlockingPool`, off the cooperative pool.
public final class EvaluationPadDevice: ResettableDevice, Service {
    public typealias Opener = @Sendable () throws(PadTransportError) -> any PadConnection
    public typealias Handler = @Sendable (PadInput) async -> Void

    public let binding: DeviceBinding
    /// The in-process pad when the binding is simulated (`POST /api/v1/sim/pad/press` presses it).
    public let simulator: SimulatedPadConnection?
    /// Presses closer than this count once (from the profile; 0.3 s without one).
    public let debounceSeconds: Double
    private let opener: Opener
    private let readTimeout: Duration
    private let logger: Logger
    /// The USB identity to watch with libusb's hotplug callback (HID pads): an unplugged device's
    /// open handle may go on answering, so the LEFT event is what drops it.
    private let hotplugIDs: (vendorID: UInt16, productID: UInt16)?

    private struct State: Sendable {
        var counters = EvaluationPadCounters()
        var announcedUnavailable = false
        /// What the pad should show, and what its current connection was last told (nil: nothing yet).
        var wantedSignal = PadSignal.idle
        var shownSignal: PadSignal?
    }

    private let state: Mutex<State>
    /// The pad's connection, its backoff while absent, hot-plug and `powerOff` state.
    let supervisor: ConnectionSupervisor<any PadConnection>
    private let handler = Mutex<Handler?>(nil)
    private let polling = Mutex(false)
    /// Callers waiting for the read under way (the simulator route, a staff reset): the loop lets
    /// them have the next read, or its back-to-back reads would starve them.
    private let waiters = Atomic<Int>(0)

    /// A simulated pad.
    public convenience init(simulatedBinding binding: DeviceBinding, simulator: SimulatedPadConnection = SimulatedPadConnection(),
                            logger: Logger) {
        self.init(binding: binding, opener: { () throws(PadTransportError) -> any PadConnection in
            guard !simulator.isUnplugged else { throw .notFound("the simulated pad is unplugged") }
            return simulator
        }, simulator: simulator, logger: logger)
    }

    /// A real pad from its binding: `profile:` (required) and, for evdev, `path:`.
    public convenience init(binding: DeviceBinding, profilesDirectory: String, logger: Logger) throws(PadTransportError) {
        guard let name = binding.profile else {
            throw .cannotOpen("binding \(binding.id) needs 'profile:' (devices/evalpads/NAME.yaml) for its key mapping")
        }
        let profile: EvaluationPadProfile
        do {
            profile = try EvaluationPadProfile.load(name: name, profilesDirectory: profilesDirectory)
        } catch {
            throw .cannotOpen("profile '\(name)': \(error.errors.map(\.description).joined(separator: "; "))")
        }
        try self.init(binding: binding, profile: profile, logger: logger)
    }

    public convenience init(binding: DeviceBinding, profile: EvaluationPadProfile, logger: Logger) throws(PadTransportError) {
        let opener: Opener
        var hotplugIDs: (UInt16, UInt16)?
        switch (binding.driver, profile.transport) {
        case (.hid, .hid):
            opener = { () throws(PadTransportError) -> any PadConnection in try profile.openConnection(path: nil) }
            hotplugIDs = profile.hid?.usbIDs
        case (.evdev, .evdev):
            guard let path = binding.path else { throw .cannotOpen("binding \(binding.id) needs 'path:' (/dev/input/eventN)") }
            opener = { () throws(PadTransportError) -> any PadConnection in try profile.openConnection(path: path) }
        default:
            throw .cannotOpen("profile \(profile.name) is a \(profile.transport.rawValue) pad; bind it with driver: \(profile.transport.rawValue)")
        }
        self.init(binding: binding, opener: opener, debounceSeconds: profile.debounceSeconds,
                  readTimeout: .milliseconds(profile.hid?.readTimeoutMilliseconds ?? 250), hotplugIDs: hotplugIDs, logger: logger)
    }

    public init(binding: DeviceBinding, opener: @escaping Opener, debounceSeconds: Double = 0.3,
                readTimeout: Duration = .milliseconds(250), simulator: SimulatedPadConnection? = nil,
                hotplugIDs: (vendorID: UInt16, productID: UInt16)? = nil, logger: Logger) {
        self.hotplugIDs = hotplugIDs
        self.binding = binding
        self.opener = opener
        self.debounceSeconds = debounceSeconds
        self.readTimeout = readTimeout
        self.simulator = simulator
        self.logger = logger
        state = Mutex(State())
        // Back off while the pad is absent: 0.25, 0.5, 1, 2 s.
        supervisor = ConnectionSupervisor(binding: binding, backoff: .init(first: .milliseconds(250), doublings: 3, maximum: .seconds(2)),
                                          wording: .init(absentAdvice: "check the pad's cable",
                                                         unplugged: "the pad was unplugged; it is re-opened when it returns"),
                                          close: { $0.close() })
    }

    /// Where keys and (un)availability go; one handler (the rating logic).
    public func attach(_ handler: @escaping Handler) { self.handler.withLock { $0 = handler } }

    public func checkStatus() async -> DeviceStatusReport { supervisor.report }

    public var counters: EvaluationPadCounters {
        var counters = state.withLock { $0.counters }
        counters.unplugs = supervisor.unplugs
        return counters
    }

    public func run() async throws {
        try await supervisor.run(hotplugIDs: hotplugIDs, onHotplug: { [weak self] event in self?.logHotplug(event) }) { [self] in
            let wait = await pollOnce(timeout: readTimeout)
            // A caller waiting for the connection (a reset, the simulator) goes before the next read.
            while waiters.load(ordering: .acquiring) > 0 { try await Task.sleep(for: .milliseconds(1)) }
            return wait
        }
    }

    /// What the pad should show (its LED / beeper, when the profile has output reports); sent
    /// before the pad's next read.
    public func indicate(_ signal: PadSignal) {
        state.withLock { $0.wantedSignal = signal }
    }

    /// Logs libusb's hotplug events (the supervisor, told first, acts on them at the next poll).
    private func logHotplug(_ event: USBHotplugWatcher.Event) {
        logger.notice(event == .arrived ? "evaluation pad plugged in" : "evaluation pad unplugged (hotplug)",
                      metadata: ["device": "\(binding.id)"])
    }

    /// Staff reset: drops the connection and opens the pad again at once.
    public func reset() async throws -> DeviceStatusReport {
        supervisor.reset()
        logger.notice("evaluation pad reset", metadata: ["device": "\(binding.id)"])
        _ = await pollOnce()
        return await checkStatus()
    }

    /// One read (opening the pad first if needed), its inputs handed to the handler before it
    /// returns. Returns how long to wait before the next read (longer while the pad is absent).
    /// Reads never overlap: a caller waits for the read under way.
    @discardableResult
    public func pollOnce(timeout: Duration = .zero) async -> Duration {
        func acquire() -> Bool {
            polling.withLock { busy in
                defer { busy = true }
                return !busy
            }
        }
        if !acquire() {
            waiters.add(1, ordering: .acquiringAndReleasing)
            defer { waiters.subtract(1, ordering: .acquiringAndReleasing) }
            while !acquire() {
                if Task.isCancelled { return readTimeout }
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        defer { polling.withLock { $0 = false } }
        // Cancelled before the pool took it (shutdown): no read.
        guard let read = try? await BlockingPool.shared.run({ () -> ([PadInput], Duration) in self.pollBlocking(timeout: timeout) }) else {
            return readTimeout
        }
        let (inputs, wait) = read
        if let handler = handler.withLock({ $0 }) {
            for input in inputs { await handler(input) }
        }
        return wait
    }

    private func pollBlocking(timeout: Duration) -> ([PadInput], Duration) {
        var inputs: [PadInput] = []
        // A LEFT event drops the stale handle at once: an unplugged device's handle may not fail by itself.
        if supervisor.applyHotplug() { return unplugged(inputs, dropped: true) }
        let connection: any PadConnection
        let link = supervisor.connection(open: opener) { (error: PadTransportError) in
            switch error {
            case .notFound, .deviceGone: .absent
            default: .unusable
            }
        }
        switch link {
        case let .open(existing):
            connection = existing
        case let .failed(error, wait):
            if announceUnavailable() { inputs.append(.unavailable("\(error)")) }
            return (inputs, wait)
        case let .opened(opened, _):
            connection = opened
            let returned = state.withLock { s -> Bool in
                s.shownSignal = nil
                defer { s.announcedUnavailable = false }
                return s.announcedUnavailable
            }
            logger.notice("evaluation pad opened", metadata: ["device": "\(binding.id)", "connection": "\(connection.description)"])
            if returned { inputs.append(.available) }
        }
        do throws(PadTransportError) {
            let wanted = state.withLock { s -> PadSignal? in s.shownSignal == s.wantedSignal ? nil : s.wantedSignal }
            if let wanted {
                do throws(PadTransportError) {
                    try connection.signal(wanted)
                } catch .deviceGone {
                    throw .deviceGone
                } catch {
                    // A pad that cannot light its LED still rates: note it and go on reading.
                    logger.warning("evaluation pad output report failed", metadata: ["device": "\(binding.id)", "error": "\(error)"])
                }
                state.withLock { $0.shownSignal = wanted }
            }
            let keys = try connection.readKeys(timeout: timeout)
            state.withLock { $0.counters.keyEvents += keys.count }
            setStatus(.online, detail: nil, action: nil)
            inputs += keys.map(PadInput.key)
            return (inputs, .zero)
        } catch .deviceGone {
            return unplugged(inputs)
        } catch {
            supervisor.drop()
            state.withLock { $0.counters.communicationErrors += 1 }
            logger.warning("evaluation pad read failed", metadata: ["device": "\(binding.id)", "error": "\(error)"])
            setStatus(.hardwareError, detail: "\(error)", action: .reset)
            return (inputs, .milliseconds(250))
        }
    }

    /// Drops the connection of an unplugged pad: status powerOff, `.unavailable` handed on once.
    private func unplugged(_ inputs: [PadInput], dropped: Bool = false) -> ([PadInput], Duration) {
        var inputs = inputs
        if !dropped { supervisor.unplugged() }
        logger.warning("evaluation pad unplugged", metadata: ["device": "\(binding.id)"])
        if announceUnavailable() { inputs.append(.unavailable("the pad was unplugged")) }
        return (inputs, .milliseconds(250))
    }

    /// True the first time after the pad became unusable (so `.unavailable` is handed on once).
    private func announceUnavailable() -> Bool {
        state.withLock { s in
            defer { s.announcedUnavailable = true }
            return !s.announcedUnavailable
        }
    }

    private func setStatus(_ status: DeviceStatus, detail: String?, action: TechnicianAction?) {
        supervisor.setStatus(status, detail: detail, action: action)
    }
}
