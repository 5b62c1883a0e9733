import CLibUSB

/// One device found on the USB bus, described from its device descriptor.
public struct USBDeviceInfo: Sendable, Hashable, Codable {
    public var bus: Int
    public var address: Int
    public var vendorID: UInt16
    public var productID: UInt16
    public var deviceClass: Int

    /// `0400:c35a` style.
    public var id: String { hex4(vendorID) + ":" + hex4(productID) }

    private func hex4(_ v: UInt16) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 4 - s.count) + s
    }
}

/// Why the USB bus could not be read.
public struct USBError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var code: Int32

    public var description: String {
        "libusb \(operation) failed: \(libusbErrorName(code))"
    }
}

/// Lists USB devices through libusb (for `kioskctl devices usb` and for matching profiles).
public enum USBBus {
    /// Blocking; each call has its own libusb context, freed before it returns.
    public static func listDevices() throws(USBError) -> [USBDeviceInfo] {
        var context: OpaquePointer?
        let initResult = libusb_init(&context)
        guard initResult == 0 else { throw USBError(operation: "init", code: initResult) }
        defer { libusb_exit(context) }

        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(context, &list)
        guard count >= 0, let list else { throw USBError(operation: "get_device_list", code: Int32(count)) }
        defer { libusb_free_device_list(list, 1) }

        var devices: [USBDeviceInfo] = []
        for i in 0..<Int(count) {
            guard let device = list[i] else { continue }
            var descriptor = libusb_device_descriptor()
            guard libusb_get_device_descriptor(device, &descriptor) == 0 else { continue }
            devices.append(USBDeviceInfo(bus: Int(libusb_get_bus_number(device)),
                                         address: Int(libusb_get_device_address(device)),
                                         vendorID: descriptor.idVendor, productID: descriptor.idProduct,
                                         deviceClass: Int(descriptor.bDeviceClass)))
        }
        return devices.sorted { ($0.bus, $0.address) < ($1.bus, $1.address) }
    }
}

/// libusb's name of an error code (`LIBUSB_ERROR_NO_DEVICE`), for messages.
func libusbErrorName(_ rc: Int32) -> String {
    libusb_error_name(rc).map { String(cString: $0) } ?? "error \(rc)"
}
