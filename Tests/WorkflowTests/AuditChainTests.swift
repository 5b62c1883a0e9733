import Testing
@testable import Workflow

@Suite("Audit hash chain (全过程留痕)")
struct AuditChainTests {
    static let statuses = ["submitted", "accepted", "inProgress", "suspended", "concluded.approved", "delivered.mailed"]

    /// 50 records over a few subjects, with nil and non-nil `from` / `reason`.
    static let chain: [AuditRecord] = {
        var records: [AuditRecord] = []
        for i in 0..<50 {
            let subject = i % 7 == 0 ? "rectification:\(i)" : "filing:370481-TZ01-20261122-\(padded5(i % 5 + 1))"
            records.append(AuditChain.append(
                after: records.last, subject: subject, actor: FilingActor.allCases[i % 3],
                atMilliseconds: 1_795_000_000_000 + Int64(i) * 61_000, event: "step\(i)",
                from: i % 4 == 0 ? nil : statuses[i % statuses.count], to: statuses[(i + 1) % statuses.count],
                reason: i % 3 == 0 ? nil : "原因 #\(i)"))
        }
        return records
    }()

    @Test func aBuiltChainVerifies() {
        #expect(Self.chain.count == 50)
        #expect(Self.chain.map(\.sequence) == Array(1...50))
        #expect(Self.chain[0].previousHash == AuditChain.genesis)
        #expect(AuditChain.genesis == String(repeating: "0", count: 64))
        for i in 1..<50 { #expect(Self.chain[i].previousHash == Self.chain[i - 1].hash) }
        #expect(AuditChain.verify(Self.chain) == .intact(records: 50))
        #expect(AuditChain.verify(Self.chain, expectedCount: 50) == .intact(records: 50))
        #expect(AuditChain.verify([AuditRecord]()) == .intact(records: 0))
        #expect(AuditChain.verify([AuditRecord](), expectedCount: 0) == .intact(records: 0))
    }

    struct Tamper: Sendable, CustomTestStringConvertible {
        let field: String
        let change: @Sendable (inout AuditRecord) -> Void
        var testDescription: String { field }
    }

    static let contentTampers: [Tamper] = [
        Tamper(field: "subject") { $0.subject += "x" },
        Tamper(field: "actor") { $0.actor = $0.actor == .staff ? .kiosk : .staff },
        Tamper(field: "atMilliseconds") { $0.atMilliseconds += 1 },
        Tamper(field: "event") { $0.event = "forged" },
        Tamper(field: "from") { $0.from = $0.from == nil ? "draft" : nil },
        Tamper(field: "from nil ↔ empty") { $0.from = $0.from == nil ? "" : nil },
        Tamper(field: "to") { $0.to = "withdrawn" },
        Tamper(field: "reason") { $0.reason = ($0.reason ?? "") + "改" },
        Tamper(field: "reason nil ↔ empty") { $0.reason = $0.reason == nil ? "" : nil },
        Tamper(field: "hash") { $0.hash = String($0.hash.reversed()) },
    ]

    /// Changing any field of any record breaks the chain at that record.
    @Test(arguments: contentTampers)
    func changingAFieldIsDetectedAtThatRecord(_ tamper: Tamper) {
        for i in 0..<50 {
            var records = Self.chain
            tamper.change(&records[i])
            #expect(records[i] != Self.chain[i])
            #expect(AuditChain.verify(records) == .broken(atSequence: Int64(i + 1), reason: "content was changed after it was written"),
                    "\(tamper.field) of record \(i + 1)")
        }
    }

    @Test func changingThePreviousHashIsDetected() {
        for i in 0..<50 {
            var records = Self.chain
            records[i].previousHash = String(repeating: "f", count: 64)
            #expect(AuditChain.verify(records) == .broken(atSequence: Int64(i + 1), reason: "does not chain to the record before it"))
        }
    }

    @Test func changingTheSequenceIsDetected() {
        for i in 0..<50 {
            var records = Self.chain
            records[i].sequence += 100
            let n = Int64(i + 1)
            #expect(AuditChain.verify(records) == .broken(atSequence: n, reason: "record \(n) is missing (found \(n + 100) next)"))
        }
    }

    /// Rewriting a middle record and recomputing its own hash is caught by the next record's link.
    @Test func rehashingAChangedRecordIsCaughtByTheNextOne() {
        for i in 0..<49 {
            var records = Self.chain
            var r = records[i]
            r.reason = "伪造"
            r.hash = AuditChain.hash(sequence: r.sequence, subject: r.subject, actor: r.actor, atMilliseconds: r.atMilliseconds,
                                     event: r.event, from: r.from, to: r.to, reason: r.reason, previousHash: r.previousHash)
            records[i] = r
            #expect(AuditChain.verify(records) == .broken(atSequence: Int64(i + 2), reason: "does not chain to the record before it"))
        }
    }

