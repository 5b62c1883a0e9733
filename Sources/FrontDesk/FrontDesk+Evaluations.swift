import Crypto
import Foundation
import GRDB
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

/// The follow-up record of a 差评.
public struct Rectification: Sendable, Hashable {
    public var id: Int64
    public var evaluationID: Int64
    public var status: RectificationStatus
    /// The day it must be answered by (configurable working days after the rating).
    public var deadline: CivilDate
    public var note: String?
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

/// What the outbox carries for a rating or a rectification step.
struct EvaluationMessage: Encodable {
    var evaluationID: Int64
    var subjectKind: String
    var subjectRef: String
    var level: Int
    var levelName: String
    var comment: String?
    var channel: String
    var ratedAt: Date
    var rectificationStatus: String?
    var rectificationDeadline: String?
    var kioskID: String
}

extension FrontDesk {
    /// Records the one rating of a service instance (一次一评): a filing that was submitted, or a
    /// ticket that was called or served. A second rating is refused. A 差评 (1–2) opens a
    /// rectification record due in the configured working days. The rating, its audit record and
    /// its outbox row are one transaction.
    public func rate(_ subject: EvaluationSubject, level: Int, comment: String? = nil,
                     channel: String = "pad") throws(FrontDeskError) -> EvaluationRecord {
        let value: EvaluationLevel
        do { value = try EvaluationLevel.from(level) } catch { throw .workflow(error) }
        let now = clock.now()
        let today = hall.moment(now).day
        let trimmed = comment.map { String($0.prefix(500)) }
        let id: Int64 = try write { db in
            try Self.requireRateable(db, subject)
            try db.execute(sql: "INSERT INTO evaluation (subjectKind, subjectRef, level, comment, channel, ratedAt) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [subject.kind, subject.reference, value.rawValue, trimmed, channel, now])
            let id = db.lastInsertedRowID
            var deadline: CivilDate? = nil
            if value.isNegative {
                let due = deadlines.calendar.adding(workingDays: rules.rectificationWorkingDays, to: today)
                deadline = due
                try db.execute(sql: """
                    INSERT INTO rectification (evaluationId, status, deadline, openedAt, updatedAt) VALUES (?, 'pendingVerification', ?, ?, ?)
                    """, arguments: [id, due.dayNumber, now, now])
                try appendAudit(db, subject: "rectification:\(db.lastInsertedRowID)", actor: .kiosk, at: now, event: "open",
                                from: nil, to: RectificationStatus.pendingVerification.rawValue,
                                reason: "差评（\(value.chineseName)）：\(subject)")
            }
            try appendAudit(db, subject: "evaluation:\(id)", actor: .kiosk, at: now, event: "rate", from: nil,
                            to: String(value.rawValue), reason: subject.description)
            try enqueueOutbox(db, kind: "evaluation", subject: "evaluation:\(id)",
                              orderKey: Self.outboxOrderKey(subjectKind: subject.kind, subjectRef: subject.reference),
                              payload: EvaluationMessage(
                evaluationID: id, subjectKind: subject.kind, subjectRef: subject.reference, level: value.rawValue,
                levelName: value.chineseName, comment: trimmed, channel: channel, ratedAt: now,
                rectificationStatus: value.isNegative ? RectificationStatus.pendingVerification.rawValue : nil,
                rectificationDeadline: deadline?.description, kioskID: rules.kioskID), at: now)
            return id
        }
        return try evaluation(id: id)
    }

    /// The rating code (评价码) of a service instance: 12 digits, an HMAC of the instance with the
    /// kiosk's secret, printed on its slip and shown on its progress page. Holding it is what lets
    /// somebody rate the service later; a filing number or ticket, which are sequential, never does.
    public func ratingCode(for subject: EvaluationSubject) throws(FrontDeskError) -> String {
        try read { db in try ratingCode(db, for: subject) }
    }

    /// `ratingCode(for:)` in the caller's transaction.
    func ratingCode(_ db: Database, for subject: EvaluationSubject) throws -> String {
        let key = try kioskSecret(db)
        let mac = HMAC<SHA256>.authenticationCode(for: Data("rating:\(subject.kind):\(subject.reference)".utf8), using: key)
        // 64 bits of the MAC reduced to 12 decimal digits (the bias of the reduction is negligible).
        let value = mac.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let digits = String(value % 1_000_000_000_000)
        return String(repeating: "0", count: 12 - digits.count) + digits
    }

    /// Whether `code` is `subject`'s rating code (spaces ignored; compared in constant time).
    public func isRatingCode(_ code: String, for subject: EvaluationSubject) throws(FrontDeskError) -> Bool {
        let given = Array(code.filter { !$0.isWhitespace }.utf8)
        let expected = Array(try ratingCode(for: subject).utf8)
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Records that the pad asked for `subject`'s rating and none came (未评价: the prompt timed
    /// out, was withdrawn, or the pad went away): an audit record on the instance, no evaluation
    /// row and no level, so the instance can still be rated once (e.g. on the screen). Returns
    /// false, recording nothing, when the instance was rated meanwhile.
    @discardableResult
    public func recordUnrated(_ subject: EvaluationSubject, reason: String) throws(FrontDeskError) -> Bool {
        let now = clock.now()
        return try write { db in
            if try Self.isRated(db, subject) { return false }
            try appendAudit(db, subject: subject.auditSubject, actor: .kiosk, at: now, event: "unrated", from: nil, to: "未评价", reason: reason)
            return true
        }
    }

    /// Checks, without recording anything, that `subject` may be rated now (exists, is a service
    /// that took place, not rated yet): what the pad checks before it asks for a rating.
    public func checkRateable(_ subject: EvaluationSubject) throws(FrontDeskError) {
        try read { db in try Self.requireRateable(db, subject) }
    }

    /// The rating rules of `rate` and `checkRateable`: a filing that was submitted and decided,
    /// or a ticket that was called or served, not rated before.
    private static func requireRateable(_ db: Database, _ subject: EvaluationSubject) throws {
        switch subject {
        case let .filing(number):
            guard let status = try String.fetchOne(db, sql: "SELECT status FROM filing WHERE number = ?", arguments: [number])
                .flatMap(FilingStatus.init) else { throw WorkflowError.notFound("filing \(number)") }
            guard status != .draft, status != .submitted else { throw WorkflowError.notRateable(subject.description) }
        case let .ticket(id):
            guard let state = try String.fetchOne(db, sql: "SELECT state FROM queueTicket WHERE id = ?", arguments: [id])
                .flatMap(TicketState.init(rawValue:)) else { throw WorkflowError.notFound("ticket \(id)") }
            guard state == .called || state == .served else { throw WorkflowError.notRateable(subject.description) }
        }
        if try isRated(db, subject) { throw WorkflowError.alreadyRated(subject: subject.description) }
    }

    /// Whether the instance has its rating, in the caller's transaction.
    private static func isRated(_ db: Database, _ subject: EvaluationSubject) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM evaluation WHERE subjectKind = ? AND subjectRef = ?",
                          arguments: [subject.kind, subject.reference]) == true
    }

