import CLibUSB
import Foundation
import Synchronization

/// The one owner of an open libusb device, used by every libusb driver (the SAM reader, the HID
/// pad): its own libusb context and handle, opened by the profile's VID:PID, one interface claimed
/// (a kernel driver that holds it is detached), bulk and interrupt transfers each bounded by a
/// timeout, and the interface released, the handle closed and the context freed on `close()` or
/// deinit. Blocking: call it on the blocking pool. Transfers after `close()` fail with
/// `LIBUSB_ERROR_NO_DEVICE`, as an unplugged device's do.
public final class LibUSBDevice: @unchecked Sendable {
    /// Which interface to claim.
    public enum Interface: Sendable, Hashable {
        /// The interface of this number (a HID pad's profile names it).
        case number(Int32)
        /// The first interface (alternate setting 0) with bulk endpoints (a SAM module).
        case firstWithBulkEndpoints
    }

    /// Why the device could not be opened, with libusb's codes; each driver words it for its own
    /// technician.
    public enum OpenError: Error, Sendable, Hashable {
        case initFailed(Int32)
        case listFailed(Int32)
        /// No device with the ids is attached.
        case notFound
        /// The device has no interface the choice accepts.
        case noInterface
        /// libusb_open answered LIBUSB_ERROR_ACCESS (a udev rule or root is needed).
        case accessDenied
        case openFailed(Int32)
        case claimFailed(interface: Int32, code: Int32)
    }

    /// How a transfer moves data.
    public enum TransferKind: Sendable {
        case bulk
        case interrupt
    }

    private let lock = Mutex<Void>(())
    private var context: OpaquePointer?
    private var handle: OpaquePointer?
    public let vendorID: UInt16
    public let productID: UInt16
    /// The claimed interface.
    public let interfaceNumber: Int32
    /// The bulk endpoints of the claimed interface (alternate setting 0), in descriptor order.
    public let bulkEndpoints: [UInt8]
    public let bus: Int
    public let address: Int

    /// Opens the first attached device with `vendorID:productID` and claims `interface`.
    public init(vendorID: UInt16, productID: UInt16, interface: Interface) throws(OpenError) {
        var ctx: OpaquePointer?
        let rc = libusb_init(&ctx)
        guard rc == 0 else { throw .initFailed(rc) }
        var opened: OpaquePointer?
        var found: (interface: Int32, bulk: [UInt8], bus: UInt8, address: UInt8)?
        do throws(OpenError) {
            var list: UnsafeMutablePointer<OpaquePointer?>?
            let count = libusb_get_device_list(ctx, &list)
            guard count >= 0, let list else { throw .listFailed(Int32(count)) }
            defer { libusb_free_device_list(list, 1) }
            for i in 0..<Int(count) {
                guard let candidate = list[i] else { continue }
                var descriptor = libusb_device_descriptor()
                guard libusb_get_device_descriptor(candidate, &descriptor) == 0,
                      descriptor.idVendor == vendorID, descriptor.idProduct == productID else { continue }
                let chosen: (number: Int32, endpoints: [UInt8])
                switch interface {
                case let .number(n):
                    chosen = (n, Self.interface(of: candidate, where: { $0 == n })?.endpoints ?? [])
                case .firstWithBulkEndpoints:
                    guard let first = Self.interface(of: candidate, where: { _ in true }, requireBulk: true) else { throw .noInterface }
                    chosen = first
                }
                found = (chosen.number, chosen.endpoints, libusb_get_bus_number(candidate), libusb_get_device_address(candidate))
                let openResult = libusb_open(candidate, &opened)
                guard openResult == 0 else {
                    throw openResult == LIBUSB_ERROR_ACCESS.rawValue ? .accessDenied : .openFailed(openResult)
                }
                // Not libusb's auto-detach: it would issue a disconnect ioctl even when no driver is bound.
                let claim = Self.claimDetachingKernelDriver(opened, chosen.number)
                guard claim == 0 else { throw .claimFailed(interface: chosen.number, code: claim) }
                break
            }
            guard found != nil else { throw .notFound }
        } catch {
            if let opened { libusb_close(opened) }
            libusb_exit(ctx)
            throw error
        }
        context = ctx
        handle = opened
        self.vendorID = vendorID
        self.productID = productID
        interfaceNumber = found!.interface
        bulkEndpoints = found!.bulk
        bus = Int(found!.bus)
        address = Int(found!.address)
    }

