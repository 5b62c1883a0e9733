import Foundation
import Store

/// How far behind the kiosk is upstream: for `kioskctl outbox`, the staff API, health and /metrics.
public struct OutboxReport: Sendable, Hashable, Codable {
    /// A row the platform refused, with its reason.
    public struct Rejection: Sendable, Hashable, Codable {
        public var id: Int64
        public var kind: String
        public var subject: String
        public var orderKey: String
        public var reason: String
        public var rejectedAt: Date?
        /// Later rows of the same key waiting behind it.
        public var blockedRows: Int
    }

    /// Rows not yet delivered: pending + stuck + rejected.
    public var depth: Int
    public var pending: Int
    public var stuck: Int
    public var rejected: Int
    /// Rows delivered so far (kept until retention removes them).
    public var delivered: Int
    /// When the oldest undelivered row was written, and its age in seconds at `checkedAt`.
    public var oldestUndeliveredAt: Date?
    public var oldestAgeSeconds: Double?
    /// The earliest next attempt of a row that can be sent (nil: nothing, or only rows held back by rejected ones).
    public var nextAttemptAt: Date?
    public var lastSuccessAt: Date?
    public var lastFailureAt: Date?
    /// The error of the last failure (the platform's reason or the network's).
    public var lastError: String?
    public var rejections: [Rejection]
    /// The oldest undelivered rows, at most the limit asked for.
    public var rows: [OutboxRow]
    public var checkedAt: Date

    /// Whether something needs a person (stuck or rejected rows).
    public var needsAttention: Bool { stuck > 0 || rejected > 0 }
}
