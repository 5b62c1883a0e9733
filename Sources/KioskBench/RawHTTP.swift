import Foundation

/// A minimal blocking HTTP/1.1 GET over a loopback socket: the start-up figure must not include
/// a client library's own start-up. Returns the whole response text, nil if nothing answers.
func rawGet(port: Int, path: String) -> String? {
    guard let fd = connectLoopback(port: port) else { return nil }
    defer { close(fd) }
    let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    _ = request.withCString { send(fd, $0, strlen($0), 0) }
    var response = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        response += buffer[0..<n]
    }
    return String(decoding: response, as: UTF8.self)
}

/// A TCP connection to 127.0.0.1:`port`, or nil when nothing listens.
func connectLoopback(port: Int) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    guard connected else {
        close(fd)
        return nil
    }
    return fd
}

/// Polls `GET /api/v1/health` every 2 ms until it answers 200 (devices checked), for at most
/// 10 s and while `alive()`; true when it did.
func waitUntilHealthy(port: Int, alive: () -> Bool = { true }) -> Bool {
    let clock = ContinuousClock()
    let start = clock.now
    while clock.now - start < .seconds(10), alive() {
        if let text = rawGet(port: port, path: "/api/v1/health"), text.hasPrefix("HTTP/1.1 200") { return true }
        usleep(2_000)
    }
    return false
}
