import IDCard
import KioskConfig

/// A reader model's profile (`devices/idcard/<name>.yaml`): how to reach it and its timing.
public struct IDCardProfile: Sendable, Hashable, Codable {
    public enum Transport: String, Sendable, Hashable, Codable {
        case usb
        case serial
    }

    /// USB identity and, optionally, the endpoint scheme (detected from the descriptors when absent).
    public struct USB: Sendable, Hashable, Codable {
        public var vendorID: String
        public var productID: String
        public var endpoints: Endpoints?
        /// Bytes asked for per IN transfer (single scheme).
        public var inTransferSize: Int?
    }

    /// Endpoint addresses written as hex strings ("0x81").
    public struct Endpoints: Sendable, Hashable, Codable {
        public enum Scheme: String, Sendable, Hashable, Codable {
            case single
            case split
        }

        public var scheme: Scheme
        public var out: String?
        public var `in`: String?
        public var requestHeaderOut: String?
        public var requestBodyOut: String?
        public var replyHeaderIn: String?
        public var replyBodyIn: String?
    }

    public struct Serial: Sendable, Hashable, Codable {
        public var baud: Int
    }

    public struct Timeouts: Sendable, Hashable, Codable {
        public var commandMilliseconds: Int
        public var readMilliseconds: Int
    }

    public var name: String
    public var transport: Transport
    public var usb: USB?
    public var serial: Serial?
    public var timeouts: Timeouts?
    /// How often the service looks for a card.
    public var pollIntervalMilliseconds: Int?
    /// How udev recognises a serial reader (its USB-serial bridge); a USB reader is known by `usb`.
    public var udev: UdevMatch?

    /// Loads `devices/idcard/<name>.yaml` under `profilesDirectory`.
    public static func load(name: String, profilesDirectory: String) throws(ConfigError) -> IDCardProfile {
        try ProfileLoader.load(IDCardProfile.self, path: "\(profilesDirectory)/\(DeviceKind.idCardReader.profileFolder)/\(name).yaml")
    }

    /// The endpoint scheme the profile names, nil to detect; throws on a malformed address.
    public func endpointScheme() throws(SAMTransportError) -> USBEndpointScheme? {
        guard let e = usb?.endpoints else { return nil }
        func address(_ text: String?, _ field: String) throws(SAMTransportError) -> UInt8 {
            guard let text, let value = UInt8(text.lowercased().replacingOccurrences(of: "0x", with: ""), radix: 16) else {
                throw .cannotOpen("profile \(name): endpoints.\(field) must be a hex address such as \"0x81\"")
            }
            return value
        }
        switch e.scheme {
        case .single:
            return .single(out: try address(e.out, "out"), in: try address(e.in, "in"))
        case .split:
            return .split(requestHeaderOut: try address(e.requestHeaderOut, "requestHeaderOut"),
                          requestBodyOut: try address(e.requestBodyOut, "requestBodyOut"),
                          replyHeaderIn: try address(e.replyHeaderIn, "replyHeaderIn"),
                          replyBodyIn: try address(e.replyBodyIn, "replyBodyIn"))
        }
    }
}

/// Where a reader is: what `kioskctl idcard` options or a binding + profile resolve to.
public enum IDCardReaderLocation: Sendable, Hashable, CustomStringConvertible {
    case usb(vendorID: UInt16, productID: UInt16, scheme: USBEndpointScheme?, inTransferSize: Int)
    case serial(path: String, baud: SAMBaudRate)

    /// Parses `VID:PID` in hex.
    public static func usbIDs(_ text: String) -> (UInt16, UInt16)? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let v = UInt16(parts[0], radix: 16), let p = UInt16(parts[1], radix: 16) else { return nil }
        return (v, p)
    }

    /// Resolves a profile (plus an optional serial path, which a serial profile needs).
    public static func from(profile: IDCardProfile, serialPath: String? = nil, baud: Int? = nil) throws(SAMTransportError) -> IDCardReaderLocation {
        switch profile.transport {
        case .usb:
            guard let usb = profile.usb, let vid = UInt16(usb.vendorID, radix: 16), let pid = UInt16(usb.productID, radix: 16) else {
                throw .cannotOpen("profile \(profile.name): usb.vendorID and usb.productID must be hex (\"0400\", \"C35A\")")
            }
            return .usb(vendorID: vid, productID: pid, scheme: try profile.endpointScheme(), inTransferSize: usb.inTransferSize ?? 4096)
        case .serial:
            guard let serialPath else { throw .cannotOpen("profile \(profile.name) is a serial reader: give its port (--serial PATH or path: in the binding)") }
            let speed = baud ?? profile.serial?.baud ?? 115_200
            guard let rate = SAMBaudRate(bitsPerSecond: speed) else { throw .cannotOpen("baud \(speed) is not a SAM speed") }
            return .serial(path: serialPath, baud: rate)
        }
    }

    /// Opens the connection (blocking).
    public func open() throws(SAMTransportError) -> any SAMConnection {
        switch self {
        case let .usb(vid, pid, scheme, size):
            return try LibUSBSAMConnection(vendorID: vid, productID: pid, scheme: scheme, inTransferSize: size)
        case let .serial(path, baud):
            return try SerialSAMConnection(path: path, baud: baud)
        }
    }

    public var description: String {
        switch self {
        case let .usb(v, p, _, _): String(format: "usb %04x:%04x", v, p)
        case let .serial(path, baud): "serial \(path) at \(baud.bitsPerSecond)"
        }
    }
}