    deinit { close() }

    /// Whether the handle is still held (false after `close()`).
    public var isOpen: Bool { lock.withLock { _ in handle != nil } }

    /// Releases the interface, closes the handle and frees the context; later transfers fail.
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

    /// One transfer of `count` bytes at `offset` of `buffer` (out: sent from it; in: read into it),
    /// waiting at most `timeoutMilliseconds` (at least 1: libusb's 0 would wait forever). Returns
    /// libusb's code and the bytes moved (which a timeout may leave non-zero).
    public func transfer(_ kind: TransferKind, endpoint: UInt8, _ buffer: inout [UInt8], offset: Int = 0, count: Int? = nil,
                         timeoutMilliseconds: Int) -> (code: Int32, transferred: Int) {
        let length = count ?? (buffer.count - offset)
        precondition(offset >= 0 && length >= 0 && offset + length <= buffer.count, "transfer outside its buffer")
        return lock.withLock { _ -> (code: Int32, transferred: Int) in
            guard let handle else { return (LIBUSB_ERROR_NO_DEVICE.rawValue, 0) }
            var transferred: Int32 = 0
            let ms = UInt32(clamping: max(1, timeoutMilliseconds))
            let rc = buffer.withUnsafeMutableBufferPointer { b -> Int32 in
                switch kind {
                case .bulk: libusb_bulk_transfer(handle, endpoint, b.baseAddress! + offset, Int32(length), &transferred, ms)
                case .interrupt: libusb_interrupt_transfer(handle, endpoint, b.baseAddress! + offset, Int32(length), &transferred, ms)
                }
            }
            return (rc, Int(transferred))
        }
    }

    /// `0400:c35a bus 1 addr 11`.
    public var location: String {
        String(format: "%04x:%04x bus %d addr %d", vendorID, productID, bus, address)
    }

    // MARK: - descriptors

    /// The first interface (alternate setting 0) whose number passes `accept`, and its bulk endpoints;
    /// with `requireBulk`, only an interface that has some.
    private static func interface(of device: OpaquePointer, where accept: (Int32) -> Bool,
                                  requireBulk: Bool = false) -> (number: Int32, endpoints: [UInt8])? {
        var config: UnsafeMutablePointer<libusb_config_descriptor>?
        guard libusb_get_active_config_descriptor(device, &config) == 0 || libusb_get_config_descriptor(device, 0, &config) == 0,
              let config else { return nil }
        defer { libusb_free_config_descriptor(config) }
        for i in 0..<Int(config.pointee.bNumInterfaces) {
            let interface = config.pointee.interface[i]
            guard interface.num_altsetting > 0 else { continue }
            let setting = interface.altsetting[0]
            let number = Int32(setting.bInterfaceNumber)
            guard accept(number) else { continue }
            var bulk: [UInt8] = []
            for e in 0..<Int(setting.bNumEndpoints) {
                let endpoint = setting.endpoint[e]
                if endpoint.bmAttributes & 0x03 == UInt8(LIBUSB_TRANSFER_TYPE_BULK.rawValue) { bulk.append(endpoint.bEndpointAddress) }
            }
            if !requireBulk || !bulk.isEmpty { return (number, bulk) }
        }
        return nil
    }

    /// Claims `interface` on an open handle; only when a kernel driver holds it (BUSY) is that driver
    /// detached and the claim tried again (a detach ioctl when no driver is bound is avoided). libusb
    /// does not re-attach the driver on release. Returns libusb's code, 0 on success.
    private static func claimDetachingKernelDriver(_ handle: OpaquePointer?, _ interface: Int32) -> Int32 {
        let claim = libusb_claim_interface(handle, interface)
        guard claim == LIBUSB_ERROR_BUSY.rawValue, libusb_kernel_driver_active(handle, interface) == 1 else { return claim }
        let detached = libusb_detach_kernel_driver(handle, interface)
        return detached == 0 ? libusb_claim_interface(handle, interface) : detached
    }
}
