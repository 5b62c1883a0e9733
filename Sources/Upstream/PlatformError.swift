import Foundation

/// Why a platform call failed, and whether trying again can help.
///
/// Transient: the network (refused, reset, timed out), a 5xx, or 408/409/429 — the relay retries
/// with backoff and never drops the row. Permanent: any other 4xx — the platform refused the
/// content; the row goes to `rejected` with the platform's `reason` and waits for a person.
public struct PlatformError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Whether a retry can succeed.
    public enum Kind: String, Sendable, Hashable, Codable {
        case transient
        case permanent
    }

    public var kind: Kind
    /// The HTTP status, when the platform answered.
    public var status: Int?
    /// The platform's reason (problem+json `detail`/`title`, or `{"error": …}`), or what went wrong on the way.
    public var reason: String

    /// Longest reason kept (the platform's text is shown to staff and stored with the row).
    public static let maximumReasonLength = 300

    public init(_ kind: Kind, status: Int? = nil, reason: String) {
        self.kind = kind
        self.status = status
        self.reason = Self.truncated(reason)
    }

    public static func transient(_ reason: String, status: Int? = nil) -> PlatformError { PlatformError(.transient, status: status, reason: reason) }
    public static func permanent(_ reason: String, status: Int? = nil) -> PlatformError { PlatformError(.permanent, status: status, reason: reason) }

    public var isPermanent: Bool { kind == .permanent }

    public var description: String {
        if let status { "\(kind.rawValue) HTTP \(status): \(reason)" } else { "\(kind.rawValue): \(reason)" }
    }

    /// Whether an HTTP status means "try again later": 5xx, 408 Request Timeout, 409 Conflict (the
    /// platform is still applying a request with the same key), 429 Too Many Requests. Any status
    /// that is neither success nor a client error (1xx, 3xx) is treated as transient too: a row is
    /// never rejected for something the platform did not clearly refuse.
    public static func isTransient(status: Int) -> Bool {
        switch status {
        case 408, 409, 429: true
        case 400...499: false
        default: true
        }
    }

    /// The error of a non-2xx answer, with the reason read from its body.
    public static func answer(status: Int, body: [UInt8]) -> PlatformError {
        let reason = Self.reason(fromBody: body) ?? "HTTP \(status) without a reason"
        return PlatformError(isTransient(status: status) ? .transient : .permanent, status: status, reason: reason)
    }

    /// The platform's reason in an error body: RFC 9457 problem+json (`detail`, else `title`),
    /// `{"error": "…"}` or `{"error": {"message": "…"}}`, `{"message": "…"}`; else the body's text.
    public static func reason(fromBody body: [UInt8]) -> String? {
        guard !body.isEmpty else { return nil }
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            let title = object["title"] as? String
            if let detail = object["detail"] as? String, !detail.isEmpty {
                return truncated(title.map { "\($0): \(detail)" } ?? detail)
            }
            if let title, !title.isEmpty { return truncated(title) }
            if let error = object["error"] as? String { return truncated(error) }
            if let error = object["error"] as? [String: Any], let message = error["message"] as? String { return truncated(message) }
            if let message = object["message"] as? String { return truncated(message) }
        }
        let text = String(decoding: body.prefix(16 * maximumReasonLength), as: UTF8.self)
        return truncated(text)
    }

    /// One line of at most `maximumReasonLength` characters (control characters become spaces).
    static func truncated(_ text: String) -> String {
        let line = String(text.map { $0.isNewline || ($0.isASCII && $0.asciiValue! < 0x20) ? " " : $0 })
            .trimmingCharacters(in: .whitespaces)
        guard line.count > maximumReasonLength else { return line }
        return String(line.prefix(maximumReasonLength - 1)) + "…"
    }
}
