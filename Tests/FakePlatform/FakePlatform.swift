import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A fake provincial platform on 127.0.0.1 that speaks `Sources/Upstream/platform-openapi.yaml`
/// with switchable faults. It applies every request at most once, deduplicating exactly as the
/// spec says (pages by SHA-256, filings and evaluations by `Idempotency-Key`, a replay answering
/// the first result), and records what it applied, in order, so tests can check exactly-once and
/// ordering. A filing whose pages were not uploaded first is refused (422), like a real platform.
public final class FakePlatform: Sendable {
    /// What the platform does with one request.
    public enum Fault: Sendable, Hashable {
        /// Applies and answers normally.
        case none
        /// Answers this status (5xx, 408, 429…) with a problem+json body, without applying.
        case status(Int)
        /// Never answers (the client's timeout fires), without applying.
        case hang
        /// Closes the connection without answering, without applying.
        case reset
        /// Applies, then answers after this many milliseconds.
        case slow(milliseconds: Int)
        /// Applies, then closes the connection: the reply is lost.
        case applyThenReset
        /// Applies, then never answers: the reply is lost to a timeout.
        case applyThenHang
        /// Refuses permanently with this status and reason (problem+json `detail`).
        case reject(status: Int, reason: String)
    }

    /// Which calls a fault applies to.
    public enum Call: String, Sendable, Hashable {
        case page, filing, status, evaluation, queueStatistics, ratingStatistics, supervisionNotice, supplement, appointments, licences
    }

    /// One applied (first-time) request.
    public struct Applied: Sendable, Hashable {
        public var call: Call
        /// The page hash, filing number or idempotency key.
        public var key: String
        public var body: [UInt8]
    }

    /// One request as received (before any fault), for checks on headers.
    public struct Received: Sendable, Hashable {
        public var method: String
        public var path: String
        public var authorization: String?
        public var idempotencyKey: String?
    }

    struct State {
        var faults: [Call?: [Fault]] = [:]
        var standing: Fault = .none
        var applied: [Applied] = []
        var received: [Received] = []
        var pages: Set<String> = []
        var filings: [String: String] = [:]     // number → answer JSON
        var appointments: [String: String] = [:]   // day → the appointments' JSON array
        var licences: [String: String] = [:]       // ID number → the licences' JSON array
        var evaluations: [String: String] = [:] // key → answer JSON
        var nextCase = 1
        var hanging: [Channel] = []
        var inFlight = 0
        var maxInFlight = 0
    }

    let state = Mutex(State())
    /// When set, requests without `Authorization: Bearer <token>` get 401.
    public let expectedToken: String?
    /// Whether applied requests keep their bodies (tests) or only their keys (the benchmark, whose
    /// memory figure must be the relay's, not the fake's).
    public let keepsBodies: Bool
    private let channel: Channel

    public var port: Int { channel.localAddress?.port ?? 0 }
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts listening on a free loopback port.
    public static func start(expectedToken: String? = nil, keepsBodies: Bool = true) async throws -> FakePlatform {
        let box = PlatformBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(FakePlatformHandler(platform: box.platform!))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let platform = FakePlatform(channel: channel, expectedToken: expectedToken, keepsBodies: keepsBodies)
        box.platform = platform
        return platform
    }

    private init(channel: Channel, expectedToken: String?, keepsBodies: Bool) {
        self.channel = channel
        self.expectedToken = expectedToken
        self.keepsBodies = keepsBodies
    }

    /// Stops listening and closes hanging connections.
    public func stop() async throws {
        let hanging = state.withLock { s in defer { s.hanging = [] }; return s.hanging }
        for c in hanging { try? await c.close() }
        try await channel.close()
    }

    // MARK: faults

    /// The next requests of `call` (any call when nil) meet these faults, one each, in order.
    public func queue(_ faults: [Fault], for call: Call? = nil) {
        state.withLock { $0.faults[call, default: []].append(contentsOf: faults) }
    }

    /// The fault every request meets when no queued fault applies (`.none`: healthy).
    public func setStanding(_ fault: Fault) {
        state.withLock { $0.standing = fault }
    }

    func nextFault(for call: Call) -> Fault {
        state.withLock { s in
            if var queued = s.faults[call], !queued.isEmpty {
                let f = queued.removeFirst(); s.faults[call] = queued; return f
            }
            if var queued = s.faults[nil], !queued.isEmpty {
                let f = queued.removeFirst(); s.faults[nil] = queued; return f
            }
            return s.standing
        }
    }

    // MARK: what happened

    /// Every applied request, in the order applied.
    public var applied: [Applied] { state.withLock { $0.applied } }

    /// What `GET /v1/licences?holder=ID` answers: a JSON array of `{type, reference}`.
    public func setLicences(_ json: String, for holder: String) { state.withLock { $0.licences[holder] = json } }

