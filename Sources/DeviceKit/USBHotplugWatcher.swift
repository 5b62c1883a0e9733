import CLibUSB
import Foundation
import ServiceLifecycle
import Synchronization

/// Watches for a USB device (by VID:PID) arriving and leaving through libusb's hotplug callback,
/// on a libusb event thread of its own. Owns its libusb context; `stop()` (or deinit) ends the
/// thread and frees it.
public final class USBHotplugWatcher: @unchecked Sendable {
    public enum Event: Sendable {
        case arrived
        case left
    }

    private final class Box: @unchecked Sendable {
        let onEvent: @Sendable (Event) -> Void
        init(_ onEvent: @escaping @Sendable (Event) -> Void) { self.onEvent = onEvent }
    }

    /// What the event thread shares with the owner: the context, the run flag, the done signal.
    private final class EventLoop: @unchecked Sendable {
        let context: OpaquePointer?
        let running = Atomic<Bool>(true)
        let finished = DispatchSemaphore(value: 0)
        init(context: OpaquePointer?) { self.context = context }

        func run() {
            while running.load(ordering: .relaxed) {
                var tv = timeval(tv_sec: 0, tv_usec: 200_000)
                _ = libusb_handle_events_timeout_completed(context, &tv, nil)
            }
            finished.signal()
        }
    }

    private var loop: EventLoop?
    private var handle: libusb_hotplug_callback_handle = 0
    private let box: Box

    /// Nil when libusb has no hotplug support here (then callers rely on re-opening by polling).
    public init?(vendorID: UInt16, productID: UInt16, onEvent: @escaping @Sendable (Event) -> Void) {
        box = Box(onEvent)
        var ctx: OpaquePointer?
        guard libusb_init(&ctx) == 0 else { return nil }
        guard libusb_has_capability(UInt32(LIBUSB_CAP_HAS_HOTPLUG.rawValue)) != 0 else {
            libusb_exit(ctx)
            return nil
        }
        let callback: libusb_hotplug_callback_fn = { _, _, event, userData in
            guard let userData else { return 0 }
            let box = Unmanaged<Box>.fromOpaque(userData).takeUnretainedValue()
            box.onEvent(event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED ? .arrived : .left)
            return 0  // stay registered
        }
        let events = Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT.rawValue)
        var h: libusb_hotplug_callback_handle = 0
        let rc = libusb_hotplug_register_callback(ctx, events, 0, Int32(vendorID), Int32(productID), LIBUSB_HOTPLUG_MATCH_ANY,
                                                  callback, Unmanaged.passUnretained(box).toOpaque(), &h)
        guard rc == 0 else {
            libusb_exit(ctx)
            return nil
        }
        handle = h
        let loop = EventLoop(context: ctx)
        self.loop = loop
        let thread = Thread { loop.run() }
        thread.name = "onewindow.usb-hotplug"
        thread.start()
    }

    public func stop() {
        guard let loop, loop.running.exchange(false, ordering: .relaxed) else { return }
        loop.finished.wait()
        libusb_hotplug_deregister_callback(loop.context, handle)
        libusb_exit(loop.context)
        self.loop = nil
    }

    deinit { stop() }
}

/// The run loop of a USB device that polls its hardware (the ID-card reader, the HID pad): watches
/// hot-plug for its ids when it has them, polls, then waits the delay the poll asked for in 50 ms
/// slices, so a hot-plug event is acted on at once even during a backoff; until graceful shutdown.
enum USBDevicePollLoop {
    static func run(hotplugIDs: (vendorID: UInt16, productID: UInt16)?,
                    onHotplug: @escaping @Sendable (USBHotplugWatcher.Event) -> Void,
                    hotplugPending: @escaping @Sendable () -> Bool,
                    poll: @escaping @Sendable () async throws -> Duration) async throws {
        let watcher = hotplugIDs.flatMap { ids in
            USBHotplugWatcher(vendorID: ids.vendorID, productID: ids.productID, onEvent: onHotplug)
        }
        defer { watcher?.stop() }
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    let wait = try await poll()
                    let until = ContinuousClock.now + wait
                    while ContinuousClock.now < until, !hotplugPending() {
                        try await Task.sleep(for: min(.milliseconds(50), until - ContinuousClock.now))
                    }
                }
            }
        } catch is CancellationError {
            // graceful shutdown
        }
    }
}
