import Foundation
import GRDB
import Workflow

/// A rating row as stored.
public struct EvaluationRow: Sendable, Hashable {
    public var id: Int64
    public var subject: EvaluationSubject
    public var level: EvaluationLevel
    public var comment: String?
    public var channel: String
    public var ratedAt: Date
}

/// The follow-up record of a 差评.
public struct Rectification: Sendable, Hashable {
    public var id: Int64
    public var evaluationID: Int64
    public var status: RectificationStatus
    /// The day it must be answered by (configurable working days after the rating).
    public var deadline: CivilDate
    public var note: String?

    public init(id: Int64, evaluationID: Int64, status: RectificationStatus, deadline: CivilDate, note: String?) {
        self.id = id; self.evaluationID = evaluationID; self.status = status; self.deadline = deadline; self.note = note
    }
}

/// One rating as the statistics read it: when, how, and which item or queue category it rated.
public struct RatingFact: Sendable, Hashable {
    public var level: Int
    public var ratedAt: Date
    /// The rated filing's item code, or nil.
    public var itemCode: String?
    /// The rated ticket's queue category, or nil.
    public var queueCategory: String?
}

/// Ratings (好差评, one per service instance) and the rectification of each 差评.
public struct EvaluationRepository {
    let db: Database

    /// Records a rating; returns its id.
    public func insert(subject: EvaluationSubject, level: EvaluationLevel, comment: String?, channel: String, at date: Date) throws -> Int64 {
        try db.execute(sql: "INSERT INTO evaluation (subjectKind, subjectRef, level, comment, channel, ratedAt) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [subject.kind, subject.reference, level.rawValue, comment, channel, date])
        return db.lastInsertedRowID
    }

    /// Whether the instance has its rating.
    public func isRated(_ subject: EvaluationSubject) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM evaluation WHERE subjectKind = ? AND subjectRef = ?",
                          arguments: [subject.kind, subject.reference]) == true
    }

    public func find(id: Int64) throws -> EvaluationRow? {
        try Row.fetchOne(db, sql: "SELECT * FROM evaluation WHERE id = ?", arguments: [id]).map { row in
            let kind: String = row["subjectKind"]
            let ref: String = row["subjectRef"]
            return EvaluationRow(id: id, subject: kind == "ticket" ? .ticket(Int64(ref) ?? 0) : .filing(ref),
                                 level: EvaluationLevel(rawValue: row["level"]) ?? .basicallySatisfied,
                                 comment: row["comment"], channel: row["channel"], ratedAt: row["ratedAt"])
        }
    }

    /// Opens the rectification of a 差评; returns its id.
    public func openRectification(evaluationID: Int64, deadline: CivilDate, at date: Date) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO rectification (evaluationId, status, deadline, openedAt, updatedAt) VALUES (?, 'pendingVerification', ?, ?, ?)
            """, arguments: [evaluationID, deadline.dayNumber, date, date])
        return db.lastInsertedRowID
    }

    public func rectification(id: Int64) throws -> Rectification? {
        try Row.fetchOne(db, sql: "SELECT * FROM rectification WHERE id = ?", arguments: [id]).map(Rectification.init(row:))
    }

    public func rectification(evaluationID: Int64) throws -> Rectification? {
        try Row.fetchOne(db, sql: "SELECT * FROM rectification WHERE evaluationId = ?", arguments: [evaluationID]).map(Rectification.init(row:))
    }

    /// Moves a rectification (the note kept unless a new one is given).
    public func moveRectification(id: Int64, to status: RectificationStatus, note: String?, at date: Date) throws {
        try db.execute(sql: "UPDATE rectification SET status = ?, note = COALESCE(?, note), updatedAt = ? WHERE id = ?",
                       arguments: [status.rawValue, note, date, id])
    }

    /// Rectifications (open ones, or all), oldest first, at most `limit`.
    public func rectifications(includeClosed: Bool, limit: Int) throws -> [Rectification] {
        let closed = RectificationStatus.allCases.filter(\.isClosed).map { "'\($0.rawValue)'" }.joined(separator: ",")
        return try Row.fetchAll(db, sql: """
            SELECT * FROM rectification \(includeClosed ? "" : "WHERE status NOT IN (\(closed))") ORDER BY id LIMIT ?
            """, arguments: [limit]).map(Rectification.init(row:))
    }

    /// The ratings given in `range`, with the item or queue category each rated.
    public func ratingFacts(ratedIn range: Range<Date>?) throws -> [RatingFact] {
        try Row.fetchAll(db, sql: """
            SELECT e.level, e.ratedAt, f.itemCode, t.category
            FROM evaluation e
            LEFT JOIN filing f ON e.subjectKind = 'filing' AND f.number = e.subjectRef
            LEFT JOIN queueTicket t ON e.subjectKind = 'ticket' AND CAST(t.id AS TEXT) = e.subjectRef
            WHERE e.ratedAt >= ? AND e.ratedAt < ?
            """, arguments: [range?.lowerBound ?? Date.distantPast, range?.upperBound ?? Date.distantFuture]).map {
            RatingFact(level: $0["level"], ratedAt: $0["ratedAt"], itemCode: $0["itemCode"], queueCategory: $0["category"])
        }
    }
}

extension Rectification {
    init(row: Row) {
        self.init(id: row["id"], evaluationID: row["evaluationId"],
                  status: RectificationStatus(rawValue: row["status"]) ?? .pendingVerification,
                  deadline: CivilDate(dayNumber: row["deadline"]), note: row["note"])
    }
}
