import CLibUSB
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

/// A SAM module on USB through libusb (bulk transfers). Owns its libusb context and handle and
/// frees them on close/deinit. Every transfer is bounded by the caller's timeout.
public final class LibUSBSAMConnection: SAMConnection, @unchecked Sendable {
    private let lock = Mutex<Void>(())
    private var context: OpaquePointer?
    private var handle: OpaquePointer?
    private let interfaceNumber: Int32
    public let scheme: USBEndpointScheme
    /// Bytes asked for per IN transfer in the single scheme.
    public let inTransferSize: Int
    public let description: String

    /// Opens the first device with `vendorID:productID`, claims its interface and picks the
    /// endpoint scheme (`scheme` from the profile, else detected from the descriptors).
    public init(vendorID: UInt16, productID: UInt16, scheme requested: USBEndpointScheme? = nil,
                inTransferSize: Int = 4096) throws(SAMTransportError) {
        var ctx: OpaquePointer?
        let rc = libusb_init(&ctx)
        guard rc == 0 else { throw .cannotOpen("libusb_init: \(libusbErrorName(rc))") }
        var opened: OpaquePointer?
        var found: (interface: Int32, bulk: [UInt8], bus: UInt8, address: UInt8)?
        do throws(SAMTransportError) {
            let attached: Void? = try USBDeviceList.withFirstDevice(
                in: ctx, vendorID: vendorID, productID: productID,
                listFailed: { SAMTransportError.io("libusb_get_device_list: \(libusbErrorName($0))") }
            ) { device throws(SAMTransportError) in
                guard let interface = Self.bulkInterface(of: device) else {
                    throw .cannotOpen(String(format: "%04x:%04x has no interface with bulk endpoints", vendorID, productID))
                }
                found = (interface.number, interface.endpoints, libusb_get_bus_number(device), libusb_get_device_address(device))
                let openResult = libusb_open(device, &opened)
                guard openResult == 0 else {
                    throw openResult == LIBUSB_ERROR_ACCESS.rawValue
                        ? .cannotOpen("permission denied: install devices/idcard/udev rules or run as root")
                        : .cannotOpen("libusb_open: \(libusbErrorName(openResult))")
                }
                // Not libusb's auto-detach: it would issue a disconnect ioctl even when no driver is bound.
                let claim = claimInterfaceDetachingKernelDriver(opened, interface.number)
                guard claim == 0 else { throw .cannotOpen("claiming interface \(interface.number): \(libusbErrorName(claim))") }
            }
            guard attached != nil else { throw .notFound(String(format: "no USB device %04x:%04x", vendorID, productID)) }
        } catch {
            if let opened { libusb_close(opened) }
            libusb_exit(ctx)
            throw error
        }
        guard let found, let scheme = requested ?? USBEndpointScheme.detect(bulkEndpoints: found.bulk) else {
            if let opened { libusb_close(opened) }
            libusb_exit(ctx)
            throw .cannotOpen("no bulk OUT/IN endpoint pair")
        }
        context = ctx
        handle = opened
        interfaceNumber = found.interface
        self.scheme = scheme
        self.inTransferSize = inTransferSize
        description = String(format: "usb %04x:%04x bus %d addr %d, ", vendorID, productID, found.bus, found.address) + scheme.description
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

    public func transact(_ request: [UInt8], timeout: Duration) throws(SAMTransportError) -> [UInt8] {
        let deadline = Deadline(timeout)
        return try lock.withLock { _ throws(SAMTransportError) -> [UInt8] in
            guard let handle else { throw .deviceGone }
            switch scheme {
            case let .single(out, inbound):
                try Self.write(handle, out, request[...], deadline, step: "request")
                var assembler = SAMFrameAssembler()
                var buffer = [UInt8](repeating: 0, count: inTransferSize)
                while true {
                    let n = try Self.read(handle, inbound, &buffer, count: inTransferSize, deadline, step: "reply")
                    assembler.append(buffer[0..<n])
                    do throws(SAMFrameError) {
                        if let frame = try assembler.nextFrame() { return frame }
                    } catch {
                        throw .frame(error)
                    }
                }
            case let .split(headerOut, bodyOut, headerIn, bodyIn):
                try Self.write(handle, headerOut, request.prefix(SAMFrame.headerLength), deadline, step: "request header")
                try Self.write(handle, bodyOut, request.dropFirst(SAMFrame.headerLength), deadline, step: "request body")
                var header = [UInt8](repeating: 0, count: SAMFrame.headerLength)
                try Self.readExactly(handle, headerIn, &header, deadline, step: "reply header")
                guard header[0..<5].elementsEqual(SAMFrame.preamble) else { throw .frame(.noPreamble) }
                let length = Int(header[5]) << 8 | Int(header[6])
                guard length >= 2 else { throw .frame(.lengthTooSmall(length)) }
                guard length <= SAMFrame.maxLengthField else { throw .frame(.lengthTooLarge(length)) }
                var body = [UInt8](repeating: 0, count: length)
                try Self.readExactly(handle, bodyIn, &body, deadline, step: "reply body")
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

    // MARK: - libusb helpers

    private static func write(_ handle: OpaquePointer, _ endpoint: UInt8, _ bytes: ArraySlice<UInt8>, _ deadline: Deadline,
                              step: String) throws(SAMTransportError) {
        var data = Array(bytes)
        var offset = 0
        while offset < data.count {
            guard let ms = deadline.remainingMilliseconds else { throw .timeout(step: step) }
            var transferred: Int32 = 0
            let rc = data.withUnsafeMutableBufferPointer { buffer in
                libusb_bulk_transfer(handle, endpoint, buffer.baseAddress! + offset, Int32(buffer.count - offset), &transferred, UInt32(ms))
            }
            offset += Int(transferred)
            if rc != 0 { throw error(rc, step: step) }
        }
    }

    private static func read(_ handle: OpaquePointer, _ endpoint: UInt8, _ buffer: inout [UInt8], count: Int,
                             _ deadline: Deadline, step: String) throws(SAMTransportError) -> Int {
        guard let ms = deadline.remainingMilliseconds else { throw .timeout(step: step) }
        var transferred: Int32 = 0
        let rc = buffer.withUnsafeMutableBufferPointer { b in
            libusb_bulk_transfer(handle, endpoint, b.baseAddress!, Int32(count), &transferred, UInt32(ms))
        }
        if rc != 0 && !(rc == LIBUSB_ERROR_TIMEOUT.rawValue && transferred > 0) { throw error(rc, step: step) }
        return Int(transferred)
    }

    private static func readExactly(_ handle: OpaquePointer, _ endpoint: UInt8, _ buffer: inout [UInt8], _ deadline: Deadline,
                                    step: String) throws(SAMTransportError) {
        var offset = 0
        var chunk = [UInt8](repeating: 0, count: buffer.count)
        while offset < buffer.count {
            let n = try read(handle, endpoint, &chunk, count: buffer.count - offset, deadline, step: step)
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


    /// The first interface (alternate setting 0) with bulk endpoints, and those endpoints.
    private static func bulkInterface(of device: OpaquePointer) -> (number: Int32, endpoints: [UInt8])? {
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        guard libusb_get_active_config_descriptor(device, &config) == 0 || libusb_get_config_descriptor(device, 0, &config) == 0,
              let config else { return nil }
        defer { libusb_free_config_descriptor(config) }
        for i in 0..<Int(config.pointee.bNumInterfaces) {
            let interface = config.pointee.interface[i]
            guard interface.num_altsetting > 0 else { continue }
            let setting = interface.altsetting[0]
            var bulk: [UInt8] = []
            for e in 0..<Int(setting.bNumEndpoints) {
                let endpoint = setting.endpoint[e]
                if endpoint.bmAttributes & 0x03 == UInt8(LIBUSB_TRANSFER_TYPE_BULK.rawValue) { bulk.append(endpoint.bEndpointAddress) }
            }
            if !bulk.isEmpty { return (Int32(setting.bInterfaceNumber), bulk) }
        }
        return nil
    }
}
