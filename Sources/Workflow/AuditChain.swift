import Crypto

/// One append-only audit record (全过程留痕): who moved which subject from what to what, when and why.
/// Records form a hash chain: each hash covers the record and the previous hash, so changing,
/// removing or reordering any record is detected by `AuditChain.verify`.
public struct AuditRecord: Sendable, Hashable, Codable {
    /// Position in the chain, from 1, without gaps.
    public var sequence: Int64
    /// What the record is about, e.g. `filing:370481-TZ01-20261122-00017` or `rectification:12`.
    public var subject: String
    public var actor: FilingActor
    /// Milliseconds since 1970 (UTC), so the hash does not depend on date formatting.
    public var atMilliseconds: Int64
    public var event: String
    public var from: String?
    public var to: String
    public var reason: String?
    public var previousHash: String
    public var hash: String

    public init(sequence: Int64, subject: String, actor: FilingActor, atMilliseconds: Int64, event: String,
                from: String?, to: String, reason: String?, previousHash: String, hash: String) {
        self.sequence = sequence; self.subject = subject; self.actor = actor; self.atMilliseconds = atMilliseconds
        self.event = event; self.from = from; self.to = to; self.reason = reason
        self.previousHash = previousHash; self.hash = hash
    }
}

/// Computes and checks the audit hash chain.
public enum AuditChain {
    /// The previous hash of the first record.
    public static let genesis = String(repeating: "0", count: 64)

    /// The hash of a record's content chained to `previousHash` (SHA-256, hex). Every field is
    /// length-prefixed so no two different records serialise alike.
    public static func hash(sequence: Int64, subject: String, actor: FilingActor, atMilliseconds: Int64, event: String,
                            from: String?, to: String, reason: String?, previousHash: String) -> String {
        var bytes: [UInt8] = []
        func field(_ text: String?) {
            guard let text else { bytes.append(contentsOf: Array("-1:".utf8)); return }
            let utf8 = Array(text.utf8)
            bytes.append(contentsOf: Array("\(utf8.count):".utf8))
            bytes.append(contentsOf: utf8)
        }
        field(String(sequence)); field(subject); field(actor.rawValue); field(String(atMilliseconds))
        field(event); field(from); field(to); field(reason); field(previousHash)
        return SHA256.hash(data: bytes).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// Builds the next record after `previous` (nil for the first).
    public static func append(after previous: AuditRecord?, subject: String, actor: FilingActor, atMilliseconds: Int64,
                              event: String, from: String?, to: String, reason: String?) -> AuditRecord {
        let sequence = (previous?.sequence ?? 0) + 1
        let prev = previous?.hash ?? genesis
        return AuditRecord(sequence: sequence, subject: subject, actor: actor, atMilliseconds: atMilliseconds, event: event,
                           from: from, to: to, reason: reason, previousHash: prev,
                           hash: hash(sequence: sequence, subject: subject, actor: actor, atMilliseconds: atMilliseconds,
                                      event: event, from: from, to: to, reason: reason, previousHash: prev))
    }

    /// The outcome of checking a chain.
    public enum Verification: Sendable, Hashable, CustomStringConvertible {
        case intact(records: Int)
        /// The first record that does not fit, and why.
        case broken(atSequence: Int64, reason: String)

        public var isIntact: Bool { if case .intact = self { true } else { false } }

        public var description: String {
            switch self {
            case let .intact(n): "audit chain intact: \(n) records"
            case let .broken(seq, reason): "audit chain BROKEN at record \(seq): \(reason)"
            }
        }
    }

    /// Checks records given in sequence order: sequences consecutive from 1, each previous hash
    /// equal to the hash before it, each hash equal to its recomputation. `expectedCount` (from an
    /// independent counter) detects records cut off the end.
    public static func verify(_ records: some Sequence<AuditRecord>, expectedCount: Int64? = nil) -> Verification {
        var previousHash = genesis
        var expected: Int64 = 1
        for r in records {
            guard r.sequence == expected else {
                return .broken(atSequence: expected, reason: "record \(expected) is missing (found \(r.sequence) next)")
            }
            guard r.previousHash == previousHash else {
                return .broken(atSequence: r.sequence, reason: "does not chain to the record before it")
            }
            let recomputed = hash(sequence: r.sequence, subject: r.subject, actor: r.actor, atMilliseconds: r.atMilliseconds,
                                  event: r.event, from: r.from, to: r.to, reason: r.reason, previousHash: r.previousHash)
            guard recomputed == r.hash else {
                return .broken(atSequence: r.sequence, reason: "content was changed after it was written")
            }
            previousHash = r.hash
            expected += 1
        }
        if let expectedCount, expectedCount != expected - 1 {
            return .broken(atSequence: expected, reason: "\(expectedCount) records were written but \(expected - 1) remain")
        }
        return .intact(records: Int(expected - 1))
    }
}
