import Foundation
import GRDB
import Workflow

/// A filing as the front desk and staff see it.
public struct FilingRecord: Sendable, Hashable {
    public var id: Int64
    public var draftID: String
    public var itemCode: String
    public var bundleCode: String?
    public var number: String?
    public var status: FilingStatus
    public var progressToken: String
    public var caseType: CaseType
    public var receivedDay: CivilDate?
    public var promisedDeadline: CivilDate?
    public var concludedDay: CivilDate?
    public var light: SupervisionLight?
    public var worstLight: SupervisionLight?
    public var deferred: [DeferredMaterial]

    public init(id: Int64, draftID: String, itemCode: String, bundleCode: String?, number: String?, status: FilingStatus,
                progressToken: String, caseType: CaseType, receivedDay: CivilDate?, promisedDeadline: CivilDate?,
                concludedDay: CivilDate?, light: SupervisionLight?, worstLight: SupervisionLight?, deferred: [DeferredMaterial]) {
        self.id = id; self.draftID = draftID; self.itemCode = itemCode; self.bundleCode = bundleCode; self.number = number
        self.status = status; self.progressToken = progressToken; self.caseType = caseType; self.receivedDay = receivedDay
        self.promisedDeadline = promisedDeadline; self.concludedDay = concludedDay; self.light = light
        self.worstLight = worstLight; self.deferred = deferred
    }
}

/// Where a concluded filing's result is, as the platform reported it (JSON objects).
public struct FilingResultNotes: Sendable, Hashable {
    public var collection: String?
    public var mailing: String?
}

/// An open promised filing, as the supervision sweep reads it.
public struct SupervisedFilingRow: Sendable, Hashable {
    public var id: Int64
    public var number: String
    public var deadline: CivilDate
    public var light: SupervisionLight?
    public var worstLight: SupervisionLight?
    public var itemCode: String
}

/// A filing the platform's progress is asked for.
public struct FollowedFiling: Sendable, Hashable {
    public var number: String
    public var status: String
    public var platformStatus: String?
}

/// Numbered filings, their deferred materials, supervision lights and notices.
public struct FilingRepository {
    let db: Database

    /// The open statuses a promised filing is supervised in.
    static let supervisedStatuses = "'accepted','conditionallyAccepted','correctionNotified','inProgress'"

