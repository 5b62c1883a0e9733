import CLibUSB
import KioskConfig
import Synchronization

/// A USB HID evaluation pad through libusb: claims the profile's interface (detaching the kernel's
/// HID driver if it holds it) and reads input reports from the interrupt IN endpoint, each read
/// bounded by the caller's timeout. Owns its libusb context and handle; frees them on close/deinit.
public final class LibUSBPadConnection: RawPadConnection, @unchecked Sendable {
    private let lock = Mutex<Void>(())
    private var context: OpaquePointer?
    private var handle: OpaquePointer?
    private let interfaceNumber: Int32
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
        var ctx: OpaquePointer?
        let rc = libusb_init(&ctx)
        guard rc == 0 else { throw .cannotOpen("libusb_init: \(libusbErrorName(rc))") }
        var opened: OpaquePointer?
        var location = ""
        do throws(PadTransportError) {
            let attached: Void? = try USBDeviceList.withFirstDevice(
                in: ctx, vendorID: vendorID, productID: productID,
                listFailed: { PadTransportError.io("libusb_get_device_list: \(libusbErrorName($0))") }
            ) { device throws(PadTransportError) in
                location = String(format: "bus %d addr %d", libusb_get_bus_number(device), libusb_get_device_address(device))
                let openResult = libusb_open(device, &opened)
                guard openResult == 0 else {
                    throw openResult == LIBUSB_ERROR_ACCESS.rawValue
                        ? .cannotOpen(String(format: "permission denied on USB %04x:%04x: give kioskd's user access (a udev rule with MODE/GROUP for these ids) or run as root", vendorID, productID))
                        : .cannotOpen("libusb_open: \(libusbErrorName(openResult))")
                }
                // The kernel's usbhid driver binds HID pads: it is detached when it holds the interface.
                let claim = claimInterfaceDetachingKernelDriver(opened, interface)
                guard claim == 0 else { throw .cannotOpen("claiming interface \(interface): \(libusbErrorName(claim))") }
            }
            guard attached != nil else { throw .notFound(String(format: "no USB device %04x:%04x", vendorID, productID)) }
        } catch {
            if let opened { libusb_close(opened) }
            libusb_exit(ctx)
            throw error
        }
        context = ctx
        handle = opened
        interfaceNumber = interface
        self.endpoint = endpoint
        reportSize = hid.reportSize
        decoder = HIDReportDecoder(keys: hid.keys)
        if let out = hid.output, let endpoint = EvaluationPadProfile.endpointAddress(out.endpoint),
           let prompt = EvaluationPadProfile.hexBytes(out.prompt), let idle = EvaluationPadProfile.hexBytes(out.idle) {
            output = (endpoint, [.prompt: prompt, .idle: idle])
        } else {
            output = nil
        }
        description = String(format: "usb %04x:%04x ", vendorID, productID) + location
            + String(format: ", interrupt IN 0x%02X, %d-byte reports", endpoint, hid.reportSize)
    }

    deinit { close() }

    public func close() {
        lock.withLock { _ in
            if let handle {
                libusb_release_interface(handle, interfaceNumber)
                libusb_close(handle)
            }
            if let context { libusb_exit(context) }
            handle = nil
            context = nil
        }
    }

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
        guard let handle else { throw .deviceGone }
        var report = [UInt8](repeating: 0, count: reportSize)
        var transferred: Int32 = 0
        let ms = max(1, Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        let rc = report.withUnsafeMutableBufferPointer { buffer in
            libusb_interrupt_transfer(handle, endpoint, buffer.baseAddress!, Int32(reportSize), &transferred, UInt32(ms))
        }
        switch rc {
        case 0:
            return Array(report.prefix(Int(transferred)))
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
            guard let handle else { throw .deviceGone }
            var transferred: Int32 = 0
            let rc = report.withUnsafeMutableBufferPointer { buffer in
                libusb_interrupt_transfer(handle, output.endpoint, buffer.baseAddress!, Int32(buffer.count), &transferred, 500)
            }
            switch rc {
            case 0 where Int(transferred) == report.count: return
            case 0: throw .io("output report \(signal.rawValue): \(transferred) of \(report.count) bytes sent")
            case LIBUSB_ERROR_NO_DEVICE.rawValue: throw .deviceGone
            default: throw .io("output report \(signal.rawValue) on 0x\(String(output.endpoint, radix: 16, uppercase: true)): \(libusbErrorName(rc))")
            }
        }
    }
}
