/// How udev recognises a device model that its transport does not already identify by USB ids
/// (a reader behind a USB-serial bridge, a UVC camera, a keyboard-mode pad): the profile's
/// optional `udev:` key. `kioskctl udev rules` turns it into the model's rule — the kiosk group's
/// permission and its stable name under `/dev/onewindow/`.
public struct UdevMatch: Sendable, Hashable, Codable {
    /// The kernel subsystem of the node kioskd opens: `tty`, `video4linux` or `input`.
    public var subsystem: String
    /// The USB ids of the device, or of the bridge it sits behind ("1A86", as lsusb prints them).
    public var vendorID: String
    public var productID: String

    public init(subsystem: String, vendorID: String, productID: String) {
        self.subsystem = subsystem
        self.vendorID = vendorID
        self.productID = productID
    }

    /// The subsystems a rule can be made for.
    public static let subsystems = ["tty", "video4linux", "input"]
}
