import Foundation
import Store
import Workflow

/// A filing that still owes deferred materials (容缺), as the citizen who comes back sees it.
public struct OwedFiling: Sendable, Hashable {
    public var number: String
    public var itemCode: String
    public var itemName: String
    public var status: FilingStatus
    /// The materials still owed, each with its deadline and what happens if it does not follow.
    public var owed: [DeferredMaterial]
    /// A deadline passed: the consequence applies (the supervision sweep applies it, once).
    public var lapsed: Bool
}

/// A supplement (补交) handed in: what it supplied, what is still owed, the filing after it.
public struct SupplementRecord: Sendable, Hashable {
    public var filing: FilingRecord
    public var itemName: String
    public var supplied: [SupplementMessage.Supplied]
    public var stillOwed: [DeferredMaterial]
    /// Nothing is owed any more (a 容缺 filing is then 已受理).
    public var complete: Bool
    public var at: Date
}

/// A deferred material whose deadline is near or past, for the staff alerts.
public struct DeferralDue: Sendable, Hashable {
    public var filingNumber: String
    public var materialName: String
    public var deadline: CivilDate
    public var consequence: DeferralConsequence
    /// The deadline has passed (the next sweep applies the consequence).
    public var lapsed: Bool
}

extension FrontDesk {
    /// Wrong ID endings a filing takes per hall day before identification by number is locked.
    public static let supplementIdentificationAttempts = 5

    /// The applicant's open filings that still owe deferred materials (identified by the card read).
    public func owedFilings(applicant: Applicant) async throws(FrontDeskError) -> [OwedFiling] {
        let today = self.today()
        return try await read { [self] tx in
            let key = try applicantKey(tx, idNumber: applicant.idNumber)
            return try tx.filings.owing(applicantKey: key).filter { $0.status.isOpen }.map { owedFiling($0, today: today) }
        }
    }

    func owedFiling(_ filing: FilingRecord, today: CivilDate) -> OwedFiling {
        let owed = filing.deferred.filter(\.isOwed)
        return OwedFiling(number: filing.number ?? "", itemCode: filing.itemCode,
                          itemName: catalogue.item(code: filing.itemCode)?.name ?? filing.itemCode, status: filing.status,
                          owed: owed, lapsed: owed.contains { $0.deadline < today })
    }

    /// Opens a supplement (补交) of a filing: its applicant is identified by the card read in the
    /// session (`applicant`), or by the last four characters of the ID number (`idNumberTail`,
    /// five wrong ones per filing and hall day, each audited, lock it for the day). The supplement
    /// asks only for the materials still owed; its pages are captured like a draft's and wiped
    /// with the session if it is not handed in.
    public func openSupplement(filingNumber: String, applicant: Applicant?, idNumberTail: String?,
                               sessionID: String? = nil) async throws(FrontDeskError) -> Draft {
        let now = clock.now()
        let today = hall.moment(now).day
        // Identify first (a refusal is audited in a write of its own, which a throw would undo).
        let check: Result<String, WorkflowError> = try await read { [self] tx in
            guard let filing = try tx.filings.find(number: filingNumber), let owner = try tx.filings.applicant(number: filingNumber) else {
                return .failure(.notFound("filing \(filingNumber)"))
            }
            if let applicant {
                return try applicantKey(tx, idNumber: applicant.idNumber) == owner.key ? .success(owner.key) : .failure(.identityMismatch(filing: filingNumber))
            }
            let refusedToday = try tx.audit.records(subject: "filing:\(filingNumber)").filter {
                $0.event == "supplementIdentityRefused"
                    && hall.moment(Date(timeIntervalSince1970: Double($0.atMilliseconds) / 1000)).day == today
            }.count
            if refusedToday >= Self.supplementIdentificationAttempts { return .failure(.identificationLocked(filing: filingNumber)) }
            // The stored applicant keeps the last four characters even once minimised (masked).
            let stored = try? JSONDecoder().decode(Applicant.self, from: Data(owner.json.utf8))
            let tail = (idNumberTail ?? "").trimmingCharacters(in: .whitespaces).uppercased()
            guard tail.count == 4, let stored, stored.idNumber.uppercased().hasSuffix(tail) else {
                return .failure(.identityMismatch(filing: filing.number ?? filingNumber))
            }
            return .success(owner.key)
        }
        let key: String
        switch check {
        case let .success(k): key = k
        case let .failure(refusal):
            if case .identityMismatch = refusal, applicant == nil {
                try await write { [self] tx in
                    try appendAudit(tx, subject: "filing:\(filingNumber)", actor: .kiosk, at: now, event: "supplementIdentityRefused",
                                    from: nil, to: "refused", reason: "补交核验失败：身份证号码后四位不符")
                }
            }
            throw .workflow(refusal)
        }
        let id = UUID().uuidString.lowercased()
        try await write { tx in
            guard let filing = try tx.filings.find(number: filingNumber) else { throw WorkflowError.notFound("filing \(filingNumber)") }
            let owed = filing.deferred.filter(\.isOwed)
            if let lapsed = owed.first(where: { $0.deadline < today }) {
                throw WorkflowError.deferralLapsed(filing: filingNumber, consequence: Self.consequence(of: owed.filter { $0.deadline < today }) ?? lapsed.effectiveConsequence)
            }
            guard filing.status.isOpen, !owed.isEmpty else {
                if let lapsed = filing.deferred.first(where: { $0.lapsedAt != nil }) {
                    throw WorkflowError.deferralLapsed(filing: filingNumber, consequence: lapsed.effectiveConsequence)
                }
                throw WorkflowError.nothingOwed(filing: filingNumber)
            }
            // No personal data on the supplement itself: the filing's draft has the applicant.
            try tx.drafts.insert(id: id, subject: .item(filing.itemCode), sessionID: sessionID, applicantKey: key, applicantJSON: "{}",
                                 supplementFor: filingNumber, at: now)
        }
        return try await draft(id: id)
    }

