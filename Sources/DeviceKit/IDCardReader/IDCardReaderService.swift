import BlockingWork
import Foundation
import IDCard
import KioskConfig
import Logging
import ServiceLifecycle
import Synchronization

/// What the ID-card reader reports to the rest of the kiosk.
public enum IDCardEvent: Sendable {
    /// A card was placed and read (once per placement), or another card (another ID number) was
    /// found where the read one lay: a swap, announced without a `cardRemoved` in between.
    case cardInserted(CardIdentity)
    /// The card that was read has been lifted (or the reader went away while it lay there).
    case cardRemoved
}

/// The reader's statistics, after UnifiedPOS: reads, failures by status, link errors, time powered.
public struct IDCardReaderCounters: Sendable, Hashable, Codable {
    public var successfulReads = 0
    /// Failed reads by cause (`SW3 0x41`, `card data`, …).
    public var failedReads: [String: Int] = [:]
    public var communicationErrors = 0
    public var polls = 0
    /// Seconds the reader has been connected and answering, over the service's life.
    public var secondsPoweredOn: Double = 0
    public var unplugs = 0

    public var hoursPoweredOn: Double { secondsPoweredOn / 3600 }
}

/// Drives one ID-card reader: polls find-card, reads each placed card once (and a lying card again
/// every few polls, so a swap for another card is noticed), emits `cardInserted`/`cardRemoved`,
/// keeps XFS4IoT-style status and counters, and survives unplug:
/// the stale connection is dropped (status `powerOff`) and the reader re-opened when it returns,
/// without restarting kioskd — the connection's life (open, backoff, hot-plug, `powerOff`) is its
/// `ConnectionSupervisor`'s. Blocking I/O runs on the process's `BlockingPool`, off the cooperative pool.
public final class IDCardReaderService: ResettableDevice, Service {
    public typealias Opener = @Sendable () throws(SAMTransportError) -> any SAMConnection

    public let binding: DeviceBinding
    public let events = EventBroadcaster<IDCardEvent>()
    /// The in-process SAM when the binding is simulated (the demo places cards through it).
    public let simulator: SimulatedSAMConnection?
    private let opener: Opener
    private let pollInterval: Duration
    private let commandTimeout: Duration
    private let readTimeout: Duration
    private let logger: Logger
    /// The USB identity to watch with libusb's hotplug callback, when the reader is on USB.
    private let hotplugIDs: (vendorID: UInt16, productID: UInt16)?

    private struct State: Sendable {
        var tracker: CardPresenceTracker
        var counters = IDCardReaderCounters()
        var lastPoll: ContinuousClock.Instant?
    }

    private let state: Mutex<State>
    /// The reader's connection, its backoff while absent, hot-plug and `powerOff` state.
    let supervisor: ConnectionSupervisor<any SAMConnection>
    /// Set while a poll runs (see `pollOnce`).
    private let polling = Mutex(false)

    /// A reader on the simulated SAM (no card placed), with a serial line's wire time.
    public convenience init(simulatedBinding binding: DeviceBinding, simulator: SimulatedSAMConnection = SimulatedSAMConnection(bitsPerSecond: 115_200),
                            pollInterval: Duration = .milliseconds(300), recheckEvery: Int = 3, logger: Logger) {
        self.init(binding: binding, opener: { () throws(SAMTransportError) -> any SAMConnection in simulator },
                  pollInterval: pollInterval, recheckEvery: recheckEvery, simulator: simulator, logger: logger)
    }

    /// A reader reached through a profile and/or the binding's `usb:` / `path:` / `baud:`.
    public convenience init(binding: DeviceBinding, profilesDirectory: String, logger: Logger) throws(SAMTransportError) {
        var profile: IDCardProfile?
        if let name = binding.profile {
            do {
                profile = try IDCardProfile.load(name: name, profilesDirectory: profilesDirectory)
            } catch {
                throw .cannotOpen("profile '\(name)': \(error.errors.map(\.description).joined(separator: "; "))")
            }
        }
        let location: IDCardReaderLocation
        if let profile {
            location = try IDCardReaderLocation.from(profile: profile, serialPath: binding.path, baud: binding.baud)
        } else if binding.driver == .usb, let text = binding.usb, let (vid, pid) = IDCardReaderLocation.usbIDs(text) {
            location = .usb(vendorID: vid, productID: pid, scheme: nil, inTransferSize: 4096)
        } else if binding.driver == .serial, let path = binding.path {
            location = .serial(path: path, baud: SAMBaudRate(bitsPerSecond: binding.baud ?? 115_200) ?? .b115200)
        } else {
            throw .cannotOpen("binding \(binding.id) names neither a profile nor usb:/path:")
        }
        let timeouts = profile?.timeouts
        var hotplugIDs: (UInt16, UInt16)?
        if case let .usb(vid, pid, _, _) = location { hotplugIDs = (vid, pid) }
        self.init(binding: binding, opener: { () throws(SAMTransportError) -> any SAMConnection in try location.open() },
                  pollInterval: .milliseconds(profile?.pollIntervalMilliseconds ?? 300),
                  commandTimeout: .milliseconds(timeouts?.commandMilliseconds ?? 1000),
                  readTimeout: .milliseconds(timeouts?.readMilliseconds ?? 3000), hotplugIDs: hotplugIDs, logger: logger)
    }

