import CLibUSB
import Foundation
import IDCard
import Synchronization

/// How a SAM module's USB interface carries frames.
public enum USBEndpointScheme: Sendable, Hashable, CustomStringConvertible {
    /// One bulk OUT/IN pair carrying whole frames.
    case single(out: UInt8, in: UInt8)
    /// The common 0400:C35A modules: request preamble+length out on one endpoint and the rest on
    /// another; reply preamble+length in on one and the rest on another.
    case split(requestHeaderOut: UInt8, requestBodyOut: UInt8, replyHeaderIn: UInt8, replyBodyIn: UInt8)

    /// The split scheme's usual endpoints.
    public static let standardSplit = USBEndpointScheme.split(requestHeaderOut: 0x02, requestBodyOut: 0x06,
                                                              replyHeaderIn: 0x81, replyBodyIn: 0x85)

    /// Picks the scheme from an interface's bulk endpoints: the four split endpoints when all are
    /// present, else the first bulk OUT and IN.
    public static func detect(bulkEndpoints: [UInt8]) -> USBEndpointScheme? {
        if case let .split(a, b, c, d) = standardSplit, [a, b, c, d].allSatisfy(bulkEndpoints.contains) { return standardSplit }
        guard let out = bulkEndpoints.first(where: { $0 & 0x80 == 0 }),
              let inbound = bulkEndpoints.first(where: { $0 & 0x80 != 0 }) else { return nil }
        return .single(out: out, in: inbound)
    }

    public var description: String {
        func h(_ e: UInt8) -> String { "0x" + String(e, radix: 16, uppercase: true) }
        switch self {
        case let .single(o, i): return "single endpoints (out \(h(o)), in \(h(i)))"
        case let .split(a, b, c, d): return "split endpoints (out \(h(a))+\(h(b)), in \(h(c))+\(h(d)))"
        }
    }
}

/// A SAM module on USB through libusb (bulk transfers), over a `LibUSBDevice` (which owns the
/// context and handle and frees them on close/deinit). Every transfer is bounded by the caller's timeout.
public final class LibUSBSAMConnection: SAMConnection, @unchecked Sendable {
    private let lock = Mutex<Void>(())
    private let device: LibUSBDevice
    public let scheme: USBEndpointScheme
    /// Bytes asked for per IN transfer in the single scheme.
    public let inTransferSize: Int
    public let description: String

    /// Opens the first device with `vendorID:productID`, claims its interface and picks the
    /// endpoint scheme (`scheme` from the profile, else detected from the descriptors).
    public init(vendorID: UInt16, productID: UInt16, scheme requested: USBEndpointScheme? = nil,
                inTransferSize: Int = 4096) throws(SAMTransportError) {
        let device: LibUSBDevice
        do throws(LibUSBDevice.OpenError) {
            device = try LibUSBDevice(vendorID: vendorID, productID: productID, interface: .firstWithBulkEndpoints)
        } catch {
            switch error {
            case let .initFailed(rc): throw .cannotOpen("libusb_init: \(libusbErrorName(rc))")
            case let .listFailed(rc): throw .io("libusb_get_device_list: \(libusbErrorName(rc))")
            case .notFound: throw .notFound(String(format: "no USB device %04x:%04x", vendorID, productID))
            case .noInterface: throw .cannotOpen(String(format: "%04x:%04x has no interface with bulk endpoints", vendorID, productID))
            case .accessDenied: throw .cannotOpen("permission denied: install devices/idcard/udev rules or run as root")
            case let .openFailed(rc): throw .cannotOpen("libusb_open: \(libusbErrorName(rc))")
            case let .claimFailed(interface, rc): throw .cannotOpen("claiming interface \(interface): \(libusbErrorName(rc))")
            }
        }
        guard let scheme = requested ?? USBEndpointScheme.detect(bulkEndpoints: device.bulkEndpoints) else {
            device.close()
            throw .cannotOpen("no bulk OUT/IN endpoint pair")
        }
        self.device = device
        self.scheme = scheme
        self.inTransferSize = inTransferSize
        description = "usb \(device.location), " + scheme.description
    }

    public func close() { device.close() }

