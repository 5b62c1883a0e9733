import Foundation

/// Runs a program under `umockdev-run` with emulated devices, so the real libusb / termios code
/// talks to a device described by fixture files (see ../shared/docs/hardware-testing.md).
/// Fails loudly if umockdev is not installed: tests that need it never skip.
public enum UMockdev {
    /// One emulated device node with its script.
    public enum Script {
        /// `-i NODE=FILE`: a USB ioctl (URB) replay.
        case ioctl(node: String, file: String)
        /// `-s NODE=FILE`: a serial read/write script.
        case serial(node: String, file: String)
        /// `-e NODE=FILE`: an evdev event recording.
        case evdev(node: String, file: String)
    }

    /// Runs `program` with the devices of `descriptions` (`.umockdev` files) and the scripts.
    public static func run(devices descriptions: [String], scripts: [Script] = [], program: String, arguments: [String],
                           environment: [String: String] = [:], timeout: Duration = .seconds(60)) throws -> ProcessResult {
        let umockdevRun = try ChildProcess.which("umockdev-run", package: "umockdev")
        var args: [String] = []
        for description in descriptions { args += ["-d", description] }
        for script in scripts {
            switch script {
            case let .ioctl(node, file): args += ["-i", "\(node)=\(file)"]
            case let .serial(node, file): args += ["-s", "\(node)=\(file)"]
            case let .evdev(node, file): args += ["-e", "\(node)=\(file)"]
            }
        }
        args += ["--", program] + arguments
        return try ChildProcess.run(umockdevRun, args, environment: environment, timeout: timeout)
    }

    /// A `.umockdev` description of one USB device from its descriptors (device + configuration),
    /// as libusb reads them from sysfs. `bus`/`device` pick the /dev/bus/usb node.
    public static func usbDeviceDescription(descriptors: [UInt8], vendorID: UInt16, productID: UInt16,
                                            bus: Int = 1, device: Int = 11) -> String {
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
