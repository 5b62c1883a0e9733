import Foundation
import KioskTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Requests the HTTP parser itself refuses, against a real kioskd: an over-long URL or header is
/// answered with problem JSON like every other error (Hummingbird's own answer was an empty 400).
@Suite struct HTTPLimitsEndToEndTests {
    /// Sends `request` as raw bytes on a fresh connection and reads until the server closes it.
    static func raw(port: Int, _ request: [UInt8]) throws -> (status: Int, headers: String, body: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestSupportError("cannot connect") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }   // the server may answer and close before reading it all
            sent += n
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            answer += buffer[0..<n]
        }
        let text = String(decoding: answer, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw TestSupportError("no HTTP answer: \(text.prefix(200))") }
        let head = String(text[..<split.lowerBound])
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, head.lowercased(), String(text[split.upperBound...]))
    }

    @Test func anOverlongURLOrHeaderIsAnsweredWithProblemJSON() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        try fixture.bindPrintersToSimulator()
        let kioskd = try KioskdProcess(config: fixture.directory)
        try kioskd.waitFor("/api/v1/health", status: 200)
        let long = String(repeating: "a", count: 200 * 1024)
        let requests = [
            "GET /api/v1/health?q=\(long) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: \(long)\r\n\r\n",
            "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n",
        ]
        for request in requests {
            let answer = try Self.raw(port: kioskd.port, Array(request.utf8))
            #expect([400, 414, 431].contains(answer.status), "\(answer.status) \(answer.headers)")
            #expect(answer.headers.contains("content-type: application/problem+json"), "\(answer.headers)")
            let problem = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any], "\(answer.body)")
            #expect(problem["status"] as? Int == answer.status)
            #expect((problem["title"] as? String)?.isEmpty == false)
            #expect((problem["detail"] as? String)?.isEmpty == false)
        }
        // The server goes on answering.
        #expect(kioskd.get("/api/v1/health")?.status == 200)
        #expect(try kioskd.terminate() == 0)
    }
}
