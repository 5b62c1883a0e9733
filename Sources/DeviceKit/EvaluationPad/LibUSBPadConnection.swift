import CLibUSB
import Foundation
import KioskConfig
import Synchronization

/// A USB HID evaluation pad through libusb: claims the profile's interface (detaching the kernel's
/// HID driver if it holds it) and reads input reports from the interrupt IN endpoint, each read
/// bounded by the caller's timeout. Over a `LibUSBDevice`, which owns the context and handle and
/// frees them on close/deinit.
public final class LibUSBPadConnection: RawPadConnection, @unchecked Sendable {
    private let lock = Mutex<Void>(())
    private let device: LibUSBDevice
    private let endpoint: UInt8
    private let reportSize: Int
    private var decoder: HIDReportDecoder
    /// The interrupt OUT endpoint and the reports of each signal, when the profile has them.
    private let output: (endpoint: UInt8, reports: [PadSignal: [UInt8]])?
    public let description: String

    public init(profile: EvaluationPadProfile) throws(PadTransportError) {
        guard let hid = profile.hid, case let (vendorID, productID)? = hid.usbIDs,
              let endpoint = EvaluationPadProfile.endpointAddress(hid.interruptIn) else {
            throw .cannotOpen("profile \(profile.name) has no usable hid: section")
        }
        let interface = Int32(hid.interface ?? 0)
        do throws(LibUSBDevice.OpenError) {
            device = try LibUSBDevice(vendorID: vendorID, productID: productID, interface: .number(interface))
        } catch {
            switch error {
            case let .initFailed(rc): throw .cannotOpen("libusb_init: \(libusbErrorName(rc))")
            case let .listFailed(rc): throw .io("libusb_get_device_list: \(libusbErrorName(rc))")
            case .notFound, .noInterface: throw .notFound(String(format: "no USB device %04x:%04x", vendorID, productID))
            case .accessDenied:
                throw .cannotOpen(String(format: "permission denied on USB %04x:%04x: give kioskd's user access (a udev rule with MODE/GROUP for these ids) or run as root", vendorID, productID))
            case let .openFailed(rc): throw .cannotOpen("libusb_open: \(libusbErrorName(rc))")
            // The kernel's usbhid driver binds HID pads: it was detached when it held the interface.
            case let .claimFailed(interface, rc): throw .cannotOpen("claiming interface \(interface): \(libusbErrorName(rc))")
            }
        }
        self.endpoint = endpoint
        reportSize = hid.reportSize
        decoder = HIDReportDecoder(keys: hid.keys)
        if let out = hid.output, let endpoint = EvaluationPadProfile.endpointAddress(out.endpoint),
           let prompt = EvaluationPadProfile.hexBytes(out.prompt), let idle = EvaluationPadProfile.hexBytes(out.idle) {
            output = (endpoint, [.prompt: prompt, .idle: idle])
        } else {
            output = nil
        }
        description = "usb " + device.location + String(format: ", interrupt IN 0x%02X, %d-byte reports", endpoint, hid.reportSize)
    }

    public func close() { device.close() }

    /// One interrupt transfer: the report's key events, none when the timeout passed quietly.
    public func readKeys(timeout: Duration) throws(PadTransportError) -> [PadKeyEvent] {
        try lock.withLock { _ throws(PadTransportError) -> [PadKeyEvent] in
            guard let report = try readReport(timeout: timeout) else { return [] }
            return decoder.decode(report)
        }
    }

    /// One input report as hex, before any mapping.
    public func readRaw(timeout: Duration) throws(PadTransportError) -> [String] {
        try lock.withLock { _ throws(PadTransportError) -> [String] in
            guard let report = try readReport(timeout: timeout) else { return [] }
            return ["report " + report.map { String(format: "%02X", $0) }.joined(separator: " ")]
        }
    }

    /// One interrupt IN transfer (under the lock): the report, nil on a quiet timeout.
    private func readReport(timeout: Duration) throws(PadTransportError) -> [UInt8]? {
        guard device.isOpen else { throw .deviceGone }
        var report = [UInt8](repeating: 0, count: reportSize)
        let ms = max(1, Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        let (rc, transferred) = device.transfer(.interrupt, endpoint: endpoint, &report, timeoutMilliseconds: ms)
        switch rc {
        case 0:
            return Array(report.prefix(transferred))
        case LIBUSB_ERROR_TIMEOUT.rawValue:
            return nil
        case LIBUSB_ERROR_NO_DEVICE.rawValue:
            throw .deviceGone
        default:
            throw .io("interrupt read on 0x\(String(endpoint, radix: 16, uppercase: true)): \(libusbErrorName(rc))")
        }
    }

    /// One interrupt OUT transfer of the signal's report (bounded by 500 ms); nothing without one.
    public func signal(_ signal: PadSignal) throws(PadTransportError) {
        guard let output, var report = output.reports[signal] else { return }
        try lock.withLock { _ throws(PadTransportError) in
            guard device.isOpen else { throw .deviceGone }
            let (rc, transferred) = device.transfer(.interrupt, endpoint: output.endpoint, &report, timeoutMilliseconds: 500)
            switch rc {
            case 0 where transferred == report.count: return
            case 0: throw .io("output report \(signal.rawValue): \(transferred) of \(report.count) bytes sent")
            case LIBUSB_ERROR_NO_DEVICE.rawValue: throw .deviceGone
            default: throw .io("output report \(signal.rawValue) on 0x\(String(output.endpoint, radix: 16, uppercase: true)): \(libusbErrorName(rc))")
            }
        }
    }
}