    /// Records a new filing; returns its id.
    public func insert(draftID: String, itemCode: String, bundleCode: String?, number: String, status: FilingStatus,
                       progressToken: String, caseType: CaseType, receivedDay: CivilDate, promisedDeadline: CivilDate?,
                       light: SupervisionLight?, deferred: [DeferredMaterial], at date: Date) throws -> Int64 {
        let at = date.stored
        try db.cachedStatement(sql: """
            INSERT INTO filing (draftId, itemCode, bundleCode, number, status, progressToken, caseType, receivedDay,
                                promisedDeadline, light, worstLight, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [draftID, itemCode, bundleCode, number, status.description, progressToken, caseType.rawValue,
                                     receivedDay.dayNumber, promisedDeadline?.dayNumber, light?.rawValue, light?.rawValue, at, at])
        let id = db.lastInsertedRowID
        for m in deferred {
            try db.cachedStatement(sql: """
                INSERT INTO deferredMaterial (filingId, materialCode, name, howToSupply, deadline, consequence) VALUES (?, ?, ?, ?, ?, ?)
                """).execute(arguments: [id, m.code, m.name, m.howToSupply, m.deadline.dayNumber, m.consequence?.rawValue])
        }
        return id
    }

    /// The filing with this number.
    public func find(number: String) throws -> FilingRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM filing WHERE number = ?", arguments: [number]).map { try FilingRecord(db, row: $0) }
    }

    /// The filing with this progress token.
    public func find(progressToken: String) throws -> FilingRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM filing WHERE progressToken = ?", arguments: [progressToken]).map { try FilingRecord(db, row: $0) }
    }

    /// The filings of a draft, in filing order.
    public func filings(draftID: String) throws -> [FilingRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM filing WHERE draftId = ? ORDER BY id", arguments: [draftID]).map { try FilingRecord(db, row: $0) }
    }

    /// Numbered filings, newest first, optionally of one status.
    public func recent(status: FilingStatus?, limit: Int) throws -> [FilingRecord] {
        let rows = if let status {
            try Row.fetchAll(db, sql: "SELECT * FROM filing WHERE number IS NOT NULL AND status = ? ORDER BY id DESC LIMIT ?",
                             arguments: [status.description, limit])
        } else {
            try Row.fetchAll(db, sql: "SELECT * FROM filing WHERE number IS NOT NULL ORDER BY id DESC LIMIT ?", arguments: [limit])
        }
        return try rows.map { try FilingRecord(db, row: $0) }
    }

    /// The filing's status, by number.
    public func status(number: String) throws -> FilingStatus? {
        try String.fetchOne(db, sql: "SELECT status FROM filing WHERE number = ?", arguments: [number]).flatMap(FilingStatus.init)
    }

    /// Changes a filing's status: the day it concluded is kept once set, and the light goes out when it closes.
    public func setStatus(id: Int64, _ status: FilingStatus, concludedDay: CivilDate?, at date: Date) throws {
        try db.execute(sql: """
            UPDATE filing SET status = ?, updatedAt = ?, concludedDay = COALESCE(?, concludedDay),
                light = CASE WHEN ? THEN light ELSE NULL END
            WHERE id = ?
            """, arguments: [status.description, date, concludedDay?.dayNumber, status.isOpen, id])
    }

    /// When the newest filing was made (nil before the first): the fleet view's "last filing".
    public func lastFiledAt() throws -> Date? {
        try Date.fetchOne(db, sql: "SELECT createdAt FROM filing ORDER BY id DESC LIMIT 1")
    }

    /// Filings by status (English status names).
    public func countsByStatus() throws -> [String: Int] {
        var byStatus: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM filing GROUP BY status") {
            byStatus[row["status"]] = row["n"]
        }
        return byStatus
    }

    /// Where the platform said the result is collected, or the waybill it was mailed with.
    public func resultNotes(id: Int64) throws -> FilingResultNotes {
        let row = try Row.fetchOne(db, sql: "SELECT collection, mailing FROM filing WHERE id = ?", arguments: [id])
        return FilingResultNotes(collection: row?["collection"], mailing: row?["mailing"])
    }

    /// Keeps where the result is collected (JSON), or its waybill (JSON), when the platform says so.
    public func recordResult(number: String, collection: String?, mailing: String?) throws {
        try db.execute(sql: "UPDATE filing SET collection = COALESCE(?, collection), mailing = COALESCE(?, mailing) WHERE number = ?",
                       arguments: [collection, mailing, number])
    }

    /// Records that the platform was asked about the filing, and what it said.
    public func recordPlatformCheck(number: String, platformStatus: String?, at date: Date) throws {
        try db.execute(sql: "UPDATE filing SET platformCheckedAt = ?, platformStatus = ? WHERE number = ?",
                       arguments: [date, platformStatus, number])
    }

    /// Followed filings (`statuses`) the platform has received (their filing row delivered) whose turn
    /// has come by the intervals given: never asked first, then the longest unasked.
    public func dueForProgressCheck(statuses: [String], now: Date, freshInterval: TimeInterval, recentInterval: TimeInterval,
                                    oldInterval: TimeInterval, limit: Int) throws -> [FollowedFiling] {
        try Row.fetchAll(db, sql: """
            SELECT f.number, f.status, f.platformStatus FROM filing f
            WHERE f.status IN (\(statuses.sqlPlaceholders)) AND f.number IS NOT NULL
              AND EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'filing' AND o.subject = f.number AND o.state = 'delivered')
              AND (f.platformCheckedAt IS NULL OR f.platformCheckedAt <= CASE
                    WHEN f.createdAt > ? THEN ?
                    WHEN f.createdAt > ? THEN ?
                    ELSE ? END)
            ORDER BY f.platformCheckedAt IS NOT NULL, f.platformCheckedAt, f.id
            LIMIT ?
            """, arguments: StatementArguments(statuses) + [now.addingTimeInterval(-86_400), now.addingTimeInterval(-freshInterval),
                                                             now.addingTimeInterval(-7 * 86_400), now.addingTimeInterval(-recentInterval),
                                                             now.addingTimeInterval(-oldInterval), limit])
            .map { FollowedFiling(number: $0["number"], status: $0["status"], platformStatus: $0["platformStatus"]) }
    }

    // MARK: supervision

    /// The earliest promised deadline of an open promised filing.
    public func earliestOpenDeadline() throws -> CivilDate? {
        try Int.fetchOne(db, sql: """
            SELECT MIN(promisedDeadline) FROM filing WHERE promisedDeadline IS NOT NULL AND status IN (\(Self.supervisedStatuses))
            """).map(CivilDate.init(dayNumber:))
    }

    /// Every open promised filing (read in full before any is updated).
    public func openSupervised() throws -> [SupervisedFilingRow] {
        var rows: [SupervisedFilingRow] = []
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT id, number, promisedDeadline, light, worstLight, itemCode FROM filing
            WHERE promisedDeadline IS NOT NULL AND status IN (\(Self.supervisedStatuses))
            """)
        while let row = try cursor.next() {
            rows.append(SupervisedFilingRow(id: row[0], number: row[1], deadline: CivilDate(dayNumber: row[2]),
                                            light: (row[3] as String?).flatMap(SupervisionLight.init(rawValue:)),
                                            worstLight: (row[4] as String?).flatMap(SupervisionLight.init(rawValue:)), itemCode: row[5]))
        }
        return rows
    }

    /// Stores a filing's light and the worst it ever had.
    public func setLight(id: Int64, _ light: SupervisionLight, worst: SupervisionLight) throws {
        try db.cachedStatement(sql: "UPDATE filing SET light = ?, worstLight = ? WHERE id = ?").execute(arguments: [light.rawValue, worst.rawValue, id])
    }

    /// Records a filing's supervision notice unless it has one; whether it was recorded now.
    public func recordSupervisionNotice(filingID: Int64, number: String, deadline: CivilDate, overdueWorkingDays: Int,
                                        at date: Date) throws -> Bool {
        try db.cachedStatement(sql: """
            INSERT INTO supervisionNotice (filingId, filingNumber, promisedDeadline, overdueWorkingDays, issuedAt)
            VALUES (?, ?, ?, ?, ?) ON CONFLICT (filingId) DO NOTHING
            """).execute(arguments: [filingID, number, deadline.dayNumber, overdueWorkingDays, date])
        return db.changesCount > 0
    }

    /// The supervision notices recorded so far, newest first.
    public func supervisionNotices(limit: Int) throws -> [(number: String, deadline: CivilDate, overdueWorkingDays: Int, issuedAt: Date)] {
        try Row.fetchAll(db, sql: "SELECT * FROM supervisionNotice ORDER BY id DESC LIMIT ?", arguments: [limit]).map {
            ($0["filingNumber"], CivilDate(dayNumber: $0["promisedDeadline"]), $0["overdueWorkingDays"], $0["issuedAt"])
        }
    }

    /// The facts supervision statistics are computed from, per numbered filing.
    public func supervisionFacts() throws -> [SupervisedFiling] {
        try Row.fetchAll(db, sql: """
            SELECT itemCode, status, receivedDay, promisedDeadline, concludedDay, worstLight FROM filing
            WHERE number IS NOT NULL AND receivedDay IS NOT NULL
            """).map { row in
            let status = FilingStatus(row["status"] as String) ?? .submitted
            return SupervisedFiling(
                itemCode: row["itemCode"], receivedDay: CivilDate(dayNumber: row["receivedDay"]),
                promisedDeadline: (row["promisedDeadline"] as Int?).map(CivilDate.init(dayNumber:)),
                concludedDay: (row["concludedDay"] as Int?).map(CivilDate.init(dayNumber:)),
                closedWithoutConclusion: status == .rejected || status == .withdrawn,
                worstLight: (row["worstLight"] as String?).flatMap(SupervisionLight.init(rawValue:)) ?? .green)
        }
    }
}

