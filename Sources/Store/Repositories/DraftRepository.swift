import Foundation
import GRDB
import Workflow

/// Where a draft (an application in progress) is.
public enum DraftState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Being filled in a session.
    case open
    /// Submitted: its filings exist.
    case submitted
    /// Given up (session ended, timed out, crashed): its applicant and pages are wiped.
    case abandoned
}

/// A draft row as stored (the applicant still JSON: the desk decodes it).
public struct DraftRow: Sendable, Hashable {
    public var id: String
    public var subject: FilingSubject
    public var sessionID: String?
    /// HMAC of the applicant's ID number with the kiosk secret ('' once wiped).
    public var applicantKey: String
    /// The applicant as JSON (`{}` once wiped, masked once minimised).
    public var applicantJSON: String
    public var state: DraftState
    public var createdAt: Date
    public var mailTo: String?
    /// For a supplement (补交): the number of the filing it completes.
    public var supplementFor: String?
    /// 帮办代办: the agent who files for the applicant (JSON), nil for a filing of one's own.
    public var agentJSON: String?
    /// 一表申请: the answers saved so far (JSON object key → value), nil when none.
    public var formAnswersJSON: String?
}

/// Drafts, their captured pages (by SHA-256) and the materials held per applicant.
public struct DraftRepository {
    let db: Database

    /// Records a new open draft.
    public func insert(id: String, subject: FilingSubject, sessionID: String?, applicantKey: String, applicantJSON: String,
                       supplementFor: String? = nil, agentJSON: String? = nil, at date: Date) throws {
        try db.cachedStatement(sql: """
            INSERT INTO draft (id, subjectKind, subjectCode, sessionId, applicantKey, applicant, state, createdAt, supplementFor, agent)
            VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)
            """).execute(arguments: [id, subject.storageKind, subject.code, sessionID, applicantKey, applicantJSON, date.stored, supplementFor, agentJSON])
    }