    public func transact(_ request: [UInt8], timeout: Duration) throws(SAMTransportError) -> [UInt8] {
        let deadline = Deadline(timeout)
        let device = self.device
        return try lock.withLock { _ throws(SAMTransportError) -> [UInt8] in
            guard device.isOpen else { throw .deviceGone }
            switch scheme {
            case let .single(out, inbound):
                try Self.write(device, out, request[...], deadline, step: "request")
                var assembler = SAMFrameAssembler()
                var buffer = [UInt8](repeating: 0, count: inTransferSize)
                while true {
                    let n = try Self.read(device, inbound, &buffer, count: inTransferSize, deadline, step: "reply")
                    assembler.append(buffer[0..<n])
                    do throws(SAMFrameError) {
                        if let frame = try assembler.nextFrame() { return frame }
                    } catch {
                        throw .frame(error)
                    }
                }
            case let .split(headerOut, bodyOut, headerIn, bodyIn):
                try Self.write(device, headerOut, request.prefix(SAMFrame.headerLength), deadline, step: "request header")
                try Self.write(device, bodyOut, request.dropFirst(SAMFrame.headerLength), deadline, step: "request body")
                var header = [UInt8](repeating: 0, count: SAMFrame.headerLength)
                try Self.readExactly(device, headerIn, &header, deadline, step: "reply header")
                guard header[0..<5].elementsEqual(SAMFrame.preamble) else { throw .frame(.noPreamble) }
                let length = Int(header[5]) << 8 | Int(header[6])
                guard length >= 2 else { throw .frame(.lengthTooSmall(length)) }
                guard length <= SAMFrame.maxLengthField else { throw .frame(.lengthTooLarge(length)) }
                var body = [UInt8](repeating: 0, count: length)
                try Self.readExactly(device, bodyIn, &body, deadline, step: "reply body")
                let frame = header + body
                do throws(SAMFrameError) {
                    _ = try SAMFrame.body(of: frame)
                } catch {
                    throw .frame(error)
                }
                return frame
            }
        }
    }

    // MARK: - transfers

    private static func write(_ device: LibUSBDevice, _ endpoint: UInt8, _ bytes: ArraySlice<UInt8>, _ deadline: Deadline,
                              step: String) throws(SAMTransportError) {
        var data = Array(bytes)
        var offset = 0
        while offset < data.count {
            guard let ms = deadline.remainingMilliseconds else { throw .timeout(step: step) }
            let (rc, transferred) = device.transfer(.bulk, endpoint: endpoint, &data, offset: offset, timeoutMilliseconds: ms)
            offset += transferred
            if rc != 0 { throw error(rc, step: step) }
        }
    }

    private static func read(_ device: LibUSBDevice, _ endpoint: UInt8, _ buffer: inout [UInt8], count: Int,
                             _ deadline: Deadline, step: String) throws(SAMTransportError) -> Int {
        guard let ms = deadline.remainingMilliseconds else { throw .timeout(step: step) }
        let (rc, transferred) = device.transfer(.bulk, endpoint: endpoint, &buffer, count: count, timeoutMilliseconds: ms)
        if rc != 0 && !(rc == LIBUSB_ERROR_TIMEOUT.rawValue && transferred > 0) { throw error(rc, step: step) }
        return transferred
    }

    private static func readExactly(_ device: LibUSBDevice, _ endpoint: UInt8, _ buffer: inout [UInt8], _ deadline: Deadline,
                                    step: String) throws(SAMTransportError) {
        var offset = 0
        var chunk = [UInt8](repeating: 0, count: buffer.count)
        while offset < buffer.count {
            let n = try read(device, endpoint, &chunk, count: buffer.count - offset, deadline, step: step)
            buffer.replaceSubrange(offset..<(offset + n), with: chunk[0..<n])
            offset += n
        }
    }

    private static func error(_ rc: Int32, step: String) -> SAMTransportError {
        switch rc {
        case LIBUSB_ERROR_NO_DEVICE.rawValue: return .deviceGone
        case LIBUSB_ERROR_TIMEOUT.rawValue: return .timeout(step: step)
        default: return .io("\(step): \(libusbErrorName(rc))")
        }
    }
}
