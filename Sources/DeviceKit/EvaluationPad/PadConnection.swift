import Foundation
import KioskConfig
import Synchronization

/// One key event of an evaluation pad, already mapped to a level (5 非常满意 … 1 非常不满意).
public struct PadKeyEvent: Sendable, Hashable, CustomStringConvertible {
    public enum Action: String, Sendable, Hashable {
        case press
        /// The key is held (evdev auto-repeat, or a HID pad sending the same report again).
        case `repeat`
        case release
    }

    public var level: Int
    public var action: Action

    public init(level: Int, action: Action) {
        self.level = level
        self.action = action
    }

    public var description: String { "\(action.rawValue) \(level)" }
}

/// Why a pad could not be opened or read.
public enum PadTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing with the profile's identity (or at the binding's path) is there.
    case notFound(String)
    /// Present but unusable (permissions, claim refused, bad profile).
    case cannotOpen(String)
    /// Unplugged while open (libusb NO_DEVICE, ENODEV).
    case deviceGone
    case io(String)

    public var description: String {
        switch self {
        case let .notFound(detail): detail
        case let .cannotOpen(detail): detail
        case .deviceGone: "the pad was unplugged"
        case let .io(detail): detail
        }
    }
}

/// What a pad shows: a rating is asked (LED on / beep), or nothing is.
public enum PadSignal: String, Sendable, Hashable {
    case prompt
    case idle
}

/// An open pad: reads key events, each call bounded by `timeout` (an empty answer when no key
/// was touched), and shows a signal if it can. Blocking: call it on `BlockingPool`.
public protocol PadConnection: AnyObject, Sendable {
    var description: String { get }
    func readKeys(timeout: Duration) throws(PadTransportError) -> [PadKeyEvent]
    /// Sends the signal's output report; does nothing on a pad without one.
    func signal(_ signal: PadSignal) throws(PadTransportError)
    func close()
}

extension PadConnection {
    public func signal(_ signal: PadSignal) throws(PadTransportError) {}
}

/// A real pad that can also show what it sends before any mapping (`kioskctl pad watch --raw`),
/// for writing a new model's profile.
public protocol RawPadConnection: PadConnection {
    /// One line per input report (HID, hex) or key event (evdev, code name and value); none when
    /// the timeout passed quietly.
    func readRaw(timeout: Duration) throws(PadTransportError) -> [String]
}

/// The in-process pad of the demo and the tests: `press(level:)` queues a press and its release,
/// which the next read returns, as a real pad's driver would.
public final class SimulatedPadConnection: PadConnection {
    private struct State {
        var queued: [PadKeyEvent] = []
        var unplugged = false
        var signals: [PadSignal] = []
    }

    private let state = Mutex(State())
    private let arrived = DispatchSemaphore(value: 0)
    public let description = "simulated pad"

    public init() {}

    /// Queues a key press (and, unless `hold`, its release).
    public func press(level: Int, repeats: Int = 0, release: Bool = true) {
        state.withLock { s in
            s.queued.append(PadKeyEvent(level: level, action: .press))
            for _ in 0..<repeats { s.queued.append(PadKeyEvent(level: level, action: .repeat)) }
            if release { s.queued.append(PadKeyEvent(level: level, action: .release)) }
        }
        arrived.signal()
    }

    /// Pulls the simulated cable (reads fail with `deviceGone`) or puts it back.
    public func setUnplugged(_ unplugged: Bool) {
        state.withLock { $0.unplugged = unplugged }
        arrived.signal()
    }

    public var isUnplugged: Bool { state.withLock { $0.unplugged } }

    /// The signals shown so far, oldest first (the simulated LED's history).
    public var signals: [PadSignal] { state.withLock { $0.signals } }

    public func signal(_ signal: PadSignal) throws(PadTransportError) {
        try state.withLock { s throws(PadTransportError) in
            if s.unplugged { throw .deviceGone }
            s.signals.append(signal)
        }
    }

    public func readKeys(timeout: Duration) throws(PadTransportError) -> [PadKeyEvent] {
        func take() throws(PadTransportError) -> [PadKeyEvent] {
            try state.withLock { s throws(PadTransportError) -> [PadKeyEvent] in
                if s.unplugged { throw .deviceGone }
                defer { s.queued.removeAll() }
                return s.queued
            }
        }
        let keys = try take()
        if !keys.isEmpty || timeout <= .zero { return keys }
        let ms = Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        _ = arrived.wait(timeout: .now() + .milliseconds(ms))
        return try take()
    }

    public func close() {}
}

extension EvaluationPadProfile {
    /// Opens the pad this profile describes: over libusb (`hid`), or the input node at `path`
    /// (`evdev`, which needs one). Used by kioskd's pad device and by `kioskctl pad`.
    public func openConnection(path: String?) throws(PadTransportError) -> any PadConnection {
        switch transport {
        case .hid:
            return try LibUSBPadConnection(profile: self)
        case .evdev:
            guard let path else { throw .cannotOpen("profile \(name) is a keyboard-mode pad: it needs the input node's path (/dev/input/eventN)") }
            return try EvdevPadConnection(path: path, profile: self)
        }
    }
}