    /// Whether the instance was already rated.
    public func isRated(_ subject: EvaluationSubject) throws(FrontDeskError) -> Bool {
        try read { db in try Self.isRated(db, subject) }
    }

    public func evaluation(id: Int64) throws(FrontDeskError) -> EvaluationRecord {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM evaluation WHERE id = ?", arguments: [id]) else {
                throw WorkflowError.notFound("evaluation \(id)")
            }
            let kind: String = row["subjectKind"]
            let ref: String = row["subjectRef"]
            let subject: EvaluationSubject = kind == "ticket" ? .ticket(Int64(ref) ?? 0) : .filing(ref)
            let rectification = try Row.fetchOne(db, sql: "SELECT * FROM rectification WHERE evaluationId = ?", arguments: [id])
                .map(Rectification.init(row:))
            return EvaluationRecord(id: id, subject: subject, level: EvaluationLevel(rawValue: row["level"]) ?? .basicallySatisfied,
                                    comment: row["comment"], channel: row["channel"], ratedAt: row["ratedAt"],
                                    rectification: rectification)
        }
    }

    /// Moves a rectification record (staff: verified → rectifying → answered; appealed → dismissed),
    /// with its audit record and an outbox row for the platform.
    /// `staffName` is who did it (`by NAME` in the audit record, so `audit show staff:NAME` finds it).
    public func moveRectification(id: Int64, to next: RectificationStatus, by actor: FilingActor = .staff,
                                  note: String? = nil, staffName: String? = nil) throws(FrontDeskError) -> Rectification {
        let now = clock.now()
        return try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM rectification WHERE id = ?", arguments: [id]) else {
                throw WorkflowError.notFound("rectification \(id)")
            }
            var record = Rectification(row: row)
            let moved = try record.status.moving(to: next)
            try db.execute(sql: "UPDATE rectification SET status = ?, note = COALESCE(?, note), updatedAt = ? WHERE id = ?",
                           arguments: [moved.rawValue, note, now, id])
            let reason = [staffName.map { "by \($0)" }, note].compactMap { $0 }.joined(separator: ": ")
            try appendAudit(db, subject: "rectification:\(id)", actor: actor, at: now, event: "move",
                            from: record.status.rawValue, to: moved.rawValue, reason: reason.isEmpty ? nil : reason)
            record.status = moved
            record.note = note ?? record.note
            let evaluation = try Row.fetchOne(db, sql: "SELECT * FROM evaluation WHERE id = ?", arguments: [record.evaluationID])!
            let level = EvaluationLevel(rawValue: evaluation["level"]) ?? .veryDissatisfied
            try enqueueOutbox(db, kind: "rectification", subject: "evaluation:\(record.evaluationID)",
                              orderKey: Self.outboxOrderKey(subjectKind: evaluation["subjectKind"], subjectRef: evaluation["subjectRef"]),
                              payload: EvaluationMessage(
                evaluationID: record.evaluationID, subjectKind: evaluation["subjectKind"], subjectRef: evaluation["subjectRef"],
                level: level.rawValue, levelName: level.chineseName, comment: evaluation["comment"], channel: evaluation["channel"],
                ratedAt: evaluation["ratedAt"], rectificationStatus: moved.rawValue, rectificationDeadline: record.deadline.description,
                kioskID: rules.kioskID), at: now)
            return record
        }
    }

    /// Open rectification records, oldest first (staff alerts).
    public func openRectifications() throws(FrontDeskError) -> [Rectification] {
        try rectifications(includeClosed: false)
    }

    /// Rectification records (open ones, or all), oldest first, at most `limit`.
    public func rectifications(includeClosed: Bool, limit: Int = 500) throws(FrontDeskError) -> [Rectification] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM rectification \(includeClosed ? "" : "WHERE status NOT IN ('answered', 'dismissed')") ORDER BY id LIMIT ?
                """, arguments: [limit]).map(Rectification.init(row:))
        }
    }

    /// Open rectifications past their deadline (the working days `rectificationWorkingDays` gave them).
    public func overdueRectifications() throws(FrontDeskError) -> [Rectification] {
        let today = today()
        return try openRectifications().filter { $0.deadline < today }
    }
}

extension FrontDesk {
    /// The outbox order key of a rating and its rectification steps: the rated filing's number (so
    /// they follow the filing upstream), or `ticket:<id>` for a queue ticket (same as migration v5).
    static func outboxOrderKey(subjectKind: String, subjectRef: String) -> String {
        subjectKind == "filing" ? subjectRef : "\(subjectKind):\(subjectRef)"
    }
}

extension Rectification {
    init(row: Row) {
        self.init(id: row["id"], evaluationID: row["evaluationId"],
                  status: RectificationStatus(rawValue: row["status"]) ?? .pendingVerification,
                  deadline: CivilDate(dayNumber: row["deadline"]), note: row["note"])
    }
}