/// A still-owed deferred material of an open filing, as the supervision sweep and the staff alerts read it.
public struct OwedDeferralRow: Sendable, Hashable {
    public var filingID: Int64
    public var number: String
    public var itemCode: String
    public var status: FilingStatus
    public var materialCode: String
    public var materialName: String
    public var deadline: CivilDate
    public var consequence: DeferralConsequence?
}

extension FilingRepository {
    // MARK: deferred materials (补交)

    /// Open filings of an applicant (by applicant key) that still owe a deferred material, oldest first.
    public func owing(applicantKey: String) throws -> [FilingRecord] {
        try Row.fetchAll(db, sql: """
            SELECT f.* FROM filing f JOIN draft d ON d.id = f.draftId
            WHERE d.applicantKey = ? AND d.supplementFor IS NULL AND f.number IS NOT NULL
              AND EXISTS (SELECT 1 FROM deferredMaterial m WHERE m.filingId = f.id AND m.suppliedAt IS NULL AND m.lapsedAt IS NULL)
            ORDER BY f.id
            """, arguments: [applicantKey]).map { try FilingRecord(db, row: $0) }
    }

    /// The applicant key and applicant (JSON, masked once minimised) the filing was made for.
    public func applicant(number: String) throws -> (key: String, json: String)? {
        try Row.fetchOne(db, sql: """
            SELECT d.applicantKey, d.applicant FROM filing f JOIN draft d ON d.id = f.draftId WHERE f.number = ?
            """, arguments: [number]).map { ($0["applicantKey"], $0["applicant"]) }
    }