    @Test(arguments: [1, 2, 25, 48])   // removing index 49 (the last) is truncation, tested below
    func deletingARecordIsDetected(_ position: Int) {
        var records = Self.chain
        records.remove(at: position)   // sequence position + 1
        let n = Int64(position + 1)
        #expect(AuditChain.verify(records) == .broken(atSequence: n, reason: "record \(n) is missing (found \(n + 1) next)"))
    }

    @Test func deletingTheFirstRecordIsDetected() {
        #expect(AuditChain.verify(Self.chain.dropFirst()) == .broken(atSequence: 1, reason: "record 1 is missing (found 2 next)"))
    }

    @Test(arguments: [(0, 1), (10, 11), (20, 40), (48, 49)])
    func swappingTwoRecordsIsDetected(_ a: Int, _ b: Int) {
        var records = Self.chain
        records.swapAt(a, b)
        let n = Int64(a + 1)
        #expect(AuditChain.verify(records) == .broken(atSequence: n, reason: "record \(n) is missing (found \(b + 1) next)"))
        // Renumbering after the swap does not help: the links no longer fit.
        let seqA = records[a].sequence, seqB = records[b].sequence
        records[a].sequence = seqB
        records[b].sequence = seqA
        #expect(!AuditChain.verify(records).isIntact)
        if case let .broken(at, _) = AuditChain.verify(records) { #expect(at == n) }
    }

    @Test(arguments: [1, 5, 49, 50])
    func truncatingTheEndNeedsTheExpectedCount(_ cut: Int) {
        let records = Array(Self.chain.dropLast(cut))
        let remain = 50 - cut
        #expect(AuditChain.verify(records) == .intact(records: remain))  // undetectable from the records alone
        #expect(AuditChain.verify(records, expectedCount: 50)
                == .broken(atSequence: Int64(remain + 1), reason: "50 records were written but \(remain) remain"))
        #expect(AuditChain.verify(records, expectedCount: Int64(remain)) == .intact(records: remain))
    }

    @Test func moreRecordsThanExpectedIsAlsoReported() {
        #expect(AuditChain.verify(Self.chain, expectedCount: 49) == .broken(atSequence: 51, reason: "49 records were written but 50 remain"))
    }

    // MARK: hash

    /// Golden values computed independently (Python hashlib) from the documented serialisation:
    /// each field as `<utf8 length>:<bytes>`, nil as `-1:`, in the order sequence, subject, actor,
    /// atMilliseconds, event, from, to, reason, previousHash.
    @Test func hashMatchesTheIndependentlyComputedValue() {
        let first = AuditChain.append(after: nil, subject: "filing:370481-TZ01-20261122-00017", actor: .kiosk,
                                      atMilliseconds: 1_795_000_000_000, event: "submit", from: nil, to: "submitted", reason: nil)
        #expect(first.hash == "7f09bc8b19b675f356bf3635343c41fb750bfb54d82a751c164ec775c5550b98")
        let second = AuditChain.append(after: first, subject: "filing:370481-TZ01-20261122-00017", actor: .staff,
                                       atMilliseconds: 1_795_000_060_000, event: "accept", from: "submitted", to: "accepted", reason: "材料齐全")
        #expect(second.sequence == 2)
        #expect(second.previousHash == first.hash)
        #expect(second.hash == "8892afb194f2a7ce9109e8d8a73697ebb173eb9bf8f856b3050a486ef9a10174")
    }

    @Test func hashIsDeterministicAndSeparatesFields() {
        func h(subject: String = "s", event: String = "e", from: String? = nil, to: String = "t", reason: String? = nil) -> String {
            AuditChain.hash(sequence: 1, subject: subject, actor: .kiosk, atMilliseconds: 0, event: event, from: from, to: to,
                            reason: reason, previousHash: AuditChain.genesis)
        }
        #expect(h() == h())
        #expect(h().count == 64)
        #expect(h().allSatisfy { "0123456789abcdef".contains($0) })
        #expect(h(reason: nil) != h(reason: ""))
        #expect(h(from: nil) != h(from: ""))
        #expect(h(from: "-1:") != h(from: nil))          // length prefixes keep "-1:" apart from nil
        #expect(h(subject: "ab", event: "c") != h(subject: "a", event: "bc"))
        #expect(h(from: "x", reason: nil) != h(from: nil, reason: "x"))
        var hashes = Set<String>()
        for a in ["", "a", "ab"] { for b in [nil, "", "a"] as [String?] { hashes.insert(h(subject: a, from: b)) } }
        #expect(hashes.count == 9)
    }

    @Test func verificationDescriptions() {
        #expect(AuditChain.Verification.intact(records: 3).description == "audit chain intact: 3 records")
        #expect(AuditChain.Verification.broken(atSequence: 2, reason: "x").description == "audit chain BROKEN at record 2: x")
        #expect(AuditChain.Verification.intact(records: 0).isIntact)
        #expect(!AuditChain.Verification.broken(atSequence: 1, reason: "").isIntact)
    }
}

/// Zero-padded to five digits, without Foundation.
private func padded5(_ value: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
}
