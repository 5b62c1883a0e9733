import Foundation
import GRDB
import Workflow

/// A citizen's application in progress: the subject, the merged material list with what has been
/// supplied, and the materials already held for this applicant.
public struct Draft: Sendable, Hashable {
    /// One slot of the material list.
    public struct Slot: Sendable, Hashable {
        public var requirement: MaterialRequirement
        /// SHA-256 of each page captured so far, in order.
        public var pages: [String]
        /// Set when the material need not be supplied again.
        public var held: HeldMaterialSource?
    }

    public var id: String
    public var subject: FilingSubject
    public var title: String
    public var sessionID: String?
    public var state: String
    public var slots: [Slot]
    public var createdAt: Date
    /// Who it is for (nil once abandoned and wiped); never shown unmasked outside the desk.
    var applicant: Applicant?
    var applicantKey: String

    public var supplied: SuppliedMaterials {
        SuppliedMaterials(pagesByMaterial: Dictionary(slots.map { ($0.requirement.material.code, $0.pages.count) },
                                                      uniquingKeysWith: { a, _ in a }),
                          held: Dictionary(slots.compactMap { s in s.held.map { (s.requirement.material.code, $0) } },
                                           uniquingKeysWith: { a, _ in a }))
    }
}

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
}

/// The outcome of a submit: filed (one filing per item) or refused with what to do.
public enum SubmissionResult: Sendable {
    /// Filed: each item's filing with its number, status and deadline.
    case filed([FilingRecord])
    /// Required materials are missing; nothing was filed (一次性告知 list).
    case incomplete(missing: [MissingMaterial])
    /// Only deferrable materials are missing; the applicant must sign the commitment first.
    case commitmentRequired(deferred: [DeferredMaterial])
}

/// The outbox row of one captured page: the relay reads the bytes by `sha256` and PUTs them.
struct PageMessage: Encodable {
    var sha256: String
    var filingNumber: String
}

/// What the outbox carries to the platform for one filing.
struct FilingMessage: Encodable {
    var number: String
    var itemCode: String
    var bundleCode: String?
    var siblingNumbers: [String]
    var applicant: Applicant
    var decision: String
    var receivedDay: String
    var promisedDeadline: String?
    var deferredMaterials: [DeferredMaterial]
    var heldMaterials: [String: String]
    var pages: [String: [String]]
    var commitmentSigned: Bool
    var mailTo: String?
    var kioskID: String
    var regionCode: String
    var submittedAt: Date
    /// The slip's progress QR token, so the platform can serve the same progress page.
    var progressToken: String
    /// The window and person responsible, as the notice prints them.
    var responsible: Responsible?
}

extension FrontDesk {
    /// Opens a draft for an item or bundle, for an applicant identified in a session. Materials the
    /// applicant supplied with an earlier filing at this kiosk, or that an electronic licence covers,
    /// are marked held and not asked for again.
    public func openDraft(subject: FilingSubject, applicant: Applicant, sessionID: String? = nil) throws(FrontDeskError) -> Draft {
        guard let items = catalogue.items(of: subject) else { throw .workflow(.unknownSubject(subject)) }
        if let unsupported = items.first(where: { !$0.supportsKiosk }) {
            throw .workflow(.notOfferedAtKiosk(itemCode: unsupported.implementationCode))
        }
        let now = clock.now()
        let id = UUID().uuidString.lowercased()
        let applicantJSON = String(decoding: try! JSONEncoder().encode(applicant), as: UTF8.self)
        try write { db in
            let key = try applicantKey(db, idNumber: applicant.idNumber)
            try db.execute(sql: """
                INSERT INTO draft (id, subjectKind, subjectCode, sessionId, applicantKey, applicant, state, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, 'open', ?)
                """, arguments: [id, subject.kind, subject.code, sessionID, key, applicantJSON, now])
        }
        return try draft(id: id)
    }

    /// The draft with its slots, supplied pages and held materials.
    public func draft(id: String) throws(FrontDeskError) -> Draft {
        try read { db in try loadDraft(db, id: id) }
    }

