import Foundation
import GRDB

/// Where an outbox row is on its way upstream.
public enum OutboxState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for its next attempt (or its first).
    case pending
    /// The platform has it (once: the platform deduplicates replays by key).
    case delivered
    /// Failed `stuckAfterAttempts` times: still retried on a slow cadence, and shown to staff.
    case stuck
    /// The platform refused it permanently (a 4xx with its reason), or it cannot be sent (its page
    /// file is missing). Not retried until a person retries it; it holds back its key's later rows.
    case rejected
}

/// One row of the outbox with its delivery state, as the relay and `kioskctl outbox` see it.
public struct OutboxRow: Sendable, Hashable, Codable {
    public var id: Int64
    /// `page`, `filing`, `evaluation` or `rectification`.
    public var kind: String
    /// A page's SHA-256, a filing number, or `evaluation:<id>`.
    public var subject: String
    /// Rows with the same key are delivered in id order.
    public var orderKey: String
    public var state: OutboxState
    public var attempts: Int
    public var createdAt: Date
    public var nextAttemptAt: Date?
    public var lastAttemptAt: Date?
    public var lastError: String?
    public var deliveredAt: Date?
    /// The platform's case id, once a filing is delivered.
    public var platformRef: String?

    init(row: Row) {
        id = row["id"]
        kind = row["kind"]
        subject = row["subject"]
        orderKey = row["orderKey"]
        state = OutboxState(rawValue: row["state"]) ?? .pending
        attempts = row["attempts"]
        createdAt = row["createdAt"]
        nextAttemptAt = row["nextAttemptAt"]
        lastAttemptAt = row["lastAttemptAt"]
        lastError = row["lastError"]
        deliveredAt = row["deliveredAt"]
        platformRef = row["platformRef"]
    }

    /// The columns `init(row:)` reads (the payload is read only when a row is sent).
    static let columns = "id, kind, subject, orderKey, state, attempts, createdAt, nextAttemptAt, lastAttemptAt, lastError, deliveredAt, platformRef"
}