    /// The harshest of the lapsed materials' consequences (不予受理 over 退件).
    static func consequence(of lapsed: [DeferredMaterial]) -> DeferralConsequence? {
        lapsed.isEmpty ? nil : lapsed.contains { $0.effectiveConsequence == .reject } ? .reject : .withdraw
    }

    /// Hands in a supplement: every owed material with all its pages captured counts as supplied
    /// (a material with fewer pages stays owed). In one transaction: the materials marked supplied,
    /// a 容缺 filing with nothing owed any more accepted (容缺受理 → 已受理), the audit record, the
    /// materials held for the applicant, and per page an outbox row followed by the supplement's
    /// own row (after the filing: same order key). Refused once a deadline has passed.
    public func submitSupplement(draftID: String) async throws(FrontDeskError) -> SupplementRecord {
        let now = clock.now()
        let today = hall.moment(now).day
        return try await write { [self] tx in
            let draft = try loadDraft(tx, id: draftID)
            guard draft.state == .open else { throw WorkflowError.draftClosed(draftID) }
            guard let number = draft.supplementFor else { throw WorkflowError.wrongDraftKind(draft: draftID, supplement: false) }
            guard let filing = try tx.filings.find(number: number) else { throw WorkflowError.notFound("filing \(number)") }
            let owed = filing.deferred.filter(\.isOwed)
            guard filing.status.isOpen, !owed.isEmpty else { throw WorkflowError.nothingOwed(filing: number) }
            let late = owed.filter { $0.deadline < today }
            if let consequence = Self.consequence(of: late) { throw WorkflowError.deferralLapsed(filing: number, consequence: consequence) }

            let pages = Dictionary(draft.slots.map { ($0.requirement.material.code, $0.pages) }, uniquingKeysWith: { a, _ in a })
            let item = catalogue.item(code: filing.itemCode)
            let expected = Dictionary((item?.materials ?? []).map { ($0.code, max(1, $0.pages)) }, uniquingKeysWith: { a, _ in a })
            let handedIn = owed.filter { (pages[$0.code]?.count ?? 0) >= (expected[$0.code] ?? 1) }
            guard !handedIn.isEmpty else { throw WorkflowError.nothingCaptured(filing: number) }
            _ = try tx.filings.markSupplied(filingID: filing.id, materialCodes: handedIn.map(\.code), at: now)
            let stillOwed = owed.filter { m in !handedIn.contains { $0.code == m.code } }

            var status = filing.status
            if stillOwed.isEmpty, status == .conditionallyAccepted {
                status = try FilingLifecycle.next(from: status, on: .accept, by: .kiosk)
                try tx.filings.setStatus(id: filing.id, status, concludedDay: nil, at: now)
            }
            let listed = handedIn.map { "\($0.name)（\(pages[$0.code]?.count ?? 0)页）" }.joined(separator: "、")
            let reason = stillOwed.isEmpty ? "补交齐全：\(listed)，转为正式受理"
                : "已补交：\(listed)；尚需补交：" + stillOwed.map { "\($0.name)（\($0.deadline)前）" }.joined(separator: "、")
            try appendAudit(tx, subject: "filing:\(number)", actor: .kiosk, at: now, event: "supplement",
                            from: filing.status.description, to: status.description, reason: reason)
            for m in handedIn {
                try tx.drafts.hold(applicantKey: draft.applicantKey, materialCode: m.code, filingNumber: number, at: now)
            }
            let supplied = handedIn.map { SupplementMessage.Supplied(code: $0.code, name: $0.name, pages: pages[$0.code] ?? []) }
            // The pages go first (content-addressed), then the supplement that names them.
            var sent: Set<String> = []
            for m in supplied {
                for sha in m.pages where sent.insert(sha).inserted {
                    try enqueueOutbox(tx, subject: sha, orderKey: number, message: .page(PageMessage(sha256: sha, filingNumber: number)), at: now)
                }
            }
            try enqueueOutbox(tx, subject: "supplement:\(draftID)", orderKey: number, message: .supplement(SupplementMessage(
                outcome: "supplied", filingNumber: number, itemCode: filing.itemCode, supplied: supplied, stillOwed: stillOwed,
                lapsed: [], status: status.description, consequence: nil, at: now, kioskID: rules.kioskID)), at: now)
            try tx.drafts.markSubmitted(id: draftID, commitmentSigned: false, mailTo: nil, at: now)
            var after = try tx.filings.find(number: number) ?? filing
            after.status = status
            return SupplementRecord(filing: after, itemName: item?.name ?? filing.itemCode, supplied: supplied, stillOwed: stillOwed,
                                    complete: stillOwed.isEmpty, at: now)
        }
    }

