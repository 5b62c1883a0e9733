#if canImport(Glibc)
import Glibc
#endif
import IDCard
import Synchronization

/// A SAM module on a serial port (termios, 8N1, no flow control). Owns the file descriptor and
/// closes it on close/deinit. Reads wait with `poll` up to the caller's timeout.
public final class SerialSAMConnection: SAMConnection, @unchecked Sendable {
    private let lock = Mutex<Void>(())
    private var fd: Int32
    public let path: String
    public let baud: SAMBaudRate
    public var description: String { "serial \(path) at \(baud.bitsPerSecond) 8N1" }

    public init(path: String, baud: SAMBaudRate = .b115200) throws(SAMTransportError) {
        self.path = path
        self.baud = baud
        let fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT, ENODEV, ENXIO: throw .notFound("\(path): \(String(cString: strerror(code)))")
            case EACCES, EPERM: throw .cannotOpen("\(path): permission denied (add the kiosk user to group dialout)")
            default: throw .cannotOpen("\(path): \(String(cString: strerror(code)))")
            }
        }
        var options = termios()
        guard tcgetattr(fd, &options) == 0 else {
            let message = String(cString: strerror(errno))
            Glibc.close(fd)
            throw .cannotOpen("\(path) is not a serial port: \(message)")
        }
        cfmakeraw(&options)
        options.c_cflag |= tcflag_t(CLOCAL | CREAD)
        options.c_cflag &= ~(tcflag_t(PARENB | CSTOPB | CSIZE) | tcflag_t(CRTSCTS))
        options.c_cflag |= tcflag_t(CS8)
        options.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY)
        withUnsafeMutableBytes(of: &options.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        let speed = Self.speed(baud)
        guard cfsetispeed(&options, speed) == 0, cfsetospeed(&options, speed) == 0, tcsetattr(fd, TCSANOW, &options) == 0 else {
            let message = String(cString: strerror(errno))
            Glibc.close(fd)
            throw .cannotOpen("\(path): cannot configure \(baud.bitsPerSecond) 8N1: \(message)")
        }
        tcflush(fd, TCIOFLUSH)
        self.fd = fd
    }

    deinit { close() }

    public func close() {
        lock.withLock { _ in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    public func transact(_ request: [UInt8], timeout: Duration) throws(SAMTransportError) -> [UInt8] {
        let deadline = Deadline(timeout)
        return try lock.withLock { _ throws(SAMTransportError) -> [UInt8] in
            guard fd >= 0 else { throw .deviceGone }
            try writeAll(request, deadline)
            var assembler = SAMFrameAssembler()
            var buffer = [UInt8](repeating: 0, count: 512)
            while true {
                guard let ms = deadline.remainingMilliseconds else { throw .timeout(step: "reply") }
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&pfd, 1, Int32(ms))
                if ready < 0 {
                    if errno == EINTR { continue }
                    throw .io("poll: \(String(cString: strerror(errno)))")
                }
                if ready == 0 { throw .timeout(step: "reply") }
                if pfd.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 && pfd.revents & Int16(POLLIN) == 0 { throw .deviceGone }
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    if errno == EIO || errno == ENXIO || errno == ENODEV { throw .deviceGone }
                    throw .io("read: \(String(cString: strerror(errno)))")
                }
                if n == 0 { throw .deviceGone }
                assembler.append(buffer[0..<n])
                do throws(SAMFrameError) {
                    if let frame = try assembler.nextFrame() { return frame }
                } catch {
                    throw .frame(error)
                }
            }
        }
    }

    private func writeAll(_ bytes: [UInt8], _ deadline: Deadline) throws(SAMTransportError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR {
                    guard let ms = deadline.remainingMilliseconds else { throw .timeout(step: "request") }
                    var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&pfd, 1, Int32(min(ms, 50)))
                    continue
                }
                if errno == EIO || errno == ENXIO || errno == ENODEV { throw .deviceGone }
                throw .io("write: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    private static func speed(_ baud: SAMBaudRate) -> speed_t {
        switch baud {
        case .b115200: speed_t(B115200)
        case .b57600: speed_t(B57600)
        case .b38400: speed_t(B38400)
        case .b19200: speed_t(B19200)
        case .b9600: speed_t(B9600)
        }
    }
}