    /// The draft with this id.
    public func find(id: String) throws -> DraftRow? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM draft WHERE id = ?"), arguments: [id]).map(DraftRow.init(row:))
    }

    /// The draft's pages by material code, each list in capture order.
    public func pages(draftID: String) throws -> [String: [String]] {
        var pages: [String: [String]] = [:]
        for page in try Row.fetchAll(db.cachedStatement(sql: "SELECT materialCode, sha256 FROM draftPage WHERE draftId = ? ORDER BY id"), arguments: [draftID]) {
            pages[page["materialCode"], default: []].append(page["sha256"])
        }
        return pages
    }

    /// Adds a page to a material; returns the material's page count.
    public func addPage(draftID: String, materialCode: String, sha256: String, byteCount: Int, at date: Date) throws -> Int {
        try db.cachedStatement(sql: "INSERT INTO draftPage (draftId, materialCode, sha256, byteCount, addedAt) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [draftID, materialCode, sha256, byteCount, date.stored])
        return try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM draftPage WHERE draftId = ? AND materialCode = ?"),
                                arguments: [draftID, materialCode]) ?? 0
    }

    /// Removes the newest page with this SHA-256 from a material; whether one was removed.
    public func removePage(draftID: String, materialCode: String, sha256: String) throws -> Bool {
        try db.execute(sql: """
            DELETE FROM draftPage WHERE id = (SELECT id FROM draftPage WHERE draftId = ? AND materialCode = ? AND sha256 = ?
            ORDER BY id DESC LIMIT 1)
            """, arguments: [draftID, materialCode, sha256])
        return db.changesCount > 0
    }

    /// Bytes of the pages a draft holds.
    public func pageBytes(draftID: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(byteCount), 0) FROM draftPage WHERE draftId = ?", arguments: [draftID]) ?? 0
    }

    /// Whether any draft refers to a page with this SHA-256.
    public func isPageReferenced(sha256: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM draftPage WHERE sha256 = ?)", arguments: [sha256]) ?? false
    }

    /// Open drafts: the one with `id`, or those of a session.
    public func openIDs(draftID: String? = nil, sessionID: String? = nil) throws -> [String] {
        if let draftID {
            return try String.fetchAll(db, sql: "SELECT id FROM draft WHERE id = ? AND state = 'open'", arguments: [draftID])
        }
        if let sessionID {
            return try String.fetchAll(db, sql: "SELECT id FROM draft WHERE sessionId = ? AND state = 'open'", arguments: [sessionID])
        }
        return []
    }

    /// Open drafts created before `date`, with their session.
    public func openDrafts(createdBefore date: Date) throws -> [(id: String, sessionID: String?)] {
        try Row.fetchAll(db, sql: "SELECT id, sessionId FROM draft WHERE state = 'open' AND createdAt < ?", arguments: [date])
            .map { ($0["id"], $0["sessionId"]) }
    }

    /// Open drafts.
    public func openCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM draft WHERE state = 'open'") ?? 0
    }

    /// Abandons a draft: deletes its page references and wipes its applicant. Returns the pages it had.
    public func abandon(id: String) throws -> [String] {
        let pages = try String.fetchAll(db, sql: "SELECT sha256 FROM draftPage WHERE draftId = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM draftPage WHERE draftId = ?", arguments: [id])
        try db.execute(sql: "UPDATE draft SET state = 'abandoned', applicant = '{}', applicantKey = '', agent = NULL, formAnswers = NULL WHERE id = ?",
                       arguments: [id])
        return pages
    }

    /// Of these page SHA-256s, those some draft still refers to.
    public func referencedPages(among hashes: [String]) throws -> Set<String> {
        guard !hashes.isEmpty else { return [] }
        return Set(try String.fetchAll(db, sql: "SELECT DISTINCT sha256 FROM draftPage WHERE sha256 IN (\(hashes.sqlPlaceholders))",
                                       arguments: StatementArguments(hashes)))
    }

    /// Replaces an open draft's form answers (JSON); whether the draft was open.
    public func setFormAnswers(id: String, json: String) throws -> Bool {
        try db.execute(sql: "UPDATE draft SET formAnswers = ? WHERE id = ? AND state = 'open'", arguments: [json, id])
        return db.changesCount > 0
    }

    /// Marks a draft submitted, with the commitment and the mailing address (JSON of its parts).
    public func markSubmitted(id: String, commitmentSigned: Bool, mailTo: String?, at date: Date) throws {
        try db.cachedStatement(sql: "UPDATE draft SET state = 'submitted', commitmentSigned = ?, mailTo = ?, submittedAt = ? WHERE id = ?")
            .execute(arguments: [commitmentSigned, mailTo, date.stored, id])
    }

    /// Whether the draft asked for its result to be mailed.
    public func isMailed(id: String) throws -> Bool {
        try String.fetchOne(db, sql: "SELECT mailTo FROM draft WHERE id = ?", arguments: [id]) != nil
    }

    // MARK: materials held per applicant

    /// The materials an applicant supplied with an earlier filing: material code → filing number.
    public func heldMaterials(applicantKey: String) throws -> [String: String] {
        var held: [String: String] = [:]
        for h in try Row.fetchAll(db.cachedStatement(sql: "SELECT materialCode, filingNumber FROM heldMaterial WHERE applicantKey = ?"), arguments: [applicantKey]) {
            held[h["materialCode"]] = h["filingNumber"]
        }
        return held
    }

    /// Records that the applicant supplied `materialCode` with `filingNumber` (replacing an older one).
    public func hold(applicantKey: String, materialCode: String, filingNumber: String, at date: Date) throws {
        try db.cachedStatement(sql: """
            INSERT INTO heldMaterial (applicantKey, materialCode, filingNumber, heldAt) VALUES (?, ?, ?, ?)
            ON CONFLICT (applicantKey, materialCode) DO UPDATE SET filingNumber = excluded.filingNumber, heldAt = excluded.heldAt
            """).execute(arguments: [applicantKey, materialCode, filingNumber, date.stored])
    }

    // MARK: retention

    /// Submitted, not yet minimised drafts whose every filing row and page row was delivered before `cutoff`
    /// (a supplement's: its supplement row and its pages).
    public func confirmedForMinimising(before cutoff: Date, limit: Int) throws -> [String] {
        try String.fetchAll(db, sql: """
            SELECT id FROM (
            SELECT d.id, d.submittedAt FROM draft d
            WHERE d.state = 'submitted' AND d.minimisedAt IS NULL
              AND EXISTS (SELECT 1 FROM filing f WHERE f.draftId = d.id)
              AND NOT EXISTS (
                SELECT 1 FROM filing f
                WHERE f.draftId = d.id AND NOT EXISTS (
                  SELECT 1 FROM outbox o WHERE o.kind = 'filing' AND o.subject = f.number
                    AND o.state = 'delivered' AND o.deliveredAt <= ?))
              AND NOT EXISTS (
                SELECT 1 FROM filing f JOIN outbox o ON o.orderKey = f.number AND o.kind = 'page'
                WHERE f.draftId = d.id AND (o.state <> 'delivered' OR o.deliveredAt > ?))
            UNION ALL
            -- A supplement (补交) once its message and every one of its pages were delivered before the cutoff.
            SELECT d.id, d.submittedAt FROM draft d
            WHERE d.state = 'submitted' AND d.minimisedAt IS NULL AND d.supplementFor IS NOT NULL
              AND EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'supplement' AND o.subject = 'supplement:' || d.id
                            AND o.state = 'delivered' AND o.deliveredAt <= ?)
              AND NOT EXISTS (
                SELECT 1 FROM draftPage p JOIN outbox o ON o.subject = p.sha256 AND o.kind = 'page' AND o.orderKey = d.supplementFor
                WHERE p.draftId = d.id AND (o.state <> 'delivered' OR o.deliveredAt > ?))
            ) ORDER BY submittedAt LIMIT ?
            """, arguments: [cutoff, cutoff, cutoff, cutoff, limit])
    }

    /// Minimises a confirmed draft: its applicant replaced by `maskedApplicantJSON`, no mailing
    /// address, its delivered filing payloads emptied. Returns the page hashes no longer needed by
    /// any draft that still keeps its pages.
    public func minimise(id: String, maskedApplicantJSON: String, at date: Date) throws -> [String] {
        try db.execute(sql: "UPDATE draft SET applicant = ?, mailTo = NULL, agent = NULL, formAnswers = NULL, minimisedAt = ? WHERE id = ?",
                       arguments: [maskedApplicantJSON, date, id])
        try db.execute(sql: """
            UPDATE outbox SET payload = '{"minimised":true}'
            WHERE kind = 'filing' AND state = 'delivered' AND subject IN (SELECT number FROM filing WHERE draftId = ?)
            """, arguments: [id])
        return try String.fetchAll(db, sql: """
            SELECT DISTINCT p.sha256 FROM draftPage p
            WHERE p.draftId = ? AND NOT EXISTS (
              SELECT 1 FROM draftPage q JOIN draft o ON o.id = q.draftId
              WHERE q.sha256 = p.sha256 AND o.minimisedAt IS NULL AND o.state IN ('open', 'submitted'))
            """, arguments: [id])
    }
}

extension DraftRow {
    init(row: Row) {
        let code: String = row["subjectCode"]
        self.init(id: row["id"], subject: (row["subjectKind"] as String) == "bundle" ? .bundle(code) : .item(code),
                  sessionID: row["sessionId"], applicantKey: row["applicantKey"], applicantJSON: row["applicant"],
                  state: DraftState(rawValue: row["state"]) ?? .abandoned, createdAt: row["createdAt"], mailTo: row["mailTo"],
                  supplementFor: row["supplementFor"], agentJSON: row["agent"], formAnswersJSON: row["formAnswers"])
    }
}

extension FilingSubject {
    /// `item` or `bundle`, as the draft table stores it.
    var storageKind: String {
        switch self {
        case .item: "item"
        case .bundle: "bundle"
        }
    }
}
