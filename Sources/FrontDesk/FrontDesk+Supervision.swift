import Foundation
import GRDB
import Workflow

/// The result of one supervision sweep over the open promised filings.
public struct SupervisionSweep: Sendable, Hashable {
    public var today: CivilDate
    /// Open promised filings by current light.
    public var counts: [SupervisionLight: Int]
    /// Filings whose light changed in this sweep.
    public var changed: Int
    /// Filing numbers that turned red now and got a supervision notice (督办通知).
    public var newNotices: [String]
}

/// What the outbox carries for a 督办通知单: which filing, which department must answer, how late.
struct SupervisionNoticeMessage: Encodable {
    var filingNumber: String
    var itemCode: String
    var itemName: String
    /// The responsible department (the item's 实施主体).
    var department: String
    var promisedDeadline: String
    var overdueWorkingDays: Int
    var light: String
    var issuedAt: Date
    var kioskID: String
}

/// A supervision notice recorded for a red light.
public struct SupervisionNotice: Sendable, Hashable {
    public var filingNumber: String
    public var promisedDeadline: CivilDate
    public var overdueWorkingDays: Int
    public var issuedAt: Date
}

extension FrontDesk {
    /// Recomputes the light of every open promised filing (suspended ones are paused: 特别程序 time
    /// does not count), stores changed lights and the worst light each ever had, and records a
    /// supervision notice the first time a filing turns red.
    @discardableResult
    public func sweepSupervision() throws(FrontDeskError) -> SupervisionSweep {
        let now = clock.now()
        let today = hall.moment(now).day
        return try write { db in
            let open = ["accepted", "conditionallyAccepted", "correctionNotified", "inProgress"]
            let openList = open.map { "'\($0)'" }.joined(separator: ",")
            let earliest = try Int.fetchOne(db, sql: """
                SELECT MIN(promisedDeadline) FROM filing WHERE promisedDeadline IS NOT NULL AND status IN (\(openList))
                """).map(CivilDate.init(dayNumber:)).map { min($0, today) } ?? today
            let index = WorkingDayIndex(calendar: deadlines.calendar, from: earliest.adding(days: -1), through: today.adding(days: 31))
            var counts: [SupervisionLight: Int] = [:]
            var changed = 0
            var notices: [String] = []
            var lastAudit = try lastAuditRecord(db)
            let update = try db.makeStatement(sql: "UPDATE filing SET light = ?, worstLight = ? WHERE id = ?")
            let notice = try db.makeStatement(sql: """
                INSERT INTO supervisionNotice (filingId, filingNumber, promisedDeadline, overdueWorkingDays, issuedAt)
                VALUES (?, ?, ?, ?, ?) ON CONFLICT (filingId) DO NOTHING
                """)
            // Read everything first (a cursor must not be open while the same table is updated).
            struct Open { var id: Int64; var number: String; var deadline: CivilDate; var light: String?; var worst: String?; var item: String }
            var rows: [Open] = []
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT id, number, promisedDeadline, light, worstLight, itemCode FROM filing
                WHERE promisedDeadline IS NOT NULL AND status IN (\(openList))
                """)
            while let row = try cursor.next() {
                rows.append(Open(id: row[0], number: row[1], deadline: CivilDate(dayNumber: row[2]), light: row[3], worst: row[4], item: row[5]))
            }
            for row in rows {
                let light = SupervisionLight.light(deadline: row.deadline, today: today, index: index)
                counts[light, default: 0] += 1
                guard light.rawValue != row.light else { continue }
                changed += 1
                let previous = row.light.flatMap(SupervisionLight.init(rawValue:))
                let worst = max(light, row.worst.flatMap(SupervisionLight.init(rawValue:)) ?? .green)
                try update.execute(arguments: [light.rawValue, worst.rawValue, row.id])
                if light == .red {
                    let overdue = index.workingDays(from: row.deadline, to: today)
                    try notice.execute(arguments: [row.id, row.number, row.deadline.dayNumber, overdue, now])
                    if db.changesCount > 0 {
                        notices.append(row.number)
                        let item = catalogue.item(code: row.item)
                        let department = item?.implementingBody ?? ""
                        try appendAudit(db, after: &lastAudit, subject: "filing:\(row.number)", actor: .kiosk, at: now,
                                        event: "supervisionNotice", from: previous?.rawValue, to: light.rawValue,
                                        reason: "超期\(overdue)个工作日，红灯督办，督办通知单发往\(department.isEmpty ? "责任部门" : department)")
                        // The 督办通知单 goes to the platform after the filing itself (same order key).
                        try enqueueOutbox(db, kind: "supervisionNotice", subject: row.number,
                                          orderKey: Self.outboxOrderKey(subjectKind: "filing", subjectRef: row.number),
                                          payload: SupervisionNoticeMessage(
                                            filingNumber: row.number, itemCode: row.item, itemName: item?.name ?? row.item,
                                            department: department, promisedDeadline: row.deadline.description,
                                            overdueWorkingDays: overdue, light: light.rawValue, issuedAt: now, kioskID: rules.kioskID),
                                          at: now)
                    }
                }
            }
            if !notices.isEmpty {
                let shown = notices.prefix(10).joined(separator: ",") + (notices.count > 10 ? ",…" : "")
                logger.warning("supervision: \(notices.count) filing(s) turned red (see kioskctl supervision)", metadata: ["filings": "\(shown)"])
            }
            return SupervisionSweep(today: today, counts: counts, changed: changed, newNotices: notices)
        }
    }

    /// The supervision notices recorded so far, newest first.
    public func supervisionNotices(limit: Int = 100) throws(FrontDeskError) -> [SupervisionNotice] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM supervisionNotice ORDER BY id DESC LIMIT ?", arguments: [limit]).map {
                SupervisionNotice(filingNumber: $0["filingNumber"], promisedDeadline: CivilDate(dayNumber: $0["promisedDeadline"]),
                                  overdueWorkingDays: $0["overdueWorkingDays"], issuedAt: $0["issuedAt"])
            }
        }
    }

    /// 办结率, on-time rate and yellow/red share, for the kiosk and per item, over filings received
    /// in `period` (all when nil).
    public func statistics(period: ClosedRange<CivilDate>? = nil) throws(FrontDeskError)
        -> (overall: SupervisionStatistics, perItem: [SupervisionStatistics]) {
        let facts = try read { db in
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
        return SupervisionStatistics.compute(facts, period: period)
    }

    /// Checks the whole audit chain (`kioskctl audit verify`).
    public func verifyAudit() throws(FrontDeskError) -> AuditChain.Verification {
        try read { db in
            let count = try Int64.fetchOne(db, sql: "SELECT count FROM auditHead WHERE id = 1")
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit ORDER BY sequence")
            var records: [AuditRecord] = []
            while let row = try cursor.next() { records.append(AuditRecord(row: row)) }
            return AuditChain.verify(records, expectedCount: count)
        }
    }

    /// The audit records of one subject (e.g. `filing:<number>`), oldest first. For a staff member
    /// (`staff:<name>`) that is their logins and refused attempts and every action they took, on
    /// whatever subject (`by <name>` in the record); `staff:door` is what no account was named for.
    public func auditTrail(subject: String) throws(FrontDeskError) -> [AuditRecord] {
        try read { db in
            if subject.hasPrefix("staff:"), subject != "staff:door" {
                let name = String(subject.dropFirst("staff:".count))
                let escaped = name.replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                return try Row.fetchAll(db, sql: """
                    SELECT * FROM audit WHERE subject = ?
                       OR (actor IN ('staff', 'technician') AND (reason = ? OR reason LIKE ? ESCAPE '\\'))
                    ORDER BY sequence
                    """, arguments: [subject, "by \(name)", "by \(escaped): %"]).map(AuditRecord.init(row:))
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE subject = ? ORDER BY sequence", arguments: [subject])
                .map(AuditRecord.init(row:))
        }
    }
}
