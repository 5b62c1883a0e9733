import Foundation

/// The systemd side of sd_notify for tests: a unix datagram socket bound where `$NOTIFY_SOCKET`
/// points (a path in a fresh temporary directory, or an abstract `@` name), collecting what kioskd
/// sends. Each datagram is one notification of `KEY=value` lines.
public final class NotifySocket: @unchecked Sendable {
    /// The value to give kioskd as `NOTIFY_SOCKET`.
    public let name: String
    private let fd: Int32
    private let directory: TemporaryDirectory?
    /// Every notification received so far, in order.
    public private(set) var received: [[String: String]] = []

    public init(abstract: Bool) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket(AF_UNIX, SOCK_DGRAM) failed") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path: [UInt8]
        if abstract {
            let token = "onewindow-test-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            name = "@" + token
            path = [0] + Array(token.utf8)
            directory = nil
        } else {
            let dir = try TemporaryDirectory("notify")
            directory = dir
            name = dir.path + "/notify.sock"
            path = Array(name.utf8)
        }
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { throw TestSupportError("socket name too long: \(name)") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let length = socklen_t((MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2) + path.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw TestSupportError("cannot bind \(name): \(String(cString: strerror(errno)))") }
    }

    deinit {
        close(fd)
        directory?.remove()
    }

    /// The next notification, or nil when none arrives within `timeout`.
    public func next(timeout: Duration) -> [String: String]? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, milliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        var fields: [String: String] = [:]
        for line in String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n") {
            let pair = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            fields[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
        }
        received.append(fields)
        return fields
    }

    /// Receives until a notification satisfies `accept` (returned), or throws after `timeout`.
    @discardableResult
    public func waitFor(_ what: String, timeout: Duration = .seconds(30), _ accept: ([String: String]) -> Bool) throws -> [String: String] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let fields = next(timeout: deadline - clock.now), accept(fields) { return fields }
        }
        throw TestSupportError("no notification \(what) within \(timeout); received: \(received)")
    }
}
