import CEvdev
import Glibc
import KioskConfig
import Synchronization

/// A keyboard-mode evaluation pad through evdev: opens `/dev/input/eventN`, takes it exclusively
/// (EVIOCGRAB, so its keys never reach the kiosk browser) and reads `struct input_event`s, each
/// read bounded by `poll` with the caller's timeout. Closes the node (ending the grab) on close/deinit.
public final class EvdevPadConnection: RawPadConnection, @unchecked Sendable {
    private let lock = Mutex<Void>(())
    private var fd: Int32
    private let decoder: EvdevKeyDecoder
    public let description: String

    public init(path: String, profile: EvaluationPadProfile) throws(PadTransportError) {
        guard let evdev = profile.evdev else { throw .cannotOpen("profile \(profile.name) has no evdev: section") }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT, ENODEV, ENXIO: throw .notFound("no input device at \(path)")
            case EACCES, EPERM: throw .cannotOpen("permission denied on \(path): add kioskd's user to the 'input' group (or a udev rule giving it the node)")
            default: throw .cannotOpen("open \(path): \(String(cString: strerror(code)))")
            }
        }
        if evdev.grab ?? true, onewindow_evdev_grab(fd, 1) != 0 {
            let code = errno
            Glibc.close(fd)
            throw code == EBUSY
                ? .cannotOpen("\(path) is grabbed by another program (only one may read the pad)")
                : .cannotOpen("EVIOCGRAB on \(path): \(String(cString: strerror(code)))")
        }
        self.fd = fd
        decoder = EvdevKeyDecoder(keys: evdev.keys)
        description = "evdev \(path)" + (evdev.grab ?? true ? " (grabbed)" : "")
    }

    deinit { close() }

    public func close() {
        lock.withLock { _ in
            if fd >= 0 { Glibc.close(fd) }   // closing releases the grab
            fd = -1
        }
    }

    public func readKeys(timeout: Duration) throws(PadTransportError) -> [PadKeyEvent] {
        try readEvents(timeout: timeout).compactMap { decoder.decode(type: $0.type, code: $0.code, value: $0.value) }
    }

    /// Every key event as its code name and value (1 press, 2 repeat, 0 release), before any mapping.
    public func readRaw(timeout: Duration) throws(PadTransportError) -> [String] {
        try readEvents(timeout: timeout).filter { $0.type == EvdevKeyDecoder.evKey }.map { event in
            "\(EvdevKeyCodes.name(of: event.code) ?? "code \(event.code)") \(event.value)"
        }
    }

    /// The input events one `poll` + `read` brings, bounded by `timeout`.
    private func readEvents(timeout: Duration) throws(PadTransportError) -> [input_event] {
        try lock.withLock { _ throws(PadTransportError) -> [input_event] in
            guard fd >= 0 else { throw .deviceGone }
            let ms = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
            var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&waiting, 1, max(ms, 0))
            if ready < 0 {
                if errno == EINTR { return [] }
                throw .io("poll: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { return [] }
            if waiting.revents & Int16(POLLIN) == 0, waiting.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { throw .deviceGone }
            var events = [input_event](repeating: input_event(), count: 64)
            let n = events.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                switch errno {
                case EAGAIN, EINTR: return []
                case ENODEV: throw .deviceGone
                default: throw .io("read: \(String(cString: strerror(errno)))")
                }
            }
            if n == 0 { throw .deviceGone }
            return Array(events.prefix(n / MemoryLayout<input_event>.stride))
        }
    }
}
