import Foundation
import IDCard

/// Generates umockdev fixtures for ID-card readers from the device-side `SAMSimulator`, so every
/// replay file in `devices/idcard/` is what a SAM would really answer — never hand-written.
public enum IDCardFixtures {
    /// The exchange `kioskctl idcard read` performs: a poll with no card, then find, select, read.
    public static func readScenario(card: SAMSimulator.Card = SampleCards.resident,
                                    faults: [(command: SAMCommand, status: SAMStatus)] = []) -> [(request: [UInt8], response: [UInt8])] {
        var sam = SAMSimulator()
        sam.injectedStatuses = faults
        var exchanges: [([UInt8], [UInt8])] = []
        func exchange(_ command: SAMCommand) {
            let request = command.frame
            exchanges.append((request, sam.respond(to: request)))
        }
        exchange(.findCard)          // nobody has placed a card yet
        sam.place(card)
        exchange(.findCard)
        exchange(.selectCard)
        // A fault on select ends the driver's attempt there.
        if SAMResponse.statusCode(of: exchanges.last!.1) == SAMCommand.selectCard.successStatus { exchange(.readBase) }
        return exchanges
    }

    /// The scenario of `kioskctl idcard sam`: SAM id then SAM status.
    public static func samScenario() -> [(request: [UInt8], response: [UInt8])] {
        var sam = SAMSimulator()
        return [SAMCommand.samID, .samStatus].map { ($0.frame, sam.respond(to: $0.frame)) }
    }

    // MARK: USB

    public enum USBScheme: String, Sendable {
        case single
        case split
    }

    public static let vendorID: UInt16 = 0x0400
    public static let productID: UInt16 = 0xC35A
    /// Bytes per IN packet the emulated single-scheme module sends (full-speed bulk packets).
    public static let packetSize = 64
    /// What the driver asks for per IN transfer in the single scheme (the profiles' inTransferSize).
    public static let singleInTransferSize = 4096

    /// Device + configuration descriptors of a SAM module with the scheme's bulk endpoints.
    public static func descriptors(scheme: USBScheme, endpoints given: [UInt8]? = nil,
                                   vendorID: UInt16 = IDCardFixtures.vendorID, productID: UInt16 = IDCardFixtures.productID) -> [UInt8] {
        let endpoints = given ?? standardEndpoints(scheme)
        let total = 9 + 9 + 7 * endpoints.count
        var d: [UInt8] = [0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40,
                          UInt8(vendorID & 0xFF), UInt8(vendorID >> 8), UInt8(productID & 0xFF), UInt8(productID >> 8),
                          0x00, 0x01, 0x00, 0x00, 0x00, 0x01]
        d += [0x09, 0x02, UInt8(total & 0xFF), UInt8(total >> 8), 0x01, 0x01, 0x00, 0x80, 0x32]
        d += [0x09, 0x04, 0x00, 0x00, UInt8(endpoints.count), 0xFF, 0x00, 0x00, 0x00]
        for e in endpoints { d += [0x07, 0x05, e, 0x02, 0x40, 0x00, 0x00] }
        return d
    }

    /// The usual endpoints of a scheme: split 0x02, 0x06 out and 0x81, 0x85 in; single 0x02, 0x81.
    public static func standardEndpoints(_ scheme: USBScheme) -> [UInt8] {
        scheme == .split ? [0x02, 0x06, 0x81, 0x85] : [0x02, 0x81]
    }

    /// The `.umockdev` description of the module on bus 1, device 11.
    public static func usbDescription(scheme: USBScheme, endpoints: [UInt8]? = nil, vendorID: UInt16 = IDCardFixtures.vendorID,
                                      productID: UInt16 = IDCardFixtures.productID, bus: Int = 1, device: Int = 11) -> String {
        UMockdevUSB.description(descriptors: descriptors(scheme: scheme, endpoints: endpoints, vendorID: vendorID, productID: productID),
                                vendorID: vendorID, productID: productID, bus: bus, device: device)
    }