    /// Records that these deferred materials of a filing were handed in; how many were still owed.
    public func markSupplied(filingID: Int64, materialCodes: [String], at date: Date) throws -> Int {
        guard !materialCodes.isEmpty else { return 0 }
        try db.execute(sql: """
            UPDATE deferredMaterial SET suppliedAt = ?
            WHERE filingId = ? AND suppliedAt IS NULL AND lapsedAt IS NULL AND materialCode IN (\(materialCodes.sqlPlaceholders))
            """, arguments: [date, filingID] + StatementArguments(materialCodes))
        return db.changesCount
    }

    /// Still-owed deferred materials whose deadline is on or before `day`, of open filings, by deadline.
    /// Reads only the owed rows (a partial index on the deadline), however many filings are open.
    public func owedDeferrals(dueOnOrBefore day: CivilDate) throws -> [OwedDeferralRow] {
        try Row.fetchAll(db, sql: """
            SELECT m.filingId, f.number, f.itemCode, f.status, m.materialCode, m.name, m.deadline, m.consequence
            FROM deferredMaterial m JOIN filing f ON f.id = m.filingId
            WHERE m.suppliedAt IS NULL AND m.lapsedAt IS NULL AND m.deadline <= ? AND f.number IS NOT NULL
            ORDER BY m.deadline, m.filingId
            """, arguments: [day.dayNumber]).compactMap { row in
            guard let status = FilingStatus(row["status"] as String) else { return nil }
            return OwedDeferralRow(filingID: row["filingId"], number: row["number"], itemCode: row["itemCode"], status: status,
                                   materialCode: row["materialCode"], materialName: row["name"],
                                   deadline: CivilDate(dayNumber: row["deadline"]),
                                   consequence: (row["consequence"] as String?).flatMap(DeferralConsequence.init(rawValue:)))
        }
    }

    /// Marks every still-owed deferred material of a filing lapsed (its consequence applied); how many.
    public func markLapsed(filingID: Int64, at date: Date) throws -> Int {
        try db.execute(sql: "UPDATE deferredMaterial SET lapsedAt = ? WHERE filingId = ? AND suppliedAt IS NULL AND lapsedAt IS NULL",
                       arguments: [date, filingID])
        return db.changesCount
    }
}

extension FilingRecord {
    init(_ db: Database, row: Row) throws {
        let id: Int64 = row["id"]
        let deferred = try Row.fetchAll(db, sql: "SELECT * FROM deferredMaterial WHERE filingId = ? ORDER BY rowid", arguments: [id]).map {
            DeferredMaterial(code: $0["materialCode"], name: $0["name"], howToSupply: $0["howToSupply"],
                             deadline: CivilDate(dayNumber: $0["deadline"]),
                             consequence: ($0["consequence"] as String?).flatMap(DeferralConsequence.init(rawValue:)),
                             suppliedAt: $0["suppliedAt"], lapsedAt: $0["lapsedAt"])
        }
        self.init(id: id, draftID: row["draftId"], itemCode: row["itemCode"], bundleCode: row["bundleCode"], number: row["number"],
                  status: FilingStatus(row["status"] as String) ?? .draft, progressToken: row["progressToken"],
                  caseType: CaseType(rawValue: row["caseType"]) ?? .promised,
                  receivedDay: (row["receivedDay"] as Int?).map(CivilDate.init(dayNumber:)),
                  promisedDeadline: (row["promisedDeadline"] as Int?).map(CivilDate.init(dayNumber:)),
                  concludedDay: (row["concludedDay"] as Int?).map(CivilDate.init(dayNumber:)),
                  light: (row["light"] as String?).flatMap(SupervisionLight.init(rawValue:)),
                  worstLight: (row["worstLight"] as String?).flatMap(SupervisionLight.init(rawValue:)),
                  deferred: deferred)
    }
}
