import KioskConfig
import Logging
import Synchronization

/// A device of the kiosk as the rest of the product sees it. Each kind gains its own operations
/// (read a card, print a slip, …) in its own protocol; every device can report its status.
public protocol KioskDevice: Sendable {
    var binding: DeviceBinding { get }
    /// Checks the device now (bounded in time) and reports its state.
    func checkStatus() async -> DeviceStatusReport
}

/// An in-process stand-in for any device kind, so the demo and tests run the whole kiosk with
/// no hardware. Its state can be set from outside (the API's `/sim` routes, tests).
public final class SimulatedDevice: KioskDevice {
    public let binding: DeviceBinding
    fileprivate let state: Mutex<(status: DeviceStatus, paper: PaperState?)>

    public init(binding: DeviceBinding) {
        self.binding = binding
        let isPrinter = binding.kind == .receiptPrinter || binding.kind == .ticketPrinter
        state = Mutex((status: .online, paper: isPrinter ? .full : nil))
    }

    public func checkStatus() async -> DeviceStatusReport {
        let (status, paper) = state.withLock { ($0.status, $0.paper) }
        return DeviceStatusReport(binding: binding, status: status, paper: paper,
                                  detail: status == .online ? nil : "simulated \(status.rawValue)")
    }

    /// Sets the simulated state (e.g. `.powerOff` to rehearse an unplug).
    public func set(status: DeviceStatus, paper: PaperState? = nil) {
        state.withLock { current in
            current.status = status
            if let paper { current.paper = paper }
        }
    }
}

/// Builds the device objects for the configured bindings.
public enum DeviceFactory {
    public static func makeDevices(for bindings: [DeviceBinding], profilesDirectory: String, logger: Logger) -> [any KioskDevice] {
        bindings.map { binding -> any KioskDevice in
            switch (binding.kind, binding.driver) {
            case (_, .cups):
                return CUPSPrinter(binding: binding)
            case (.idCardReader, .simulated):
                return IDCardReaderService(simulatedBinding: binding, logger: logger)
            case (.documentCamera, .simulated):
                guard let name = binding.profile else { return SimulatedCamera(binding: binding) }
                do {
                    return SimulatedCamera(binding: binding, profile: try CameraProfile.load(name: name, profilesDirectory: profilesDirectory))
                } catch {
                    return MisconfiguredDevice(binding: binding, reason: "\(error)")
                }
            case (.documentCamera, .v4l2):
                do {
                    return try V4L2Camera(binding: binding, profilesDirectory: profilesDirectory, logger: logger)
                } catch {
                    return MisconfiguredDevice(binding: binding, reason: "\(error)")
                }
            case (.idCardReader, .usb), (.idCardReader, .serial):
                do {
                    return try IDCardReaderService(binding: binding, profilesDirectory: profilesDirectory, logger: logger)
                } catch {
                    return MisconfiguredDevice(binding: binding, reason: "\(error)")
                }
            case (.evaluationPad, .simulated):
                return EvaluationPadDevice(simulatedBinding: binding, logger: logger)
            case (.evaluationPad, .hid), (.evaluationPad, .evdev):
                do {
                    return try EvaluationPadDevice(binding: binding, profilesDirectory: profilesDirectory, logger: logger)
                } catch {
                    return MisconfiguredDevice(binding: binding, reason: "\(error)")
                }
            case (_, .simulated):
                return SimulatedDevice(binding: binding)
            default:
                return UnsupportedDriverDevice(binding: binding)
            }
        }
    }
}

/// A binding that cannot be used as configured (a profile that does not load): reports it.
public struct MisconfiguredDevice: KioskDevice {
    public let binding: DeviceBinding
    public let reason: String

    public init(binding: DeviceBinding, reason: String) {
        self.binding = binding
        self.reason = reason
    }

    public func checkStatus() async -> DeviceStatusReport {
        DeviceStatusReport(binding: binding, status: .noDevice, detail: reason, action: .configuration)
    }
}

/// Stands for a binding whose driver this build does not have yet: reports `noDevice` with the
/// reason instead of pretending the device works.
public struct UnsupportedDriverDevice: KioskDevice {
    public let binding: DeviceBinding

    public func checkStatus() async -> DeviceStatusReport {
        DeviceStatusReport(binding: binding, status: .noDevice,
                           detail: "driver '\(binding.driver.rawValue)' for \(binding.kind.rawValue) is not available in this build; bind the simulator or update OneWindow",
                           action: .configuration)
    }
}

/// A device staff can reset from the staff API or the CLI (after clearing a fault): it drops
/// what it holds (connection, stopped queue, stale state), starts again and reports its state.
public protocol ResettableDevice: KioskDevice {
    func reset() async throws -> DeviceStatusReport
}

extension SimulatedDevice: ResettableDevice {
    /// Back online; a printer's simulated paper is left as it is (a reset loads no paper).
    public func reset() async throws -> DeviceStatusReport {
        state.withLock { $0.status = .online }
        return await checkStatus()
    }
}