    /// What `GET /v1/appointments?date=DAY` answers: a JSON array of appointments.
    public func setAppointments(_ json: String, on day: String) { state.withLock { $0.appointments[day] = json } }
    /// Every request received, in order.
    public var received: [Received] { state.withLock { $0.received } }

    /// The most requests that were being handled at the same time.
    public var maximumConcurrentRequests: Int { state.withLock { $0.maxInFlight } }

    func record(_ r: Received) {
        state.withLock { s in
            s.received.append(r)
            s.inFlight += 1
            s.maxInFlight = max(s.maxInFlight, s.inFlight)
        }
    }
    func finished() { state.withLock { $0.inFlight -= 1 } }
    func hold(_ channel: Channel) { state.withLock { $0.hanging.append(channel) } }

    /// Applies a request (at most once per key) and returns the answer: status and JSON.
    func apply(call: Call, key: String, body fullBody: [UInt8]) -> (Int, String) {
        let body = keepsBodies ? fullBody : []
        return state.withLock { s in
            switch call {
            case .licences:
                return (200, #"{"licences":\#(s.licences[key] ?? "[]")}"#)
            case .appointments:
                return (200, #"{"date":"\#(key)","appointments":\#(s.appointments[key] ?? "[]")}"#)
            case .page:
                if s.pages.contains(key) { return (200, "{}") }
                s.pages.insert(key)
                s.applied.append(Applied(call: .page, key: key, body: body))
                return (201, "{}")
            case .filing:
                if let first = s.filings[key] { return (200, first) }
                guard let object = try? JSONSerialization.jsonObject(with: Data(fullBody)) as? [String: Any],
                      (object["number"] as? String) == key else {
                    return (422, #"{"title":"invalid filing","detail":"the body's number does not match the Idempotency-Key"}"#)
                }
                let pages = (object["pages"] as? [String: [String]] ?? [:]).values.flatMap { $0 }
                if let missing = pages.first(where: { !s.pages.contains($0) }) {
                    return (422, #"{"title":"unknown page","detail":"page \#(missing) was not uploaded"}"#)
                }
                if let problem = Self.formProblem(object["form"]) {
                    return (422, #"{"title":"invalid form","detail":"\#(problem)"}"#)
                }
                let answer = String(format: #"{"caseId":"CASE-%06d","status":"received"}"#, s.nextCase)
                s.nextCase += 1
                s.filings[key] = answer
                s.applied.append(Applied(call: .filing, key: key, body: body))
                return (201, answer)
            case .queueStatistics:
                if let first = s.evaluations[key] { return (200, first) }
                guard let object = try? JSONSerialization.jsonObject(with: Data(fullBody)) as? [String: Any],
                      object["day"] is String, object["categories"] is [Any] else {
                    return (422, #"{"title":"invalid statistics","detail":"day and categories are required"}"#)
                }
                let answer = #"{"caseId":"STAT-\#(s.evaluations.count + 1)","status":"received"}"#
                s.evaluations[key] = answer
                s.applied.append(Applied(call: .queueStatistics, key: key, body: body))
                return (201, answer)
            case .ratingStatistics:
                if let first = s.evaluations[key] { return (200, first) }
                guard let object = try? JSONSerialization.jsonObject(with: Data(fullBody)) as? [String: Any],
                      object["month"] is String, object["overall"] is [String: Any], object["perSubject"] is [Any] else {
                    return (422, #"{"title":"invalid statistics","detail":"month, overall and perSubject are required"}"#)
                }
                let answer = #"{"caseId":"RATE-\#(s.evaluations.count + 1)","status":"received"}"#
                s.evaluations[key] = answer
                s.applied.append(Applied(call: .ratingStatistics, key: key, body: body))
                return (201, answer)
            case .supervisionNotice:
                if let first = s.evaluations[key] { return (200, first) }
                // Strict as the platform is: the filing must be known and the department named.
                guard let object = try? JSONSerialization.jsonObject(with: Data(fullBody)) as? [String: Any],
                      let number = object["filingNumber"] as? String, s.filings[number] != nil,
                      (object["department"] as? String)?.isEmpty == false else {
                    return (422, #"{"title":"invalid supervision notice","detail":"a known filingNumber and the department are required"}"#)
                }
                let answer = #"{"caseId":"DB-\#(s.evaluations.count + 1)","status":"received"}"#
                s.evaluations[key] = answer
                s.applied.append(Applied(call: .supervisionNotice, key: key, body: body))
                return (201, answer)
            case .supplement:
                if let first = s.evaluations[key] { return (200, first) }
                // Strict as the platform is: the filing known, the outcome named, every page of a
                // supplied material uploaded before it.
                guard let object = try? JSONSerialization.jsonObject(with: Data(fullBody)) as? [String: Any],
                      let number = object["filingNumber"] as? String, s.filings[number] != nil,
                      let outcome = object["outcome"] as? String, ["supplied", "lapsed"].contains(outcome),
                      object["status"] is String else {
                    return (422, #"{"title":"invalid supplement","detail":"a known filingNumber, the outcome and the status are required"}"#)
                }
                let pages = (object["supplied"] as? [[String: Any]] ?? []).flatMap { $0["pages"] as? [String] ?? [] }
                if outcome == "supplied", pages.isEmpty {
                    return (422, #"{"title":"invalid supplement","detail":"a supplied supplement names its pages"}"#)
                }
                if let missing = pages.first(where: { !s.pages.contains($0) }) {
                    return (422, #"{"title":"unknown page","detail":"page \#(missing) was not uploaded"}"#)
                }
                let answer = #"{"caseId":"BJ-\#(s.evaluations.count + 1)","status":"received"}"#
                s.evaluations[key] = answer
                s.applied.append(Applied(call: .supplement, key: key, body: body))
                return (201, answer)
            case .evaluation:
                if let first = s.evaluations[key] { return (200, first) }
                let answer = #"{"caseId":"EVAL-\#(s.evaluations.count + 1)","status":"received"}"#
                s.evaluations[key] = answer
                s.applied.append(Applied(call: .evaluation, key: key, body: body))
                return (201, answer)
            case .status:
                guard let first = s.filings[key] else { return (404, #"{"title":"not found","detail":"no filing \#(key)"}"#) }
                let caseId = (try? JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])?["caseId"] as? String ?? ""
                return (200, #"{"number":"\#(key)","caseId":"\#(caseId)","status":"received","history":[{"status":"received","at":"2026-11-23T02:00:00Z"}]}"#)
            }
        }
    }
}

extension FakePlatform {
    /// A filing's `form` as the spec's `FormAnswer` list allows it, strictly: absent, or an array of
    /// objects with exactly key (a letter, then letters/digits, each key once), label, type (the enum)
    /// and a value of the type's JSON kind (number, boolean, else string). Nil when acceptable.
    static func formProblem(_ form: Any?) -> String? {
        guard let form else { return nil }
        guard let answers = form as? [Any] else { return "form must be an array" }
        let types: Set<String> = ["text", "number", "date", "phone", "choice", "yesNo", "idNumber", "address"]
        var keys: Set<String> = []
        for case let answer in answers {
            guard let a = answer as? [String: Any] else { return "a form answer must be an object" }
            guard Set(a.keys) == ["key", "label", "type", "value"] else { return "a form answer has exactly key, label, type and value" }
            guard let key = a["key"] as? String, key.wholeMatch(of: /[A-Za-z][A-Za-z0-9]*/) != nil else { return "form key is malformed" }
            guard keys.insert(key).inserted else { return "form key \(key) appears twice" }
            guard let label = a["label"] as? String, !label.isEmpty else { return "form \(key): label missing" }
            guard let type = a["type"] as? String, types.contains(type) else { return "form \(key): unknown type" }
            let value = a["value"] as Any
            // The JSON kind as written (NSNumber hides whether it was a number or true/false).
            let written = (try? JSONSerialization.data(withJSONObject: [value])).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
            let kind: String = switch written.dropFirst().first {
            case "t", "f": "boolean"
            case "\"": "string"
            case "n", "[", "{", nil: "other"
            default: "number"
            }
            switch type {
            case "number": if kind != "number" { return "form \(key): a number field's value must be a number" }
            case "yesNo": if kind != "boolean" { return "form \(key): a yes/no field's value must be true or false" }
            default: if kind != "string" { return "form \(key): a \(type) field's value must be text" }
            }
            if type == "date", let text = value as? String, text.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) == nil {
                return "form \(key): a date is YYYY-MM-DD"
            }
        }
        return nil
    }
}

/// Lets the child channel initializer reach the platform created after the bind.
private final class PlatformBox: @unchecked Sendable {
    var platform: FakePlatform?
}

/// One connection's HTTP requests: collects the body, then applies the request's fault.
final class FakePlatformHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let platform: FakePlatform
    var head: HTTPRequestHead?
    var body: [UInt8] = []

    init(platform: FakePlatform) { self.platform = platform }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(h):
            head = h
            body = []
        case var .body(buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            self.head = nil
            handle(context: context, head: head, body: body)
        }
    }

    private func handle(context: ChannelHandlerContext, head: HTTPRequestHead, body: [UInt8]) {
        let path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
        let idempotencyKey = head.headers.first(name: "Idempotency-Key")
        platform.record(.init(method: head.method.rawValue, path: path, authorization: head.headers.first(name: "Authorization"),
                              idempotencyKey: idempotencyKey))
        if let token = platform.expectedToken, head.headers.first(name: "Authorization") != "Bearer \(token)" {
            respond(context: context, status: 401, json: #"{"title":"unauthorized","detail":"bearer token missing or wrong"}"#)
            return
        }
        let parts = path.split(separator: "/").map(String.init)
        let call: FakePlatform.Call
        let key: String
        switch (head.method, parts.count) {
        case (.PUT, 3) where parts[0] == "v1" && parts[1] == "pages":
            call = .page; key = parts[2]
        case (.POST, 2) where parts == ["v1", "filings"]:
            guard let k = idempotencyKey else { return respond(context: context, status: 400, json: #"{"title":"Idempotency-Key required"}"#) }
            call = .filing; key = k
        case (.GET, 3) where parts[0] == "v1" && parts[1] == "filings":
            call = .status; key = parts[2].removingPercentEncoding ?? parts[2]
        case (.POST, 2) where parts == ["v1", "evaluations"]:
            guard let k = idempotencyKey else { return respond(context: context, status: 400, json: #"{"title":"Idempotency-Key required"}"#) }
            call = .evaluation; key = k
        case (.POST, 3) where parts == ["v1", "statistics", "queue"]:
            guard let k = idempotencyKey else { return respond(context: context, status: 400, json: #"{"title":"Idempotency-Key required"}"#) }
            call = .queueStatistics; key = k
        case (.POST, 3) where parts == ["v1", "statistics", "ratings"]:
            guard let k = idempotencyKey else { return respond(context: context, status: 400, json: #"{"title":"Idempotency-Key required"}"#) }
            call = .ratingStatistics; key = k
        case (.GET, 2) where parts == ["v1", "licences"]:
            let query = head.uri.split(separator: "?").dropFirst().first.map(String.init) ?? ""
            guard let holder = query.split(separator: "&").first(where: { $0.hasPrefix("holder=") })?.dropFirst(7), !holder.isEmpty else {
                return respond(context: context, status: 400, json: #"{"title":"holder required"}"#)
            }
            call = .licences; key = String(holder).removingPercentEncoding ?? String(holder)
        case (.GET, 2) where parts == ["v1", "appointments"]:
            let query = head.uri.split(separator: "?").dropFirst().first.map(String.init) ?? ""
            guard let date = query.split(separator: "&").first(where: { $0.hasPrefix("date=") })?.dropFirst(5), !date.isEmpty else {
                return respond(context: context, status: 400, json: #"{"title":"date required"}"#)
            }
            call = .appointments; key = String(date)
        case (.POST, 4) where parts[0] == "v1" && parts[1] == "filings" && parts[3] == "supplements":
            guard let k = idempotencyKey else { return respond(context: context, status: 400, json: #"{"title":"Idempotency-Key required"}"#) }
            call = .supplement; key = k
        case (.POST, 3) where parts == ["v1", "supervision", "notices"]:
            guard let k = idempotencyKey else { return respond(context: context, status: 400, json: #"{"title":"Idempotency-Key required"}"#) }
            call = .supervisionNotice; key = k
        default:
            return respond(context: context, status: 404, json: #"{"title":"no such route"}"#)
        }
        switch platform.nextFault(for: call) {
        case .none:
            let (status, json) = platform.apply(call: call, key: key, body: body)
            respond(context: context, status: status, json: json)
        case let .status(code):
            respond(context: context, status: code, json: #"{"type":"about:blank","title":"fault","detail":"simulated HTTP \#(code)"}"#)
        case .hang:
            platform.hold(context.channel)
        case .reset:
            platform.finished()
            context.close(promise: nil)
        case let .slow(ms):
            let (status, json) = platform.apply(call: call, key: key, body: body)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(Int64(ms))) {
                let (handler, context) = bound.value
                handler.respond(context: context, status: status, json: json)
            }
        case .applyThenReset:
            _ = platform.apply(call: call, key: key, body: body)
            platform.finished()
            context.close(promise: nil)
        case .applyThenHang:
            _ = platform.apply(call: call, key: key, body: body)
            platform.hold(context.channel)
        case let .reject(status, reason):
            let escaped = String(data: try! JSONEncoder().encode(reason), encoding: .utf8)!
            respond(context: context, status: status, json: #"{"type":"https://platform.example/problems/invalid","title":"rejected","detail":\#(escaped)}"#)
        }
    }

    func respond(context: ChannelHandlerContext, status: Int, json: String) {
        platform.finished()
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: status >= 400 ? "application/problem+json" : "application/json")
        headers.add(name: "Content-Length", value: "\(json.utf8.count)")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: json)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
