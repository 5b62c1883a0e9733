import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// systemd's notification protocol (sd_notify(3)) written out: one datagram of `KEY=value` lines
/// sent to the unix socket named by `$NOTIFY_SOCKET` — a path, or with a leading `@` an address in
/// the abstract namespace. No libsystemd: the protocol is that datagram and nothing else.
public struct SystemdNotifier: Sendable {
    /// `$NOTIFY_SOCKET` as given.
    public let socketName: String

    /// Why a notification could not be sent.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The notifier of `$NOTIFY_SOCKET`; nil when kioskd was not started by systemd with
    /// `Type=notify` (no variable, or not an absolute path nor an `@` abstract name).
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let name = environment["NOTIFY_SOCKET"], name.count > 1, name.hasPrefix("/") || name.hasPrefix("@") else { return nil }
        socketName = name
    }

    /// How often systemd expects `WATCHDOG=1`: `$WATCHDOG_USEC` (set from the unit's `WatchdogSec=`),
    /// nil when no watchdog is configured or when `$WATCHDOG_PID` names another process.
    public static func watchdogTimeout(environment: [String: String] = ProcessInfo.processInfo.environment) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"], let owner = Int32(pid), owner != getpid() { return nil }
        return .microseconds(Int64(clamping: usec))
    }

    /// Sends `assignments` (`READY=1`, `STATUS=…`, `WATCHDOG=1`) in one datagram. A value must not
    /// contain a newline (STATUS text is flattened to one line).
    public func notify(_ assignments: [String]) throws(Failure) {
        let message = assignments.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n")
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketName.utf8)
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { throw Failure(description: "NOTIFY_SOCKET '\(socketName)' is longer than \(capacity - 1) bytes") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        // An abstract name is exactly its bytes (NULs included); a path is NUL-terminated.
        let length = socklen_t(pathOffset + path.count + (abstract ? 0 : 1))

        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket(AF_UNIX, SOCK_DGRAM): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(message.utf8)
        let sent = bytes.withUnsafeBytes { body in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                    sendto(fd, body.baseAddress, body.count, Int32(MSG_NOSIGNAL), sockaddrPointer, length)
                }
            }
        }
        guard sent == bytes.count else {
            throw Failure(description: "sendto \(socketName): \(sent < 0 ? String(cString: strerror(errno)) : "sent \(sent) of \(bytes.count) bytes")")
        }
    }
}
