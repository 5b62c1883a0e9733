import Crypto
import Foundation
import Store
import Workflow

/// A recorded rating (好差评) and, for a 差评, its rectification record.
public struct EvaluationRecord: Sendable, Hashable {
    public var id: Int64
    public var subject: EvaluationSubject
    public var level: EvaluationLevel
    public var comment: String?
    public var channel: String
    public var ratedAt: Date
    public var rectification: Rectification?
}

/// A 差评's follow-up as staff see it (the staff API and `kioskctl rectifications`).
public struct RectificationSummary: Sendable, Hashable, Codable {
    public var id: Int64
    public var evaluationId: Int64
    public var status: String
    public var statusName: String
    public var deadline: String
    /// Open and past its deadline.
    public var overdue: Bool
    public var note: String?
    /// The steps allowed from here (`rectifying`, `appealed`…).
    public var next: [String]

    public init(_ r: Rectification, today: CivilDate) {
        id = r.id
        evaluationId = r.evaluationID
        status = r.status.rawValue
        statusName = r.status.chineseName
        deadline = r.deadline.description
        overdue = !r.status.isClosed && r.deadline < today
        note = r.note
        next = RectificationStatus.allCases.filter { RectificationStatus.transitions[r.status, default: []].contains($0) }.map(\.rawValue)
    }
}

extension FrontDesk {
    /// Records the one rating of a service instance (一次一评): a filing that was submitted, or a
    /// ticket that was called or served. A second rating is refused. A 差评 (1–2) opens a
    /// rectification record due in the configured working days. The rating, its audit record and
    /// its outbox row are one transaction.
    public func rate(_ subject: EvaluationSubject, level: Int, comment: String? = nil,
                     channel: String = "pad") async throws(FrontDeskError) -> EvaluationRecord {
        let value: EvaluationLevel
        do { value = try EvaluationLevel.from(level) } catch { throw .workflow(error) }
        let now = clock.now()
        let today = hall.moment(now).day
        // One rule, here: a comment over the limit is refused (the route no longer checks, nor is
        // a comment cut short without the citizen knowing).
        if let comment, comment.count > Self.maximumCommentLength { throw .workflow(.commentTooLong(maximum: Self.maximumCommentLength)) }
        let trimmed = comment
        let hallState = try await hallTicketState(subject)
        let id: Int64 = try await write { [self] tx in
            try Self.requireRateable(tx, subject, hallState: hallState)
            let id = try tx.evaluations.insert(subject: subject, level: value, comment: trimmed, channel: channel, at: now)
            var deadline: CivilDate? = nil
            if value.isNegative {
                let due = deadlines.calendar.adding(workingDays: rules.rectificationWorkingDays, to: today)
                deadline = due
                let rectification = try tx.evaluations.openRectification(evaluationID: id, deadline: due, at: now)
                try appendAudit(tx, subject: "rectification:\(rectification)", actor: .kiosk, at: now, event: "open",
                                from: nil, to: RectificationStatus.pendingVerification.rawValue,
                                reason: "差评（\(value.chineseName)）：\(subject)")
            }
            try appendAudit(tx, subject: "evaluation:\(id)", actor: .kiosk, at: now, event: "rate", from: nil,
                            to: String(value.rawValue), reason: subject.description)
            try enqueueOutbox(tx, subject: "evaluation:\(id)",
                              orderKey: Self.outboxOrderKey(subjectKind: subject.kind, subjectRef: subject.reference),
                              message: .evaluation(EvaluationMessage(
                evaluationID: id, subjectKind: subject.kind, subjectRef: subject.reference, level: value.rawValue,
                levelName: value.chineseName, comment: trimmed, channel: channel, ratedAt: now,
                rectificationStatus: value.isNegative ? RectificationStatus.pendingVerification.rawValue : nil,
                rectificationDeadline: deadline?.description, kioskID: rules.kioskID)), at: now)
            return id
        }
        return try await evaluation(id: id)
    }

    /// The rating code (评价码) of a service instance: 12 digits, an HMAC of the instance with the
    /// kiosk's secret, printed on its slip and shown on its progress page. Holding it is what lets
    /// somebody rate the service later; a filing number or ticket, which are sequential, never does.
    public func ratingCode(for subject: EvaluationSubject) async throws(FrontDeskError) -> String {
        try await read { [self] tx in try ratingCode(tx, for: subject) }
    }

    /// `ratingCode(for:)` in the caller's transaction.
    func ratingCode(_ tx: StoreTransaction, for subject: EvaluationSubject) throws -> String {
        let key = try kioskSecret(tx)
        let mac = HMAC<SHA256>.authenticationCode(for: Data("rating:\(subject.kind):\(subject.reference)".utf8), using: key)
        // 64 bits of the MAC reduced to 12 decimal digits (the bias of the reduction is negligible).
        let value = mac.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let digits = String(value % 1_000_000_000_000)
        return String(repeating: "0", count: 12 - digits.count) + digits
    }