    /// Applies the catalogue's consequence to every open filing with a deferred material past its
    /// deadline (the day after it): the filing withdrawn (退件) or rejected (不予受理), its owed
    /// materials marked lapsed, an audit record and a `lapsed` supplement message upstream — in
    /// the caller's transaction, so each filing gets it exactly once. Returns the filings' numbers.
    func applyLapsedDeferrals(_ tx: StoreTransaction, today: CivilDate, at now: Date, audit lastAudit: inout AuditRecord?) throws -> [String] {
        let rows = try tx.filings.owedDeferrals(dueOnOrBefore: today.adding(days: -1))
        guard !rows.isEmpty else { return [] }
        var byFiling: [Int64: [OwedDeferralRow]] = [:]
        var order: [Int64] = []
        for row in rows {
            if byFiling[row.filingID] == nil { order.append(row.filingID) }
            byFiling[row.filingID, default: []].append(row)
        }
        var applied: [String] = []
        for id in order {
            let lapsedRows = byFiling[id]!
            let first = lapsedRows[0]
            guard let filing = try tx.filings.find(number: first.number) else { continue }
            let owed = filing.deferred.filter(\.isOwed)
            _ = try tx.filings.markLapsed(filingID: id, at: now)
            // A filing closed meanwhile (withdrawn at a window…) keeps its status: nothing to apply.
            guard filing.status.isOpen else { continue }
            let lapsed = owed.filter { $0.deadline < today }
            let consequence = Self.consequence(of: lapsed) ?? .withdraw
            let event = consequence.event(from: filing.status)
            let next = try FilingLifecycle.next(from: filing.status, on: event, by: .kiosk)
            try tx.filings.setStatus(id: id, next, concludedDay: nil, at: now)
            try appendAudit(tx, after: &lastAudit, subject: "filing:\(first.number)", actor: .kiosk, at: now, event: "deferralLapsed",
                            from: filing.status.description, to: next.description,
                            reason: "容缺材料逾期未补交（" + lapsed.map { "\($0.name)，\($0.deadline)前" }.joined(separator: "；")
                                + "），按\(consequence.chineseName)处理")
            try enqueueOutbox(tx, subject: "lapse:\(first.number)", orderKey: first.number, message: .supplement(SupplementMessage(
                outcome: "lapsed", filingNumber: first.number, itemCode: filing.itemCode, supplied: [], stillOwed: [],
                lapsed: lapsed, status: next.description, consequence: consequence.rawValue, at: now, kioskID: rules.kioskID)), at: now)
            applied.append(first.number)
        }
        return applied
    }

    /// The applicant a filing was made for (for printing its slips; masked once minimised).
    public func applicant(filingNumber: String) async throws(FrontDeskError) -> Applicant? {
        try await read { tx in
            try tx.filings.applicant(number: filingNumber).flatMap { try? JSONDecoder().decode(Applicant.self, from: Data($0.json.utf8)) }
        }
    }

    /// Owed deferred materials whose deadline is today or the next working day, or already past
    /// (lapsing at the next sweep): the staff alert a working day before the consequence applies.
    public func deferralsDueSoon() async throws(FrontDeskError) -> [DeferralDue] {
        let today = self.today()
        let horizon = deadlines.calendar.nextWorkingDay(after: today)
        return try await read { tx in
            try tx.filings.owedDeferrals(dueOnOrBefore: horizon).filter { $0.status.isOpen }.map {
                DeferralDue(filingNumber: $0.number, materialName: $0.materialName, deadline: $0.deadline,
                            consequence: $0.consequence ?? .withdraw, lapsed: $0.deadline < today)
            }
        }
    }
}
