import CLibUSB
import Foundation
import Synchronization

/// Watches for a USB device (by VID:PID) arriving and leaving through libusb's hotplug callback,
/// on a libusb event thread of its own. Owns its libusb context; `stop()` (or deinit) ends the
/// thread and frees it.
///
/// This thread is the one documented exception to "all blocking work on `BlockingPool`": libusb
/// delivers hot-plug callbacks only from inside `libusb_handle_events*`, which must be called again
/// and again for as long as the device is watched — that is, the whole life of kioskd. On the pool
/// it would hold one of its few threads forever (two, with a reader and a pad), or, cut into short
/// pool items, add latency and churn to every other device's work. So it has one long-lived thread
/// per watched device, which only waits inside libusb (200 ms slices, to notice `stop()`), does no
/// I/O of its own, and hands each event to `ConnectionSupervisor.noteHotplug`.
public final class USBHotplugWatcher: @unchecked Sendable {
    /// What libusb reported.
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

    /// Ends the event thread (waiting for it) and frees the context; idempotent.
    public func stop() {
        guard let loop, loop.running.exchange(false, ordering: .relaxed) else { return }
        loop.finished.wait()
        libusb_hotplug_deregister_callback(loop.context, handle)
        libusb_exit(loop.context)
        self.loop = nil
    }

    deinit { stop() }
}