    /// Whether `code` is `subject`'s rating code (spaces ignored; compared in constant time).
    public func isRatingCode(_ code: String, for subject: EvaluationSubject) async throws(FrontDeskError) -> Bool {
        let given = Array(code.filter { !$0.isWhitespace }.utf8)
        let expected = await Array(try ratingCode(for: subject).utf8)
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Records that the pad asked for `subject`'s rating and none came (未评价: the prompt timed
    /// out, was withdrawn, or the pad went away): an audit record on the instance, no evaluation
    /// row and no level, so the instance can still be rated once (e.g. on the screen). Returns
    /// false, recording nothing, when the instance was rated meanwhile.
    @discardableResult
    public func recordUnrated(_ subject: EvaluationSubject, reason: String) async throws(FrontDeskError) -> Bool {
        let now = clock.now()
        return try await write { [self] tx in
            if try tx.evaluations.isRated(subject) { return false }
            try appendAudit(tx, subject: subject.auditSubject, actor: .kiosk, at: now, event: "unrated", from: nil, to: "未评价", reason: reason)
            return true
        }
    }

    /// Checks, without recording anything, that `subject` may be rated now (exists, is a service
    /// that took place, not rated yet): what the pad checks before it asks for a rating.
    public func checkRateable(_ subject: EvaluationSubject) async throws(FrontDeskError) {
        let hallState = try await hallTicketState(subject)
        try await read { tx in try Self.requireRateable(tx, subject, hallState: hallState) }
    }

    /// The rating rules of `rate` and `checkRateable`: a filing that was submitted and decided,
    /// or a ticket that was called or served, not rated before.
    /// In hall mode a ticket lives in the hall store: its state is read there first (`hallState`).
    private static func requireRateable(_ tx: StoreTransaction, _ subject: EvaluationSubject, hallState: TicketState?) throws {
        switch subject {
        case let .filing(number):
            guard let status = try tx.filings.status(number: number) else { throw WorkflowError.notFound("filing \(number)") }
            guard status != .draft, status != .submitted else { throw WorkflowError.notRateable(subject.description) }
        case let .ticket(id):
            guard let state = try hallState ?? tx.queue.ticketState(id: id) else { throw WorkflowError.notFound("ticket \(id)") }
            guard state == .called || state == .served else { throw WorkflowError.notRateable(subject.description) }
        }
        if try tx.evaluations.isRated(subject) { throw WorkflowError.alreadyRated(subject: subject.description) }
    }

    /// Whether the instance was already rated.
    public func isRated(_ subject: EvaluationSubject) async throws(FrontDeskError) -> Bool {
        try await read { tx in try tx.evaluations.isRated(subject) }
    }

    /// One rating with its rectification, if a 差评.
    public func evaluation(id: Int64) async throws(FrontDeskError) -> EvaluationRecord {
        try await read { tx in
            guard let row = try tx.evaluations.find(id: id) else { throw WorkflowError.notFound("evaluation \(id)") }
            return EvaluationRecord(id: id, subject: row.subject, level: row.level, comment: row.comment, channel: row.channel,
                                    ratedAt: row.ratedAt, rectification: try tx.evaluations.rectification(evaluationID: id))
        }
    }

    /// Moves a rectification record (staff: verified → rectifying → answered; appealed → dismissed),
    /// with its audit record and an outbox row for the platform.
    /// `staffName` is who did it (`by NAME` in the audit record, so `audit show staff:NAME` finds it).
    public func moveRectification(id: Int64, to next: RectificationStatus, by actor: FilingActor = .staff,
                                  note: String? = nil, staffName: String? = nil) async throws(FrontDeskError) -> Rectification {
        let now = clock.now()
        return try await write { [self] tx in
            guard var record = try tx.evaluations.rectification(id: id) else { throw WorkflowError.notFound("rectification \(id)") }
            let moved = try record.status.moving(to: next)
            try tx.evaluations.moveRectification(id: id, to: moved, note: note, at: now)
            let reason = [staffName.map { "by \($0)" }, note].compactMap { $0 }.joined(separator: ": ")
            try appendAudit(tx, subject: "rectification:\(id)", actor: actor, at: now, event: "move",
                            from: record.status.rawValue, to: moved.rawValue, reason: reason.isEmpty ? nil : reason)
            record.status = moved
            record.note = note ?? record.note
            guard let evaluation = try tx.evaluations.find(id: record.evaluationID) else {
                throw WorkflowError.notFound("evaluation \(record.evaluationID)")
            }
            try enqueueOutbox(tx, subject: "evaluation:\(record.evaluationID)",
                              orderKey: Self.outboxOrderKey(subjectKind: evaluation.subject.kind, subjectRef: evaluation.subject.reference),
                              message: .rectification(EvaluationMessage(
                evaluationID: record.evaluationID, subjectKind: evaluation.subject.kind, subjectRef: evaluation.subject.reference,
                level: evaluation.level.rawValue, levelName: evaluation.level.chineseName, comment: evaluation.comment,
                channel: evaluation.channel, ratedAt: evaluation.ratedAt, rectificationStatus: moved.rawValue,
                rectificationDeadline: record.deadline.description, kioskID: rules.kioskID)), at: now)
            return record
        }
    }

    /// Open rectification records, oldest first (staff alerts).
    public func openRectifications() async throws(FrontDeskError) -> [Rectification] {
        try await rectifications(includeClosed: false)
    }

    /// Rectification records (open ones, or all), oldest first, at most `limit`.
    public func rectifications(includeClosed: Bool, limit: Int = 500) async throws(FrontDeskError) -> [Rectification] {
        try await read { tx in try tx.evaluations.rectifications(includeClosed: includeClosed, limit: limit) }
    }

    /// Open rectifications past their deadline (the working days `rectificationWorkingDays` gave them).
    public func overdueRectifications() async throws(FrontDeskError) -> [Rectification] {
        let today = today()
        return try await openRectifications().filter { $0.deadline < today }
    }
}

extension FrontDesk {
    /// The longest rating comment taken (the platform's field).
    public static let maximumCommentLength = 500

    /// The outbox order key of a rating and its rectification steps: the rated filing's number (so
    /// they follow the filing upstream), or `ticket:<id>` for a queue ticket (same as migration v5).
    static func outboxOrderKey(subjectKind: String, subjectRef: String) -> String {
        subjectKind == "filing" ? subjectRef : "\(subjectKind):\(subjectRef)"
    }
}