    /// - Parameter recheckEvery: a card lying on the reader is read again every this many polls, so
    ///   that another card put in its place is noticed (find-card alone cannot tell two cards apart).
    public init(binding: DeviceBinding, opener: @escaping Opener, pollInterval: Duration = .milliseconds(300),
                recheckEvery: Int = 3,
                commandTimeout: Duration = .milliseconds(1000), readTimeout: Duration = .milliseconds(3000),
                simulator: SimulatedSAMConnection? = nil, hotplugIDs: (vendorID: UInt16, productID: UInt16)? = nil,
                logger: Logger) {
        self.binding = binding
        self.hotplugIDs = hotplugIDs
        self.simulator = simulator
        self.opener = opener
        self.pollInterval = pollInterval
        self.commandTimeout = commandTimeout
        self.readTimeout = readTimeout
        self.logger = logger
        state = Mutex(State(tracker: CardPresenceTracker(recheckEvery: recheckEvery)))
        // Back off while the reader is absent: 2, 4, 8… polls, at most 10 s.
        supervisor = ConnectionSupervisor(binding: binding,
                                          backoff: .init(first: pollInterval * 2, doublings: 4, maximum: .seconds(10)),
                                          wording: .init(absentAdvice: "check the reader's cable and power",
                                                         unplugged: "the reader was unplugged; it is re-opened when it returns"),
                                          close: { $0.close() })
    }

    public func checkStatus() async -> DeviceStatusReport { supervisor.report }

    public var counters: IDCardReaderCounters {
        var counters = state.withLock { $0.counters }
        counters.unplugs = supervisor.unplugs
        return counters
    }

    /// The identity of the card lying on the reader, if one was read and not yet lifted.
    public var currentCard: CardIdentity? { state.withLock { $0.tracker.current } }

    public func run() async throws {
        try await supervisor.run(hotplugIDs: hotplugIDs, onHotplug: { [weak self] event in self?.logHotplug(event) }) { [self] in
            await pollOnce()
        }
    }

    /// Staff reset: closes the connection, forgets the card on the reader (announcing its removal)
    /// and the open failures, then opens and polls at once.
    public func reset() async throws -> DeviceStatusReport {
        supervisor.reset()
        let hadCard = state.withLock { $0.tracker.reset() }
        logger.notice("ID-card reader reset", metadata: ["device": "\(binding.id)"])
        if hadCard { events.publish(.cardRemoved) }
        _ = await pollOnce()
        return await checkStatus()
    }

    /// Logs libusb's hotplug events (the supervisor, told first, acts on them at the next poll).
    private func logHotplug(_ event: USBHotplugWatcher.Event) {
        logger.notice(event == .arrived ? "ID-card reader plugged in" : "ID-card reader unplugged (hotplug)",
                      metadata: ["device": "\(binding.id)"])
    }

    /// One poll: (re)open if needed, find, and on a new placement select and read. Returns how
    /// long to wait before the next poll (longer while the reader is absent).
    ///
    /// Polls never overlap: the service's loop, a simulated placement and a staff reset may all ask
    /// at once, and two overlapping reads of one placement would announce the card twice (the late
    /// one landing in the next citizen's session). A caller waits for the poll under way, then polls.
    /// `recheck`: read a card lying on the reader again now (the simulator's placement, which may
    /// put one card in another's place).
    @discardableResult
    public func pollOnce(recheck: Bool = false) async -> Duration {
        while !polling.withLock({ busy in
            defer { busy = true }
            return !busy
        }) {
            // Cancelled (shutdown): no poll, and no busy loop on a sleep that returns at once.
            if Task.isCancelled { return pollInterval }
            try? await Task.sleep(for: .milliseconds(2))
        }
        defer { polling.withLock { $0 = false } }
        // Cancelled before the pool took it (shutdown): no poll.
        guard let outcome = try? await BlockingPool.shared.run({ () -> PollOutcome in self.pollBlocking(recheck: recheck) }) else {
            return pollInterval
        }
        for event in outcome.events { events.publish(event) }
        return outcome.wait
    }

    private struct PollOutcome: Sendable {
        var events: [IDCardEvent] = []
        var wait: Duration
    }

