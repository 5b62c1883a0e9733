import Foundation
import Workflow
import KioskConfig

/// A device's state, after XFS4IoT's `Common.Status.device`.
public enum DeviceStatus: String, Sendable, Hashable, Codable {
    case online
    case offline
    /// Unplugged or without power.
    case powerOff
    /// Not present / not configured where the binding says.
    case noDevice
    case hardwareError
    /// Present but a person must act (paper out, cover open, jam).
    case userError
    case busy
    case starting

    /// Whether the device can serve a citizen now.
    public var isServing: Bool { self == .online || self == .busy }
}

/// Paper supply of a printer, after XFS4IoT's `Printer.paper`. *unknown* (no sensor reading yet)
/// and *notSupported* (no sensor at all) are kept apart from *out*.
public enum PaperState: String, Sendable, Hashable, Codable {
    case full
    case low
    case out
    case jammed
    case unknown
    case notSupported
}

/// What a technician or staff member should do about a fault, after XFS4IoT's ErrorEvent actions.
public enum TechnicianAction: String, Sendable, Hashable, Codable {
    /// Reset the device (`kioskctl` / staff API reset).
    case reset
    /// Clear a physical condition: restock paper, clear a jam, close a cover.
    case clear
    /// Fix the configuration (kiosk.yaml, CUPS queue, profile).
    case configuration
    /// Call maintenance: the hardware needs repair or replacement.
    case maintenance
}

/// One device's status at one moment, as health, alerts and the CLI report it.
public struct DeviceStatusReport: Sendable, Hashable, Codable {
    public var id: String
    public var kind: DeviceKind
    public var driver: DriverKind
    public var status: DeviceStatus
    /// Printers only.
    public var paper: PaperState?
    /// One line a technician can act on (English), when the device is not simply online.
    public var detail: String?
    public var action: TechnicianAction?
    public var checkedAt: Date

    public init(id: String, kind: DeviceKind, driver: DriverKind, status: DeviceStatus, paper: PaperState? = nil,
                detail: String? = nil, action: TechnicianAction? = nil, checkedAt: Date = SystemClock().now()) {
        self.id = id; self.kind = kind; self.driver = driver; self.status = status; self.paper = paper
        self.detail = detail; self.action = action; self.checkedAt = checkedAt
    }

    public init(binding: DeviceBinding, status: DeviceStatus, paper: PaperState? = nil, detail: String? = nil,
                action: TechnicianAction? = nil, checkedAt: Date = SystemClock().now()) {
        self.init(id: binding.id, kind: binding.kind, driver: binding.driver, status: status, paper: paper,
                  detail: detail, action: action, checkedAt: checkedAt)
    }

    /// Serving and, for printers, with paper to print on.
    public var isHealthy: Bool {
        guard status.isServing else { return false }
        return paper != .out && paper != .jammed
    }
}
