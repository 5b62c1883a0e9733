import DeviceKit
import Foundation
import Synchronization
import Workflow

/// Whether the kiosk serves citizens. Staff switch maintenance on and off by hand (kept across
/// restarts in the data directory); the kiosk also enters it by itself while a device every
/// citizen flow needs is down — no ID-card reader serving, or no printer able to print — and
/// leaves it when that device recovers.
public final class MaintenanceMode: Sendable {
    /// What the staff API and the `maintenance` event report.
    public struct State: Sendable, Hashable, Codable {
        public var on: Bool
        /// Switched on by staff.
        public var manual: Bool
        /// Entered because a needed device is down.
        public var automatic: Bool
        /// What the screen shows (Chinese).
        public var message: String
        /// Why (English, for staff): the staff note and/or the devices that are down.
        public var reasons: [String]
        public var since: Date?
    }

    private struct Persisted: Codable {
        var on: Bool
        var message: String?
        var since: Date?
    }

    public static let defaultMessage = "设备维护中，请到人工窗口办理"

    public let configuredMessage: String
    private let file: String?
    private let state: Mutex<(manual: Persisted, automaticReasons: [String], automaticSince: Date?)>
    private let onChange: @Sendable (State) -> Void

    /// `file` keeps the manual switch across restarts (nil: in memory only, for tests).
    /// The time the switch and the automatic reasons are stamped with.
    let clock: any KioskClock

    public init(message: String? = nil, file: String?, clock: any KioskClock = SystemClock(),
                onChange: @escaping @Sendable (State) -> Void = { _ in }) {
        self.clock = clock
        configuredMessage = message ?? Self.defaultMessage
        self.file = file
        self.onChange = onChange
        var manual = Persisted(on: false)
        if let file, let data = FileManager.default.contents(atPath: file) {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            manual = (try? decoder.decode(Persisted.self, from: data)) ?? Persisted(on: false)
        }
        state = Mutex((manual, [], nil))
    }

    public var current: State { state.withLock { Self.describe($0, configured: configuredMessage) } }
    public var isOn: Bool { current.on }

    /// Staff switch maintenance on (with an optional message for the screen) or off. Throws when
    /// the switch cannot be saved (it is still applied, for this run).
    @discardableResult
    public func set(on: Bool, message: String?, now: Date? = nil) throws -> State {
        let now = now ?? clock.now()
        let (before, after, persisted) = state.withLock { s -> (State, State, Persisted) in
            let before = Self.describe(s, configured: configuredMessage)
            s.manual = Persisted(on: on, message: on ? message : nil, since: on ? (s.manual.on ? s.manual.since : now) : nil)
            return (before, Self.describe(s, configured: configuredMessage), s.manual)
        }
        if before != after { onChange(after) }
        if let file {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            try encoder.encode(persisted).write(to: URL(fileURLWithPath: file), options: .atomic)
        }
        return after
    }

    /// Re-evaluates the automatic part from the devices' latest reports.
    @discardableResult
    public func evaluate(_ reports: [DeviceStatusReport], now: Date? = nil) -> State {
        let now = now ?? clock.now()
        let reasons = Self.devicesDown(reports)
        let (before, after) = state.withLock { s -> (State, State) in
            let before = Self.describe(s, configured: configuredMessage)
            if reasons.isEmpty {
                s.automaticSince = nil
            } else if s.automaticReasons.isEmpty {
                s.automaticSince = now
            }
            s.automaticReasons = reasons
            return (before, Self.describe(s, configured: configuredMessage))
        }
        if before != after { onChange(after) }
        return after
    }

    /// Why no citizen flow can run with these devices (empty when one can): every flow starts
    /// with the ID card and ends with a slip, so the kiosk needs a serving reader and a printer
    /// that can print (a second printer covers for one out of paper).
    public static func devicesDown(_ reports: [DeviceStatusReport]) -> [String] {
        var reasons: [String] = []
        let readers = reports.filter { $0.kind == .idCardReader }
        if !readers.isEmpty, !readers.contains(where: { $0.status.isServing || $0.status == .starting }) {
            reasons.append("no ID-card reader is working (\(readers.map { "\($0.id): \($0.status.rawValue)" }.joined(separator: ", ")))")
        }
        let printers = reports.filter { $0.kind == .receiptPrinter || $0.kind == .ticketPrinter }
        if !printers.isEmpty, !printers.contains(where: { $0.isHealthy || $0.status == .starting }) {
            reasons.append("no printer can print (\(printers.map { "\($0.id): \($0.paper.map { "paper \($0.rawValue)" } ?? $0.status.rawValue)" }.joined(separator: ", ")))")
        }
        return reasons
    }

    private static func describe(_ s: (manual: Persisted, automaticReasons: [String], automaticSince: Date?), configured: String) -> State {
        let automatic = !s.automaticReasons.isEmpty
        var reasons: [String] = []
        if s.manual.on { reasons.append("switched on by staff") }
        reasons += s.automaticReasons
        let since = [s.manual.on ? s.manual.since : nil, s.automaticSince].compactMap { $0 }.min()
        return State(on: s.manual.on || automatic, manual: s.manual.on, automatic: automatic,
                     message: (s.manual.on ? s.manual.message : nil) ?? configured, reasons: reasons, since: since)
    }
}
