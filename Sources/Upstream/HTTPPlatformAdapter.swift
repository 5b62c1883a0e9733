import AsyncHTTPClient
import Foundation
import FrontDesk
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The reference platform adapter: the JSON API of `platform-openapi.yaml` over HTTPS with
/// async-http-client. TLS certificates are verified (the client's default configuration), redirects
/// are not followed, every call has a connect and a read timeout and an overall deadline, and the
/// bearer token goes only into the `Authorization` header (never into a log line or an error).
/// A connection that cannot be made fails the call at once, named by its cause (refused, reset,
/// unreachable, DNS): the client's own connect retry is off, since the relay has its backoff and
/// must learn at the first attempt that the platform is down (health goes `offline`).
/// Call `shutdown()` once when done.
public final class HTTPPlatformAdapter: PlatformAdapter {
    private let client: HTTPClient
    private let base: String
    private let token: BearerToken
    private let timeout: TimeAmount
    private let logger: Logger

    /// Largest answer body read (answers are small JSON documents).
    static let maximumAnswerBytes = 1 << 20

    /// - Parameters:
    ///   - endpoint: the platform's base URL, e.g. `https://zwfw.example.gov.cn/kiosk-gateway`.
    ///   - timeoutSeconds: the connect timeout and the read timeout of every call; the whole call
    ///     (connect, send, answer) has three times this.
    public init(endpoint: String, token: BearerToken, timeoutSeconds: Int, logger: Logger) {
        var configuration = HTTPClient.Configuration()   // tlsConfiguration nil: the default, full certificate verification
        let seconds = TimeAmount.seconds(Int64(max(1, timeoutSeconds)))
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: seconds, read: seconds)
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        // async-http-client's default retries a failed connection with its own backoff until the
        // connect timeout is over, so with the platform refusing connections every attempt waited
        // the whole timeout and then failed with a vaguer error. The relay retries by itself.
        configuration.connectionPool.retryConnectionEstablishment = false
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.token = token
        self.timeout = seconds
        self.logger = logger
    }

    public func shutdown() async {
        do { try await client.shutdown() } catch { logger.debug("platform client shutdown", metadata: ["error": "\(error)"]) }
    }

    public func putPage(sha256: String, bytes: [UInt8]) async throws(PlatformError) {
        _ = try await call(.PUT, "/v1/pages/\(sha256)", body: bytes, contentType: "image/jpeg", idempotencyKey: nil)
    }

    public func postFiling(_ filing: FilingMessage) async throws(PlatformError) -> PlatformReceipt {
        let answer = try await call(.POST, "/v1/filings", body: try Self.json(filing), contentType: "application/json",
                                    idempotencyKey: filing.number)
        return try decode(PlatformReceipt.self, answer, what: "filing receipt")
    }

    public func filingStatus(number: String) async throws(PlatformError) -> PlatformFilingStatus {
        let escaped = number.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? number
        let answer = try await call(.GET, "/v1/filings/\(escaped)", body: nil, contentType: nil, idempotencyKey: nil)
        return try decode(PlatformFilingStatus.self, answer, what: "filing status")
    }

    public func postEvaluation(_ evaluation: EvaluationMessage, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt {
        let answer = try await call(.POST, "/v1/evaluations", body: try Self.json(evaluation), contentType: "application/json", idempotencyKey: idempotencyKey)
        return try decode(PlatformReceipt.self, answer, what: "evaluation receipt")
    }

    public func postQueueStatistics(_ statistics: QueueDayStatistics, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt {
        let answer = try await call(.POST, "/v1/statistics/queue", body: try Self.json(statistics), contentType: "application/json", idempotencyKey: idempotencyKey)
        return try decode(PlatformReceipt.self, answer, what: "queue statistics receipt")
    }

    public func licences(holder idNumber: String) async throws(PlatformError) -> [PlatformLicence] {
        // The ID number travels in the query the platform's API names; it is never logged (the
        // adapter logs the path without the query).
        let holder = idNumber.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? idNumber
        let answer = try await call(.GET, "/v1/licences?holder=\(holder)", body: nil, contentType: nil, idempotencyKey: nil)
        return try decode(PlatformLicences.self, answer, what: "licences").licences
    }

    public func appointments(day: String) async throws(PlatformError) -> [PlatformAppointment] {
        let answer = try await call(.GET, "/v1/appointments?date=\(day)", body: nil, contentType: nil, idempotencyKey: nil)
        return try decode(PlatformAppointments.self, answer, what: "appointments").appointments
    }

    public func postRatingStatistics(_ statistics: RatingMonthStatistics, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt {
        let answer = try await call(.POST, "/v1/statistics/ratings", body: try Self.json(statistics), contentType: "application/json", idempotencyKey: idempotencyKey)
        return try decode(PlatformReceipt.self, answer, what: "rating statistics receipt")
    }

    public func postSupervisionNotice(_ notice: SupervisionNoticeMessage, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt {
        let answer = try await call(.POST, "/v1/supervision/notices", body: try Self.json(notice), contentType: "application/json", idempotencyKey: idempotencyKey)
        return try decode(PlatformReceipt.self, answer, what: "supervision notice receipt")
    }

    public func postSupplement(_ supplement: SupplementMessage, idempotencyKey: String) async throws(PlatformError) -> PlatformReceipt {
        let number = supplement.filingNumber.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? supplement.filingNumber
        let answer = try await call(.POST, "/v1/filings/\(number)/supplements", body: try Self.json(supplement), contentType: "application/json",
                                    idempotencyKey: idempotencyKey)
        return try decode(PlatformReceipt.self, answer, what: "supplement receipt")
    }

    /// The reference API's JSON (`platform-openapi.yaml`): the message's fields, sorted keys, ISO 8601 times.
    static func json(_ message: some Encodable) throws(PlatformError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        do { return Array(try encoder.encode(message)) } catch {
            throw .permanent("the message cannot be encoded for the platform: \(error)")
        }
    }

    /// One call: a 2xx answer's body, or the classified error (network failures and timeouts are transient).
    private func call(_ method: HTTPMethod, _ path: String, body: [UInt8]?, contentType: String?,
                      idempotencyKey: String?) async throws(PlatformError) -> [UInt8] {
        // What logs and errors may show of the call: the path without its query (which may carry an ID number).
        let shownPath = path.prefix { $0 != "?" }
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: token.authorizationValue)
        request.headers.add(name: "Accept", value: "application/json")
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let status: Int
        let answer: [UInt8]
        do {
            let response = try await client.execute(request, timeout: timeout * 3)
            status = Int(response.status.code)
            let buffer = try await response.body.collect(upTo: Self.maximumAnswerBytes)
            answer = Array(buffer.readableBytesView)
        } catch {
            let failure = PlatformError.transient(token.scrubbed("\(method.rawValue) \(shownPath): \(Self.describe(error))"))
            logger.debug("platform call failed", metadata: ["method": "\(method.rawValue)", "path": "\(shownPath)", "error": "\(failure.reason)"])
            throw failure
        }
        logger.debug("platform answered", metadata: ["method": "\(method.rawValue)", "path": "\(shownPath)", "status": "\(status)"])
        guard (200..<300).contains(status) else {
            var failure = PlatformError.answer(status: status, body: answer)
            failure.reason = token.scrubbed(failure.reason)
            throw failure
        }
        return answer
    }

    private func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], what: String) throws(PlatformError) -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return try decoder.decode(type, from: Data(body)) } catch {
            // The platform accepted (2xx) but answered something unreadable: retrying replays the same
            // key and returns the first result, so it is transient, not a rejection.
            throw .transient("the platform's \(what) is not the documented JSON: \(error)")
        }
    }

    /// A short, token-free description of a client error that names its cause: timeouts, a
    /// refused or reset connection, an unreachable network, a name that does not resolve.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout: return "connect timed out"
            case .readTimeout: return "read timed out"
            case .deadlineExceeded: return "no answer in time"
            case .remoteConnectionClosed: return "connection closed by the platform without an answer"
            default: return "\(error)"
            }
        case let error as NIOConnectionError:
            if error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return "cannot resolve the platform's host name \(error.host)"
            }
            var causes: [String] = []
            for failure in error.connectionErrors {
                let cause = describe(failure.error)
                if !causes.contains(cause) { causes.append(cause) }
            }
            return causes.isEmpty ? "cannot connect to \(error.host):\(error.port)" : causes.joined(separator: "; ")
        case let error as IOError:
            return errnoText(error.errnoCode) ?? "\(error)"
        case let error as ChannelError:
            switch error {
            case .connectTimeout: return "connect timed out"
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed: return "connection closed by the platform without an answer"
            default: return "\(error)"
            }
        default:
            return "\(error)"
        }
    }

    /// The socket errors a platform call meets, in words a technician acts on.
    static func errnoText(_ code: Int32) -> String? {
        switch code {
        case ECONNREFUSED: "connection refused (nothing accepts connections at the platform's address)"
        case ECONNRESET: "connection reset by the platform"
        case ETIMEDOUT: "connect timed out"
        case EHOSTUNREACH: "host unreachable"
        case ENETUNREACH: "network unreachable"
        case ECONNABORTED: "connection aborted"
        case EPIPE: "connection closed by the platform while sending"
        default: nil
        }
    }
}