    private func pollBlocking(recheck: Bool) -> PollOutcome {
        var outcome = PollOutcome(wait: pollInterval)
        // Accumulate powered-on time between polls while connected.
        let now = ContinuousClock.now
        let connected = supervisor.connection != nil
        state.withLock { s in
            if let last = s.lastPoll, connected {
                let d = now - last
                s.counters.secondsPoweredOn += Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            }
            s.lastPoll = now
        }
        // A LEFT event drops the stale handle at once; the next transfer would fail anyway.
        if supervisor.applyHotplug() { wentAway(&outcome) }
        guard let connection = connectionOrOpen(&outcome) else { return outcome }
        let client = SAMClient(connection: connection, commandTimeout: commandTimeout, readTimeout: readTimeout)
        do throws(IDCardReadError) {
            let present = try client.findCard()
            let step = state.withLock { s -> CardPresenceTracker.Step in
                s.counters.polls += 1
                return s.tracker.found(present, recheckNow: recheck)
            }
            switch step {
            case .read:
                try client.selectCard()
                let identity = try client.readCard()
                state.withLock { s in
                    s.tracker.read(identity)
                    s.counters.successfulReads += 1
                }
                logger.info("ID card read", metadata: ["device": "\(binding.id)", "cardType": "\(identity.cardType.rawValue)",
                                                       "idNumber": "\(PersonalDataMask.idNumber(identity.idNumber))",
                                                       "numberValid": "\(identity.isIDNumberValid)"])
                outcome.events.append(.cardInserted(identity))
            case .recheck:
                let identity: CardIdentity
                do throws(IDCardReadError) {
                    try client.selectCard()
                    identity = try client.readCard()
                } catch {
                    state.withLock { $0.tracker.rereadFailed() }
                    throw error
                }
                let swapped = state.withLock { s -> Bool in
                    let swapped = s.tracker.reread(identity)
                    if swapped { s.counters.successfulReads += 1 }
                    return swapped
                }
                if swapped {
                    // Another person's card where the read one lay: a new placement (the session of
                    // the first card ends and is wiped when this one is read into a new one).
                    logger.notice("another ID card was placed without the first being lifted",
                                  metadata: ["device": "\(binding.id)", "cardType": "\(identity.cardType.rawValue)",
                                             "idNumber": "\(PersonalDataMask.idNumber(identity.idNumber))"])
                    outcome.events.append(.cardInserted(identity))
                }
            case .removed:
                outcome.events.append(.cardRemoved)
            case .none:
                break
            }
            setStatus(.online, detail: nil, action: nil)
        } catch {
            handle(error, &outcome)
        }
        return outcome
    }

    private func connectionOrOpen(_ outcome: inout PollOutcome) -> (any SAMConnection)? {
        let link = supervisor.connection(open: opener) { (error: SAMTransportError) in
            switch error {
            case .notFound, .deviceGone: .absent
            default: .unusable
            }
        }
        switch link {
        case let .open(connection):
            return connection
        case let .opened(connection, returned):
            if returned {
                logger.notice("ID-card reader re-opened after it returned", metadata: ["device": "\(binding.id)", "connection": "\(connection.description)"])
            }
            return connection
        case let .failed(_, wait):
            outcome.wait = wait
            return nil
        }
    }

    /// After the supervisor dropped an unplugged reader: the card on it is gone too.
    private func wentAway(_ outcome: inout PollOutcome) {
        let hadCard = state.withLock { $0.tracker.reset() }
        logger.warning("ID-card reader unplugged", metadata: ["device": "\(binding.id)"])
        if hadCard { outcome.events.append(.cardRemoved) }
    }

    private func handle(_ error: IDCardReadError, _ outcome: inout PollOutcome) {
        switch error {
        case .transport(.deviceGone):
            supervisor.unplugged()
            wentAway(&outcome)
        case .transport, .frame:
            state.withLock { $0.counters.communicationErrors += 1 }
            logger.warning("ID-card reader communication error", metadata: ["device": "\(binding.id)", "error": "\(error)"])
            setStatus(.online, detail: "last poll: \(error)", action: nil)
        case let .status(statusError):
            let status = statusError.status
            state.withLock { $0.counters.failedReads["SW3 0x" + String(status.code, radix: 16, uppercase: true), default: 0] += 1 }
            switch status {
            case .samSelfTestFailed, .samNotAuthorised:
                setStatus(.hardwareError, detail: "\(statusError)", action: .maintenance)
            case .unknownError, .undefined:
                setStatus(.hardwareError, detail: "\(statusError)", action: .reset)
            default:
                setStatus(.online, detail: nil, action: nil)
                logger.info("ID card not read", metadata: ["device": "\(binding.id)", "status": "\(status)"])
            }
        case let .cardData(dataError):
            state.withLock { $0.counters.failedReads["card data", default: 0] += 1 }
            logger.warning("ID card data unreadable", metadata: ["device": "\(binding.id)", "error": "\(dataError)"])
        case .noCardInTime:
            break
        }
    }

    private func setStatus(_ status: DeviceStatus, detail: String?, action: TechnicianAction?) {
        supervisor.setStatus(status, detail: detail, action: action)
    }
}
