import Foundation

/// umockdev descriptions of USB devices, as libusb reads them from sysfs (no control transfer
/// needed to enumerate): see ../shared/docs/hardware-testing.md.
public enum UMockdevUSB {
    /// A `.umockdev` block for one device from its device + configuration descriptors, at
    /// `/dev/bus/usb/BUS/DEVICE`.
    public static func description(descriptors: [UInt8], vendorID: UInt16, productID: UInt16, bus: Int, device: Int) -> String {
        let hex = descriptors.map { String(format: "%02X", $0) }.joined()
        let node = String(format: "bus/usb/%03d/%03d", bus, device)
        let minor = (bus - 1) * 128 + (device - 1)
        return """
            P: /devices/pci0000:00/0000:00:14.0/usb\(bus)/\(bus)-1
            N: \(node)=\(hex)
            E: BUSNUM=\(String(format: "%03d", bus))
            E: DEVNUM=\(String(format: "%03d", device))
            E: DEVNAME=/dev/\(node)
            E: DEVTYPE=usb_device
            E: DRIVER=usb
            E: MAJOR=189
            E: MINOR=\(minor)
            E: PRODUCT=\(String(vendorID, radix: 16))/\(String(productID, radix: 16))/100
            E: SUBSYSTEM=usb
            A: bConfigurationValue=1\\n
            A: busnum=\(bus)\\n
            A: devnum=\(device)\\n
            A: dev=189:\(minor)
            A: idVendor=\(String(format: "%04x", vendorID))\\n
            A: idProduct=\(String(format: "%04x", productID))\\n
            A: speed=12\\n
            H: descriptors=\(hex)

            """
    }
}