    /// The URB replay (`.ioctl`) of a scenario in the scheme, as the driver transfers it.
    /// `unplugDuring`: a last request that is sent, after which the reply transfer fails with
    /// -19 (ENODEV): the reader pulled out in the middle of the command.
    public static func usbIoctl(scheme: USBScheme, exchanges: [(request: [UInt8], response: [UInt8])],
                                unplugDuring: [UInt8]? = nil, endpoints given: [UInt8]? = nil,
                                inTransferSize inSize: Int = IDCardFixtures.singleInTransferSize,
                                bus: Int = 1, device: Int = 11) -> String {
        let endpoints = given ?? standardEndpoints(scheme)
        // split: header out, body out, header in, body in; single: out, in.
        let (headerOut, bodyOut) = (endpoints[0], scheme == .split ? endpoints[1] : endpoints[0])
        let (headerIn, bodyIn) = scheme == .split ? (endpoints[2], endpoints[3]) : (endpoints[1], endpoints[1])
        var lines = [String(format: "@DEV /dev/bus/usb/%03d/%03d", bus, device), "USBDEVFS_GET_CAPABILITIES 0 FD010000"]
        func out(_ endpoint: UInt8, _ bytes: ArraySlice<UInt8>) {
            lines.append("USBDEVFS_REAPURBNDELAY 0 3 \(endpoint) 0 0 \(bytes.count) \(bytes.count) 0 \(hex(bytes))")
        }
        func inbound(_ endpoint: UInt8, asked: Int, _ bytes: ArraySlice<UInt8>) {
            lines.append("USBDEVFS_REAPURBNDELAY 0 3 \(Int(endpoint)) 0 0 \(asked) \(bytes.count) 0 \(hex(bytes))")
        }
        for (request, response) in exchanges {
            switch scheme {
            case .single:
                out(headerOut, request[...])
                var offset = 0
                while offset < response.count {
                    let chunk = response[offset..<min(offset + packetSize, response.count)]
                    inbound(headerIn, asked: inSize, chunk)
                    offset += packetSize
                }
            case .split:
                out(headerOut, request.prefix(SAMFrame.headerLength))
                out(bodyOut, request.dropFirst(SAMFrame.headerLength))
                inbound(headerIn, asked: SAMFrame.headerLength, response.prefix(SAMFrame.headerLength))
                let body = response.dropFirst(SAMFrame.headerLength)
                inbound(bodyIn, asked: body.count, body)
            }
        }
        if let request = unplugDuring {
            switch scheme {
            case .single:
                out(headerOut, request[...])
                lines.append("USBDEVFS_REAPURBNDELAY 0 3 \(Int(headerIn)) -19 0 \(inSize) 0 0 ")
            case .split:
                out(headerOut, request.prefix(SAMFrame.headerLength))
                out(bodyOut, request.dropFirst(SAMFrame.headerLength))
                lines.append("USBDEVFS_REAPURBNDELAY 0 3 \(Int(headerIn)) -19 0 \(SAMFrame.headerLength) 0 0 ")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Serial

    public static let serialNode = "/dev/ttyS0"

    /// The `.umockdev` description of a serial port (major 4 so it is a tty).
    public static func serialDescription() -> String {
        """
        P: /devices/pnp0/00:04/tty/ttyS0
        N: ttyS0
        E: DEVNAME=/dev/ttyS0
        E: SUBSYSTEM=tty
        A: dev=4:64

        """
    }

    /// A umockdev serial script of a scenario: each request as a `w` line, each reply as `r`
    /// lines arriving in two pieces (bytes trickle in on a real line).
    public static func serialScript(exchanges: [(request: [UInt8], response: [UInt8])]) -> Data {
        var out = Data()
        for (request, response) in exchanges {
            out += Data("w 0 ".utf8) + escape(request[...]) + Data("\n".utf8)
            let half = max(1, response.count / 2)
            out += Data("r 0 ".utf8) + escape(response.prefix(half)) + Data("\n".utf8)
            out += Data("r 5 ".utf8) + escape(response.dropFirst(half)) + Data("\n".utf8)
        }
        return out
    }

    /// umockdev script escaping: bytes below 0x20 as `^` + (byte+64), `^` as "^`", others raw.
    static func escape(_ bytes: ArraySlice<UInt8>) -> Data {
        var out = Data()
        for b in bytes {
            if b < 0x20 { out.append(contentsOf: [0x5E, b + 64]) }
            else if b == 0x5E { out.append(contentsOf: [0x5E, 0x60]) }
            else { out.append(b) }
        }
        return out
    }

    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        bytes.map { String(format: "%02X", $0) }.joined()
    }

    // MARK: Replaying a field capture

    /// What `umockdev-run` needs to emulate the reader of a capture: the device description, the
    /// node, and its script (`-i` URB replay for USB, `-s` serial script).
    public struct ReplayFiles: Sendable {
        public var description: Data
        public var node: String
        public var script: Data
        public var isSerial: Bool
    }

    /// The umockdev files that make a capture's reader answer its recorded frames, in order.
    public static func replayFiles(for capture: SAMCapture) throws(SAMCaptureError) -> ReplayFiles {
        let exchanges = capture.exchanges.map { ($0.request, $0.response) }
        switch capture.link.transport {
        case "usb":
            guard let (vid, pid) = capture.link.usbIDs, let scheme = capture.link.scheme.flatMap(USBScheme.init(rawValue:)),
                  let endpoints = capture.link.endpointBytes, endpoints.count == (scheme == .split ? 4 : 2) else {
                throw .invalid("link: a USB capture needs vendorID, productID, scheme and its endpoints")
            }
            return ReplayFiles(description: Data(usbDescription(scheme: scheme, endpoints: endpoints, vendorID: vid, productID: pid).utf8),
                               node: "/dev/bus/usb/001/011",
                               script: Data(usbIoctl(scheme: scheme, exchanges: exchanges, endpoints: endpoints,
                                                     inTransferSize: capture.link.inTransferSize ?? singleInTransferSize).utf8),
                               isSerial: false)
        case "serial":
            return ReplayFiles(description: Data(serialDescription().utf8), node: serialNode,
                               script: serialScript(exchanges: exchanges), isSerial: true)
        default:
            throw .invalid("link: transport '\(capture.link.transport)' is neither usb nor serial")
        }
    }

    // MARK: Files

    /// Every fixture file of `devices/idcard/`, by file name.
    public static func allFiles() -> [String: Data] {
        let read = readScenario()
        let sam = samScenario()
        var files: [String: Data] = [:]
        for scheme in [USBScheme.split, .single] {
            let profile = "generic-sam-usb-\(scheme.rawValue)"
            files["\(profile).umockdev"] = Data(usbDescription(scheme: scheme).utf8)
            files["\(profile).read.ioctl"] = Data(usbIoctl(scheme: scheme, exchanges: read).utf8)
            files["\(profile).sam.ioctl"] = Data(usbIoctl(scheme: scheme, exchanges: sam).utf8)
        }
        files["generic-sam-serial.umockdev"] = Data(serialDescription().utf8)
        files["generic-sam-serial.read.script"] = serialScript(exchanges: read)
        return files
    }
}
