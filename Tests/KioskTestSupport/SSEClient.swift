import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A Server-Sent Events client on a plain loopback socket (HTTP/1.1, chunked body), for tests of
/// `GET /api/v1/events`: reads events one at a time with a timeout; `Last-Event-ID` on connect.
public final class SSEClient: @unchecked Sendable {
    /// One event as the stream sent it.
    public struct Event: Sendable, Equatable {
        public var id: Int64?
        public var type: String
        public var data: String
    }

    private let fd: Int32
    /// Cleared by the first close: the descriptor is closed once. (A second close — `close()` then
    /// deinit — closed whatever the number had been reused for meanwhile, e.g. another test's
    /// child-process pipe, which crashed the test run with EBADF inside Foundation.)
    private let isOpen = Atomic<Bool>(true)
    private var raw: [UInt8] = []
    private var body: [UInt8] = []
    private(set) var headersDone = false
    public private(set) var status = 0

    public init(port: Int, path: String = "/api/v1/events", lastEventID: Int64? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close()
            throw TestSupportError("cannot connect to 127.0.0.1:\(port)")
        }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        if let lastEventID { request += "Last-Event-ID: \(lastEventID)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw TestSupportError("cannot send the request") }
        // The server subscribes before it answers: once the head is here, no later event is missed.
        try readUntil(timeout: .seconds(5)) { $0.headersDone }
        guard headersDone else { throw TestSupportError("the event stream did not open within 5 s") }
    }

    /// The next event (comments, `retry:` and keep-alives skipped), or nil if none came in time.
    public func next(timeout: Duration = .seconds(5)) throws -> Event? {
        var event: Event?
        try readUntil(timeout: timeout) { client in
            event = client.takeEvent()
            return event != nil
        }
        return event
    }

    /// Reads and decodes until `done` says so or `timeout` passes.
    private func readUntil(timeout: Duration, _ done: (SSEClient) -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while !done(self) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000) + 1
            guard poll(&pfd, 1, ms) > 0 else { return }
            var chunk = [UInt8](repeating: 0, count: 16_384)
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { throw TestSupportError("the event stream closed") }
            raw += chunk[0..<n]
            try decode()
        }
    }

    /// Events until `count` arrived or `timeout` passed.
    public func collect(_ count: Int, timeout: Duration = .seconds(10)) throws -> [Event] {
        var events: [Event] = []
        let deadline = ContinuousClock.now + timeout
        while events.count < count, ContinuousClock.now < deadline, let event = try next(timeout: deadline - ContinuousClock.now) {
            events.append(event)
        }
        return events
    }

    public func close() {
        if isOpen.exchange(false, ordering: .acquiringAndReleasing) { Glibc.close(fd) }
    }

    deinit { close() }

    /// Moves the HTTP head out of `raw`, then de-chunks what follows into `body`.
    private func decode() throws {
        if !headersDone {
            guard let end = find([13, 10, 13, 10], in: raw) else { return }
            let head = String(decoding: raw[0..<end], as: UTF8.self)
            status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            guard status == 200 else { throw TestSupportError("events answered: \(head)") }
            raw.removeFirst(end + 4)
            headersDone = true
        }
        while let lineEnd = find([13, 10], in: raw) {
            guard let size = Int(String(decoding: raw[0..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16) else {
                throw TestSupportError("bad chunk header")
            }
            if size == 0 { throw TestSupportError("the event stream ended") }
            guard raw.count >= lineEnd + 2 + size + 2 else { return }
            body += raw[(lineEnd + 2)..<(lineEnd + 2 + size)]
            raw.removeFirst(lineEnd + 2 + size + 2)
        }
    }

    private func takeEvent() -> Event? {
        while let end = find([10, 10], in: body) {
            let block = String(decoding: body[0..<end], as: UTF8.self)
            body.removeFirst(end + 2)
            var event = Event(id: nil, type: "message", data: "")
            var hasData = false
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("id: ") { event.id = Int64(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event.type = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { event.data = String(line.dropFirst(6)); hasData = true }
            }
            if hasData { return event }
        }
        return nil
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}

extension HTTP {
    /// Any method with an optional body; nil while nothing answers.
    public static func request(_ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil,
                               timeout: TimeInterval = 10) -> (status: Int, body: Data, headers: [String: String])? {
        guard let url = URL(string: url) else { return nil }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = timeout
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let semaphore = DispatchSemaphore(value: 0)
        let box = LockedAnswer()
        URLSession.shared.dataTask(with: request) { data, response, _ in
            if let http = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (key, value) in http.allHeaderFields { fields["\(key)".lowercased()] = "\(value)" }
                box.set((http.statusCode, data ?? Data(), fields))
            }
            semaphore.signal()
        }.resume()
        _ = semaphore.wait(timeout: .now() + timeout + 1)
        return box.get()
    }

    /// A JSON request whose answer is a JSON object; fails the test with the answer otherwise.
    public static func json(_ method: String, _ url: String, _ body: String? = nil, headers: [String: String] = [:],
                            expect status: Int) throws -> [String: Any] {
        var headers = headers
        if body != nil { headers["Content-Type"] = "application/json" }
        guard let answer = request(method, url, headers: headers, body: body.map { Data($0.utf8) }) else {
            throw TestSupportError("\(method) \(url): no answer")
        }
        guard answer.status == status else {
            throw TestSupportError("\(method) \(url): \(answer.status) (expected \(status)): \(String(decoding: answer.body, as: UTF8.self))")
        }
        if answer.body.isEmpty { return [:] }
        guard let object = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any] else {
            throw TestSupportError("\(method) \(url): not a JSON object: \(String(decoding: answer.body, as: UTF8.self))")
        }
        return object
    }
}

final class LockedAnswer: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (Int, Data, [String: String])?
    func set(_ v: (Int, Data, [String: String])) { lock.lock(); value = v; lock.unlock() }
    func get() -> (status: Int, body: Data, headers: [String: String])? {
        lock.lock(); defer { lock.unlock() }
        return value.map { ($0.0, $0.1, $0.2) }
    }
}
