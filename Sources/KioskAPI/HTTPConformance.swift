import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Synchronization

/// The methods each route path of a router answers, for `405 Method Not Allowed` with `Allow`
/// (the router itself answers 404 for a known path asked with another method). Filled once the
/// router has all its routes (`KioskRouter.make`); a GET route answers HEAD too.
public final class RouteTable: Sendable {
    private let entries = Mutex<[(path: RouterPath, methods: Set<String>)]>([])

    public init() {}

    func load(_ routes: [(path: RouterPath, method: HTTPRequest.Method)]) {
        var merged: [(path: RouterPath, methods: Set<String>)] = []
        for route in routes {
            var methods: Set<String> = [route.method.rawValue]
            if route.method == .get { methods.insert(HTTPRequest.Method.head.rawValue) }
            if let index = merged.firstIndex(where: { $0.path == route.path }) {
                merged[index].methods.formUnion(methods)
            } else {
                merged.append((route.path, methods))
            }
        }
        entries.withLock { $0 = merged }
    }

    /// The methods routes matching `path` answer, sorted; empty when no route matches it.
    public func allowedMethods(path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        let methods = entries.withLock { entries in
            entries.filter { Self.matches($0.path, parts) }.reduce(into: Set<String>()) { $0.formUnion($1.methods) }
        }
        return methods.sorted()
    }

    static func matches(_ pattern: RouterPath, _ parts: [Substring]) -> Bool {
        var index = 0
        for element in pattern.components {
            if element == .recursiveWildcard { return true }
            guard index < parts.count, element ~= parts[index] else { return false }
            index += 1
        }
        return index == parts.count
    }
}

/// Answers a known path asked with a method it does not serve with 405 and `Allow` (problem
/// JSON), instead of the router's 404 — which says the resource does not exist.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = routes.allowedMethods(path: request.uri.path)
            // A route that exists for this very method and itself said 404 is a real 404.
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { throw error }
            var response = try APIProblem(.methodNotAllowed, code: "method-not-allowed", title: "不支持该操作",
                                          detail: "\(request.method.rawValue) is not allowed here; allowed: \(allowed.joined(separator: ", "))")
                .response(from: request, context: context)
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        }
    }
}

/// The HTTP/1.1 server of kioskd's listeners: like Hummingbird's, except that a request the HTTP
/// parser refuses (an over-long URL or header, a malformed request line) gets a problem JSON
/// answer like every other error — Hummingbird answers those with an empty 400.
public enum KioskHTTPServer {
    public static var builder: HTTPServerBuilder {
        .http1(configuration: HTTP1Channel.Configuration(additionalChannelHandlers: [ParserErrorProblemHandler()]))
    }
}

/// Turns the HTTP parser's error into a problem answer (`431` for headers over the limit, else
/// `400`) and closes the connection, when no answer is under way on it. Sits after the HTTP/1
/// codec, where the parser's error passes before it reaches Hummingbird.
final class ParserErrorProblemHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Requests read whose answer has not been written to its end yet.
    private var unanswered = 0
    private var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { unanswered += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { unanswered = max(0, unanswered - 1) }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, unanswered == 0, !answered else {
            context.fireErrorCaught(error)
            return
        }
        answered = true
        let (status, detail): (HTTPResponse.Status, String) = switch parserError {
        case .headerOverflow: (.requestHeaderFieldsTooLarge, "the request line or headers are too long")
        case .invalidURL: (.badRequest, "the request URL is malformed")
        default: (.badRequest, "the request is not valid HTTP/1.1 (\(parserError))")
        }
        let object: [String: ProblemValue] = [
            "type": .string("https://onewindow.local/problems/http-\(status.code)"), "title": .string("请求有误"),
            "detail": .string(detail), "status": .int(status.code),
        ]
        let body = (try? KioskJSON.encoder.encode(object)) ?? Data()
        let head = HTTPResponse(status: status, headerFields: [.contentType: "application/problem+json; charset=utf-8",
                                                               .contentLength: String(body.count), .connection: "close"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
