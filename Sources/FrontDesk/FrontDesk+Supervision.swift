import Foundation
import Store
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
    /// Filing numbers whose deferred material lapsed now: the catalogue's consequence was applied.
    public var lapsedDeferrals: [String] = []
}

/// A supervision notice recorded for a red light.
public struct SupervisionNotice: Sendable, Hashable {
    public var filingNumber: String
    public var promisedDeadline: CivilDate
    public var overdueWorkingDays: Int
    public var issuedAt: Date
}

extension FrontDesk {
    /// Applies the consequence of every deferred material past its deadline (退件 / 不予受理, once:
    /// see `applyLapsedDeferrals`), then recomputes the light of every open promised filing
    /// (suspended ones are paused: 特别程序 time does not count), stores changed lights and the
    /// worst light each ever had, and records a supervision notice the first time a filing turns red.
    @discardableResult
    public func sweepSupervision() async throws(FrontDeskError) -> SupervisionSweep {
        let now = clock.now()
        let today = hall.moment(now).day
        return try await write { [self] tx in
            let earliest = try tx.filings.earliestOpenDeadline().map { min($0, today) } ?? today
            let index = WorkingDayIndex(calendar: deadlines.calendar, from: earliest.adding(days: -1), through: today.adding(days: 31))
            var counts: [SupervisionLight: Int] = [:]
            var changed = 0
            var notices: [String] = []
            var lastAudit = try tx.audit.last()
            let lapsed = try applyLapsedDeferrals(tx, today: today, at: now, audit: &lastAudit)
            if !lapsed.isEmpty {
                logger.notice("deferred materials lapsed: the catalogue's consequence applied", metadata: ["filings": "\(lapsed.count)"])
            }
            // Read everything first (a cursor must not be open while the same table is updated).
            let rows = try tx.filings.openSupervised()
            for row in rows {
                let light = SupervisionLight.light(deadline: row.deadline, today: today, index: index)
                counts[light, default: 0] += 1
                guard light != row.light else { continue }
                changed += 1
                let previous = row.light
                let worst = max(light, row.worstLight ?? .green)
                try tx.filings.setLight(id: row.id, light, worst: worst)
                if light == .red {
                    let overdue = index.workingDays(from: row.deadline, to: today)
                    if try tx.filings.recordSupervisionNotice(filingID: row.id, number: row.number, deadline: row.deadline,
                                                               overdueWorkingDays: overdue, at: now) {
                        notices.append(row.number)
                        let item = catalogue.item(code: row.itemCode)
                        let department = item?.implementingBody ?? ""
                        try appendAudit(tx, after: &lastAudit, subject: "filing:\(row.number)", actor: .kiosk, at: now,
                                        event: "supervisionNotice", from: previous?.rawValue, to: light.rawValue,
                                        reason: "超期\(overdue)个工作日，红灯督办，督办通知单发往\(department.isEmpty ? "责任部门" : department)")
                        // The 督办通知单 goes to the platform after the filing itself (same order key).
                        try enqueueOutbox(tx, subject: row.number,
                                          orderKey: Self.outboxOrderKey(subjectKind: "filing", subjectRef: row.number),
                                          message: .supervisionNotice(SupervisionNoticeMessage(
                                            filingNumber: row.number, itemCode: row.itemCode, itemName: item?.name ?? row.itemCode,
                                            department: department, promisedDeadline: row.deadline.description,
                                            overdueWorkingDays: overdue, light: light.rawValue, issuedAt: now, kioskID: rules.kioskID)),
                                          at: now)
                    }
                }
            }
            if !notices.isEmpty {
                let shown = notices.prefix(10).joined(separator: ",") + (notices.count > 10 ? ",…" : "")
                logger.warning("supervision: \(notices.count) filing(s) turned red (see kioskctl supervision)", metadata: ["filings": "\(shown)"])
            }
            return SupervisionSweep(today: today, counts: counts, changed: changed, newNotices: notices, lapsedDeferrals: lapsed)
        }
    }

    /// The supervision notices recorded so far, newest first.
    public func supervisionNotices(limit: Int = 100) async throws(FrontDeskError) -> [SupervisionNotice] {
        try await read { tx in
            try tx.filings.supervisionNotices(limit: limit).map {
                SupervisionNotice(filingNumber: $0.number, promisedDeadline: $0.deadline, overdueWorkingDays: $0.overdueWorkingDays,
                                  issuedAt: $0.issuedAt)
            }
        }
    }

    /// 办结率, on-time rate and yellow/red share, for the kiosk and per item, over filings received
    /// in `period` (all when nil).
    public func statistics(period: ClosedRange<CivilDate>? = nil) async throws(FrontDeskError)
        -> (overall: SupervisionStatistics, perItem: [SupervisionStatistics]) {
        let facts = try await read { tx in try tx.filings.supervisionFacts() }
        return SupervisionStatistics.compute(facts, period: period)
    }

    /// Checks the whole audit chain (`kioskctl audit verify`).
    public func verifyAudit() async throws(FrontDeskError) -> AuditChain.Verification {
        try await read { tx in
            var records: [AuditRecord] = []
            try tx.audit.forEachRecord { records.append($0) }
            return AuditChain.verify(records, expectedCount: try tx.audit.expectedCount())
        }
    }

    /// The audit records of one subject (e.g. `filing:<number>`), oldest first. For a staff member
    /// (`staff:<name>`) that is their logins and refused attempts and every action they took, on
    /// whatever subject (`by <name>` in the record); `staff:door` is what no account was named for.
    public func auditTrail(subject: String) async throws(FrontDeskError) -> [AuditRecord] {
        try await read { tx in
            if subject.hasPrefix("staff:"), subject != "staff:door" {
                return try tx.audit.records(staffName: String(subject.dropFirst("staff:".count)))
            }
            return try tx.audit.records(subject: subject)
        }
    }
}