    func loadDraft(_ db: Database, id: String) throws -> Draft {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM draft WHERE id = ?", arguments: [id]) else {
            throw WorkflowError.notFound("draft \(id)")
        }
        let subject: FilingSubject = (row["subjectKind"] as String) == "bundle" ? .bundle(row["subjectCode"]) : .item(row["subjectCode"])
        guard let requirements = catalogue.materialList(for: subject) else { throw WorkflowError.unknownSubject(subject) }
        // An abandoned draft's applicant was wiped ('{}'): it then holds nothing.
        let applicant = try? JSONDecoder().decode(Applicant.self, from: Data((row["applicant"] as String).utf8))
        let key: String = row["applicantKey"]
        var pages: [String: [String]] = [:]
        for page in try Row.fetchAll(db, sql: "SELECT materialCode, sha256 FROM draftPage WHERE draftId = ? ORDER BY id", arguments: [id]) {
            pages[page["materialCode"], default: []].append(page["sha256"])
        }
        var held: [String: HeldMaterialSource] = [:]
        for h in try Row.fetchAll(db, sql: "SELECT materialCode, filingNumber FROM heldMaterial WHERE applicantKey = ?", arguments: [key]) {
            held[h["materialCode"]] = .earlierFiling(number: h["filingNumber"])
        }
        let available: [String: String] = applicant.map { self.licences.licences(for: $0) } ?? [:]
        let slots = requirements.map { r in
            var source = held[r.material.code]
            if source == nil, let type = r.material.electronicLicence, let reference = available[type] {
                source = .electronicLicence(type: type, reference: reference)
            }
            return Draft.Slot(requirement: r, pages: pages[r.material.code] ?? [], held: source)
        }
        let title: String = switch subject {
        case let .item(code): catalogue.item(code: code)?.name ?? code
        case let .bundle(code): catalogue.bundle(code: code)?.name ?? code
        }
        return Draft(id: id, subject: subject, title: title, sessionID: row["sessionId"], state: row["state"], slots: slots,
                     createdAt: row["createdAt"], applicant: applicant, applicantKey: key)
    }

    /// Records a captured page (by its SHA-256; the bytes live in the materials store) for a
    /// material of an open draft. Returns the material's page count.
    @discardableResult
    public func addPage(draftID: String, materialCode: String, sha256: String, byteCount: Int) throws(FrontDeskError) -> Int {
        let now = clock.now()
        return try write { db in
            let draft = try loadDraft(db, id: draftID)
            guard draft.state == "open" else { throw WorkflowError.draftClosed(draftID) }
            guard draft.slots.contains(where: { $0.requirement.material.code == materialCode }) else {
                throw WorkflowError.unknownMaterial(materialCode)
            }
            try db.execute(sql: "INSERT INTO draftPage (draftId, materialCode, sha256, byteCount, addedAt) VALUES (?, ?, ?, ?, ?)",
                           arguments: [draftID, materialCode, sha256, byteCount, now])
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM draftPage WHERE draftId = ? AND materialCode = ?",
                                    arguments: [draftID, materialCode]) ?? 0
        }
    }

    /// Removes one page (by SHA-256) from a material of an open draft; returns whether one was removed.
    @discardableResult
    public func removePage(draftID: String, materialCode: String, sha256: String) throws(FrontDeskError) -> Bool {
        try write { db in
            let draft = try loadDraft(db, id: draftID)
            guard draft.state == "open" else { throw WorkflowError.draftClosed(draftID) }
            try db.execute(sql: """
                DELETE FROM draftPage WHERE id = (SELECT id FROM draftPage WHERE draftId = ? AND materialCode = ? AND sha256 = ?
                ORDER BY id DESC LIMIT 1)
                """, arguments: [draftID, materialCode, sha256])
            return db.changesCount > 0
        }
    }

    /// Abandons open drafts (of a session that ended, or one draft): their page references are
    /// deleted and the applicant's data with them. Returns the SHA-256s no longer referenced by
    /// any draft, for the materials store to delete.
    @discardableResult
    public func abandonDrafts(sessionID: String? = nil, draftID: String? = nil) throws(FrontDeskError) -> [String] {
        try abandonCountingDrafts(sessionID: sessionID, draftID: draftID).released
    }

    /// `abandonDrafts`, also saying how many drafts were abandoned (so a caller knows whether
    /// personal data was wiped and the files need scrubbing).
    public func abandonCountingDrafts(sessionID: String? = nil, draftID: String? = nil) throws(FrontDeskError) -> (drafts: Int, released: [String]) {
        try write { db in
            let ids: [String]
            if let draftID {
                ids = try String.fetchAll(db, sql: "SELECT id FROM draft WHERE id = ? AND state = 'open'", arguments: [draftID])
            } else if let sessionID {
                ids = try String.fetchAll(db, sql: "SELECT id FROM draft WHERE sessionId = ? AND state = 'open'", arguments: [sessionID])
            } else { return (0, []) }
            var released: Set<String> = []
            for id in ids {
                released.formUnion(try String.fetchAll(db, sql: "SELECT sha256 FROM draftPage WHERE draftId = ?", arguments: [id]))
                try db.execute(sql: "DELETE FROM draftPage WHERE draftId = ?", arguments: [id])
                try db.execute(sql: "UPDATE draft SET state = 'abandoned', applicant = '{}', applicantKey = '' WHERE id = ?",
                               arguments: [id])
            }
            // Only the released pages are looked up again (another draft may hold the same content).
            guard !released.isEmpty else { return (ids.count, []) }
            let list = Array(released)
            let stillUsed = Set(try String.fetchAll(
                db, sql: "SELECT DISTINCT sha256 FROM draftPage WHERE sha256 IN (\(list.map { _ in "?" }.joined(separator: ",")))",
                arguments: StatementArguments(list)))
            return (ids.count, released.subtracting(stillUsed).sorted())
        }
    }

    /// Abandons (wipes) every open draft that no live session owns and that was created before
    /// `createdBefore` (a session opened after the caller looked at the live ones cannot own an
    /// older draft): what a crash, a SIGTERM or a wipe that failed on a full disk left behind.
    /// Returns how many drafts were wiped and the SHA-256s no draft references any more.
    public func abandonOrphanDrafts(liveSessionIDs: Set<String>, createdBefore: Date) throws(FrontDeskError) -> (drafts: Int, released: [String]) {
        let orphans: [String: String?] = try read { db in
            var found: [String: String?] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, sessionId FROM draft WHERE state = 'open' AND createdAt < ?",
                                        arguments: [createdBefore]) {
                let session: String? = row["sessionId"]
                if let session, liveSessionIDs.contains(session) { continue }
                found[row["id"]] = session
            }
            return found
        }
        var released: Set<String> = []
        for id in orphans.keys.sorted() {
            released.formUnion(try abandonCountingDrafts(draftID: id).released)
        }
        return (orphans.count, released.sorted())
    }

    /// Submits a draft: takes the acceptance decision and, if it files, numbers each item, writes the
    /// filings, their audit records (draft → submitted → accepted/conditionallyAccepted), the
    /// materials now held for the applicant and, per filing, one outbox row per distinct page followed by
    /// the filing's own row (same order key: the filing number) — all in one transaction.
    public func submit(draftID: String, commitmentSigned: Bool = false, mailTo: String? = nil) throws(FrontDeskError) -> SubmissionResult {
        let now = clock.now()
        let moment = hall.moment(now)
        return try write { db in
            let draft = try loadDraft(db, id: draftID)
            guard draft.state == "open" else { throw WorkflowError.draftClosed(draftID) }
            guard let items = catalogue.items(of: draft.subject) else { throw WorkflowError.unknownSubject(draft.subject) }
            let decision = AcceptanceDecision.decide(items: items, supplied: draft.supplied, commitmentSigned: commitmentSigned,
                                                     submittedAt: moment, deadlines: deadlines)
            let decisions: [ItemDecision]
            switch decision {
            case let .incomplete(missing): return .incomplete(missing: missing)
            case let .commitmentRequired(deferred): return .commitmentRequired(deferred: deferred)
            case let .submit(d): decisions = d
            }
            let uncovered = deadlines.uncoveredYears(from: moment.day, to: decisions.map(\.promisedDeadline).max() ?? moment.day)
            if !uncovered.isEmpty {
                logger.warning("deadline computed without a holiday calendar for \(uncovered.map(String.init).joined(separator: ", ")): weekends only; add kiosk-config/calendar/YYYY.yaml",
                               metadata: ["draft": "\(draftID)"])
            }

            guard let applicant = draft.applicant else { throw WorkflowError.draftClosed(draftID) }
            let key = draft.applicantKey
            var sequence = try Row.fetchOne(db, sql: "SELECT lastDay, lastSequence FROM numbering WHERE id = 1").map {
                FilingNumberSequence(lastDay: ($0["lastDay"] as Int?).map(CivilDate.init(dayNumber:)), lastSequence: $0["lastSequence"])
            } ?? FilingNumberSequence()
            let bundleCode: String? = if case let .bundle(code) = draft.subject { code } else { nil }
            var generator = SystemRandomNumberGenerator()

            var filed: [(FilingNumber, ItemDecision, ServiceItem, String)] = []
            for d in decisions {
                let item = items.first { $0.implementationCode == d.itemCode }!
                let number = sequence.next(today: moment.day, regionCode: rules.regionCode, kioskID: rules.kioskID)
                filed.append((number, d, item, ProgressToken(using: &generator).value))
            }
            try db.execute(sql: "UPDATE numbering SET lastDay = ?, lastSequence = ? WHERE id = 1",
                           arguments: [sequence.lastDay?.dayNumber, sequence.lastSequence])

            let pages = Dictionary(draft.slots.map { ($0.requirement.material.code, $0.pages) }, uniquingKeysWith: { a, _ in a })
                .filter { !$0.value.isEmpty }
            let held = Dictionary(draft.slots.compactMap { s in s.held.map { (s.requirement.material.code, $0.chineseDescription) } },
                                  uniquingKeysWith: { a, _ in a })
            var records: [FilingRecord] = []
            for (number, d, item, token) in filed {
                let supervised = item.caseType == .promised
                try db.execute(sql: """
                    INSERT INTO filing (draftId, itemCode, bundleCode, number, status, progressToken, caseType, receivedDay,
                                        promisedDeadline, light, worstLight, createdAt, updatedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [draftID, item.implementationCode, bundleCode, number.description, d.status.description, token,
                                     item.caseType.rawValue, d.receivedDay.dayNumber,
                                     supervised ? d.promisedDeadline.dayNumber : nil,
                                     supervised ? SupervisionLight.green.rawValue : nil,
                                     supervised ? SupervisionLight.green.rawValue : nil, now, now])
                let id = db.lastInsertedRowID
                for m in d.deferred {
                    try db.execute(sql: "INSERT INTO deferredMaterial (filingId, materialCode, name, howToSupply, deadline) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [id, m.code, m.name, m.howToSupply, m.deadline.dayNumber])
                }
                let subject = "filing:\(number)"
                let submitted = try FilingLifecycle.next(from: .draft, on: .submit, by: .kiosk)
                try appendAudit(db, subject: subject, actor: .kiosk, at: now, event: "submit", from: FilingStatus.draft.description,
                                to: submitted.description, reason: mailTo == nil ? nil : "送达方式：邮寄")
                let event: FilingEvent = d.status == .accepted ? .accept : .acceptConditionally
                let decided = try FilingLifecycle.next(from: submitted, on: event, by: .kiosk)
                try appendAudit(db, subject: subject, actor: .kiosk, at: now, event: event.description,
                                from: submitted.description, to: decided.description,
                                reason: d.deferred.isEmpty ? "材料齐全" : "容缺受理：" + d.deferred.map(\.name).joined(separator: "、"))
                for material in item.materials where !(pages[material.code] ?? []).isEmpty {
                    try db.execute(sql: """
                        INSERT INTO heldMaterial (applicantKey, materialCode, filingNumber, heldAt) VALUES (?, ?, ?, ?)
                        ON CONFLICT (applicantKey, materialCode) DO UPDATE SET filingNumber = excluded.filingNumber, heldAt = excluded.heldAt
                        """, arguments: [key, material.code, number.description, now])
                }
                let itemCodes = Set(item.materials.map(\.code))
                // The filing's pages go first (content-addressed PUTs), then the filing that refers to them.
                var sentPages: Set<String> = []
                for code in pages.keys.sorted() where itemCodes.contains(code) {
                    for sha in pages[code]! where sentPages.insert(sha).inserted {
                        try enqueueOutbox(db, kind: "page", subject: sha, orderKey: number.description,
                                          payload: PageMessage(sha256: sha, filingNumber: number.description), at: now)
                    }
                }
                try enqueueOutbox(db, kind: "filing", subject: number.description, orderKey: number.description, payload: FilingMessage(
                    number: number.description, itemCode: item.implementationCode, bundleCode: bundleCode,
                    siblingNumbers: filed.map(\.0.description).filter { $0 != number.description },
                    applicant: applicant, decision: decided.description, receivedDay: d.receivedDay.description,
                    promisedDeadline: supervised ? d.promisedDeadline.description : nil, deferredMaterials: d.deferred,
                    heldMaterials: held.filter { itemCodes.contains($0.key) }, pages: pages.filter { itemCodes.contains($0.key) },
                    commitmentSigned: commitmentSigned, mailTo: mailTo, kioskID: rules.kioskID, regionCode: rules.regionCode,
                    submittedAt: now, progressToken: token, responsible: item.responsible), at: now)
                records.append(FilingRecord(
                    id: id, draftID: draftID, itemCode: item.implementationCode, bundleCode: bundleCode, number: number.description,
                    status: decided, progressToken: token, caseType: item.caseType, receivedDay: d.receivedDay,
                    promisedDeadline: supervised ? d.promisedDeadline : nil, concludedDay: nil,
                    light: supervised ? .green : nil, worstLight: supervised ? .green : nil, deferred: d.deferred))
            }
            try db.execute(sql: "UPDATE draft SET state = 'submitted', commitmentSigned = ?, mailTo = ?, submittedAt = ? WHERE id = ?",
                           arguments: [commitmentSigned, mailTo, now, draftID])
            return .filed(records)
        }
    }
}

extension FilingSubject {
    var kind: String {
        switch self {
        case .item: "item"
        case .bundle: "bundle"
        }
    }
}

extension FrontDesk {
    /// The applicant of a draft (for printing its notice); nil once the draft was abandoned and wiped.
    public func applicant(draftID: String) throws(FrontDeskError) -> Applicant? {
        try draft(id: draftID).applicant
    }
}
