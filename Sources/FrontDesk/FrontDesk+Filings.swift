import Foundation
import Store
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
    public var state: DraftState
    public var slots: [Slot]
    public var createdAt: Date
    /// For a supplement (补交): the filing it completes (its slots are the materials still owed).
    public var supplementFor: String?
    /// For a supplement: the materials the filing still owes, with their deadlines.
    public var owed: [DeferredMaterial] = []
    /// Who it is for (nil once abandoned and wiped); never shown unmasked outside the desk.
    var applicant: Applicant?
    /// 帮办代办: who files for the applicant (the card read in the session), nil for one's own filing.
    var agent: Applicant?
    /// Whether an agent files this for someone else.
    public var isAgentFiling: Bool { agent != nil }
    var applicantKey: String
    /// 一表申请: the one form of the draft (the bundle's merged), nil when its items have none (and
    /// for a supplement).
    public var form: ApplicationForm?
    /// The answers saved so far (not yet the pre-filled ones: see `formAnswers`).
    public var savedAnswers: [String: FormValue] = [:]

    /// The answers the filing would carry now: the saved ones over what the card fills in. Holds
    /// the full ID number of an ID field: the desk's only; screens get it masked.
    public var formAnswers: [String: FormValue] { form?.answers(saved: savedAnswers, applicant: applicant) ?? [:] }

    /// Whether a field shows a card fact the citizen confirms but does not change.
    public func isLocked(field key: String) -> Bool { form?.isLocked(key, applicant: applicant) ?? false }

    /// The keys pre-filled from the card (or the ID number).
    public var prefilledKeys: Set<String> { Set(form.map { Array($0.prefilled(for: applicant).keys) } ?? []) }

    public var supplied: SuppliedMaterials {
        SuppliedMaterials(pagesByMaterial: Dictionary(slots.map { ($0.requirement.material.code, $0.pages.count) },
                                                      uniquingKeysWith: { a, _ in a }),
                          held: Dictionary(slots.compactMap { s in s.held.map { (s.requirement.material.code, $0) } },
                                           uniquingKeysWith: { a, _ in a }))
    }
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

extension FrontDesk {
    /// Opens a draft for an item or bundle, for an applicant identified in a session. Materials the
    /// applicant supplied with an earlier filing at this kiosk, or that an electronic licence covers,
    /// are marked held and not asked for again.
    ///
    /// 帮办代办: with an `agent` (the card read in the session) the draft is the principal's
    /// (`applicant`); a principal who was entered rather than read from their card must bring the
    /// items' 授权委托书 (required in the draft), and an item that lists none is refused.
    public func openDraft(subject: FilingSubject, applicant: Applicant, agent: Applicant? = nil,
                          sessionID: String? = nil) async throws(FrontDeskError) -> Draft {
        guard let items = catalogue.items(of: subject) else { throw .workflow(.unknownSubject(subject)) }
        if let unsupported = items.first(where: { !$0.supportsKiosk }) {
            throw .workflow(.notOfferedAtKiosk(itemCode: unsupported.implementationCode))
        }
        if agent != nil {
            do { _ = try AgentFiling.items(items, principalReadFromCard: applicant.verifiedByCard) } catch { throw .workflow(error) }
        }
        let now = clock.now()
        let id = UUID().uuidString.lowercased()
        let applicantJSON = String(decoding: try! JSONEncoder().encode(applicant), as: UTF8.self)
        let agentJSON = agent.map { String(decoding: try! JSONEncoder().encode($0), as: UTF8.self) }
        try await write { [self] tx in
            try tx.drafts.insert(id: id, subject: subject, sessionID: sessionID,
                                 applicantKey: try applicantKey(tx, idNumber: applicant.idNumber), applicantJSON: applicantJSON,
                                 agentJSON: agentJSON, at: now)
        }
        return try await draft(id: id)
    }

    /// The draft with its slots, supplied pages and held materials.
    public func draft(id: String) async throws(FrontDeskError) -> Draft {
        try await read { [self] tx in try loadDraft(tx, id: id) }
    }

    func loadDraft(_ tx: StoreTransaction, id: String) throws -> Draft {
        guard let row = try tx.drafts.find(id: id) else { throw WorkflowError.notFound("draft \(id)") }
        let subject = row.subject
        guard var requirements = catalogue.materialList(for: subject) else { throw WorkflowError.unknownSubject(subject) }
        var owed: [DeferredMaterial] = []
        if let number = row.supplementFor {
            // A supplement asks only for what the filing still owes.
            owed = (try tx.filings.find(number: number)?.deferred ?? []).filter(\.isOwed)
            let codes = Set(owed.map(\.code))
            requirements = requirements.filter { codes.contains($0.material.code) }
        }
        // An abandoned draft's applicant was wiped ('{}'): it then holds nothing.
        let applicant = try? JSONDecoder().decode(Applicant.self, from: Data(row.applicantJSON.utf8))
        let agent = row.agentJSON.flatMap { try? JSONDecoder().decode(Applicant.self, from: Data($0.utf8)) }
        if agent != nil, applicant?.verifiedByCard == false {
            // An entered principal: the power of attorney is required.
            requirements = requirements.map { r in
                var r = r
                if r.material.name == AgentFiling.authorizationMaterialName { r.need = .required }
                return r
            }
        }
        let key = row.applicantKey
        let pages = try tx.drafts.pages(draftID: id)
        let held = row.supplementFor != nil ? [:]
            : try tx.drafts.heldMaterials(applicantKey: key).mapValues { HeldMaterialSource.earlierFiling(number: $0) }
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
        let saved = row.formAnswersJSON.flatMap { try? JSONDecoder().decode([String: FormValue].self, from: Data($0.utf8)) } ?? [:]
        return Draft(id: id, subject: subject, title: row.supplementFor == nil ? title : "补交材料：\(title)", sessionID: row.sessionID,
                     state: row.state, slots: slots, createdAt: row.createdAt, supplementFor: row.supplementFor, owed: owed,
                     applicant: applicant, agent: agent, applicantKey: key,
                     form: row.supplementFor == nil ? catalogue.form(for: subject) : nil, savedAnswers: saved)
    }

    /// Records a captured page (by its SHA-256; the bytes live in the materials store) for a
    /// material of an open draft. Returns the material's page count.
    @discardableResult
    public func addPage(draftID: String, materialCode: String, sha256: String, byteCount: Int) async throws(FrontDeskError) -> Int {
        let now = clock.now()
        return try await write { [self] tx in
            let draft = try loadDraft(tx, id: draftID)
            guard draft.state == .open else { throw WorkflowError.draftClosed(draftID) }
            guard draft.slots.contains(where: { $0.requirement.material.code == materialCode }) else {
                throw WorkflowError.unknownMaterial(materialCode)
            }
            return try tx.drafts.addPage(draftID: draftID, materialCode: materialCode, sha256: sha256, byteCount: byteCount, at: now)
        }
    }

    /// 一表申请: saves answers to an open draft's form (a nil value clears that answer). Each answer is
    /// checked against its field (Chinese reasons); a key the form does not ask, or a field the card
    /// fills, is refused; nothing is saved unless every answer is accepted. Returns the draft.
    public func saveFormAnswers(draftID: String, answers: [String: FormValue?]) async throws(FrontDeskError) -> Draft {
        try await write { [self] tx in
            var draft = try loadDraft(tx, id: draftID)
            guard draft.state == .open else { throw WorkflowError.draftClosed(draftID) }
            guard let form = draft.form else { throw WorkflowError.noForm(draft: draftID) }
            let unknown = answers.keys.filter { form.field($0) == nil }.sorted()
            if !unknown.isEmpty { throw WorkflowError.unknownFormFields(unknown) }
            let locked = answers.keys.filter { draft.isLocked(field: $0) }.sorted()
            if !locked.isEmpty { throw WorkflowError.formFieldsLocked(locked) }
            let given = answers.compactMapValues { $0 }
            let problems = form.problems(in: given)
            if !problems.isEmpty { throw WorkflowError.invalidFormAnswers(problems) }
            for (key, value) in answers {
                draft.savedAnswers[key] = value.map { ApplicationForm.normalized(form.field(key)!, $0) }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            _ = try tx.drafts.setFormAnswers(id: draftID, json: String(decoding: try encoder.encode(draft.savedAnswers), as: UTF8.self))
            return draft
        }
    }

    /// Removes one page (by SHA-256) from a material of an open draft; returns whether one was removed.
    @discardableResult
    public func removePage(draftID: String, materialCode: String, sha256: String) async throws(FrontDeskError) -> Bool {
        try await write { [self] tx in
            let draft = try loadDraft(tx, id: draftID)
            guard draft.state == .open else { throw WorkflowError.draftClosed(draftID) }
            return try tx.drafts.removePage(draftID: draftID, materialCode: materialCode, sha256: sha256)
        }
    }

    /// Abandons open drafts (of a session that ended, or one draft): their page references are
    /// deleted and the applicant's data with them. Returns the SHA-256s no longer referenced by
    /// any draft, for the materials store to delete.
    @discardableResult
    public func abandonDrafts(sessionID: String? = nil, draftID: String? = nil) async throws(FrontDeskError) -> [String] {
        try await abandonCountingDrafts(sessionID: sessionID, draftID: draftID).released
    }

    /// `abandonDrafts`, also saying how many drafts were abandoned (so a caller knows whether
    /// personal data was wiped and the files need scrubbing).
    public func abandonCountingDrafts(sessionID: String? = nil, draftID: String? = nil) async throws(FrontDeskError) -> (drafts: Int, released: [String]) {
        try await write { tx in
            let ids = try tx.drafts.openIDs(draftID: draftID, sessionID: draftID == nil ? sessionID : nil)
            var released: Set<String> = []
            for id in ids { released.formUnion(try tx.drafts.abandon(id: id)) }
            // Only the released pages are looked up again (another draft may hold the same content).
            let stillUsed = try tx.drafts.referencedPages(among: Array(released))
            return (ids.count, released.subtracting(stillUsed).sorted())
        }
    }

    /// Abandons (wipes) every open draft that no live session owns and that was created before
    /// `createdBefore` (a session opened after the caller looked at the live ones cannot own an
    /// older draft): what a crash, a SIGTERM or a wipe that failed on a full disk left behind.
    /// Returns how many drafts were wiped and the SHA-256s no draft references any more.
    public func abandonOrphanDrafts(liveSessionIDs: Set<String>, createdBefore: Date) async throws(FrontDeskError) -> (drafts: Int, released: [String]) {
        let orphans: [String: String?] = try await read { tx in
            var found: [String: String?] = [:]
            for (id, session) in try tx.drafts.openDrafts(createdBefore: createdBefore) {
                if let session, liveSessionIDs.contains(session) { continue }
                found[id] = session
            }
            return found
        }
        var released: Set<String> = []
        for id in orphans.keys.sorted() {
            await released.formUnion(try abandonCountingDrafts(draftID: id).released)
        }
        return (orphans.count, released.sorted())
    }

    /// Submits a draft: takes the acceptance decision and, if it files, numbers each item, writes the
    /// filings, their audit records (draft → submitted → accepted/conditionallyAccepted), the
    /// materials now held for the applicant and, per filing, one outbox row per distinct page followed by
    /// the filing's own row (same order key: the filing number) — all in one transaction.
    public func submit(draftID: String, commitmentSigned: Bool = false, mailing: MailingAddress? = nil) async throws(FrontDeskError) -> SubmissionResult {
        try await submitDraft(draftID: draftID, commitmentSigned: commitmentSigned, mailing: mailing).result
    }

    /// `submit`, for a caller that also prints: the draft is loaded once, inside the transaction,
    /// and its applicant, agent (帮办代办) and session come back with the result (for the notices and
    /// the ratings).
    /// `visitIsLive` is asked, inside the transaction, whether the draft's session is still live: a
    /// draft whose visit ended is refused (`sessionEnded`) and nothing is filed.
    public func submitDraft(draftID: String, commitmentSigned: Bool = false, mailing mailing0: MailingAddress? = nil,
                            visitIsLive: @escaping @Sendable (String) -> Bool = { _ in true })
        async throws(FrontDeskError) -> (result: SubmissionResult, applicant: Applicant?, agent: Applicant?, sessionID: String?) {
        let mailing: MailingAddress?
        do { mailing = try mailing0?.validated() } catch { throw .workflow(error) }
        let mailingJSON = mailing.map { String(decoding: try! JSONEncoder().encode($0), as: UTF8.self) }
        let now = clock.now()
        let moment = hall.moment(now)
        return try await write { [self] tx in
            let draft = try loadDraft(tx, id: draftID)
            guard draft.state == .open else { throw WorkflowError.draftClosed(draftID) }
            if let session = draft.sessionID, !visitIsLive(session) { throw WorkflowError.sessionEnded(session) }
            guard draft.supplementFor == nil else { throw WorkflowError.wrongDraftKind(draft: draftID, supplement: true) }
            guard var items = catalogue.items(of: draft.subject) else { throw WorkflowError.unknownSubject(draft.subject) }
            // 一表申请: the form is answered (and every answer still valid) before anything is decided.
            let answers = draft.formAnswers
            if let form = draft.form {
                // The card's own facts (locked) are taken as read: a card's number is the card's, even
                // where a field's rule (an 18-character resident number) would not fit it.
                let problems = form.problems(in: answers.filter { !draft.isLocked(field: $0.key) })
                if !problems.isEmpty { throw WorkflowError.invalidFormAnswers(problems) }
                let missing = form.missing(in: answers)
                if !missing.isEmpty {
                    throw WorkflowError.formIncomplete(missing: missing.map {
                        FormFieldProblem(key: $0, reason: .required, message: "请填写\(form.field($0)!.label)")
                    })
                }
            }
            if draft.agent != nil, let principal = draft.applicant {
                items = try AgentFiling.items(items, principalReadFromCard: principal.verifiedByCard)
            }
            let decision = AcceptanceDecision.decide(items: items, supplied: draft.supplied, commitmentSigned: commitmentSigned,
                                                     submittedAt: moment, deadlines: deadlines)
            let decisions: [ItemDecision]
            switch decision {
            case let .incomplete(missing): return (.incomplete(missing: missing), draft.applicant, draft.agent, draft.sessionID)
            case let .commitmentRequired(deferred): return (.commitmentRequired(deferred: deferred), draft.applicant, draft.agent, draft.sessionID)
            case let .submit(d): decisions = d
            }
            let uncovered = deadlines.uncoveredYears(from: moment.day, to: decisions.map(\.promisedDeadline).max() ?? moment.day)
            if !uncovered.isEmpty {
                logger.warning("deadline computed without a holiday calendar for \(uncovered.map(String.init).joined(separator: ", ")): weekends only; add kiosk-config/calendar/YYYY.yaml",
                               metadata: ["draft": "\(draftID)"])
            }

            guard let applicant = draft.applicant else { throw WorkflowError.draftClosed(draftID) }
            let key = draft.applicantKey
            var sequence = try tx.kiosk.filingNumbering().map {
                FilingNumberSequence(lastDay: $0.lastDay.map(CivilDate.init(dayNumber:)), lastSequence: $0.lastSequence)
            } ?? FilingNumberSequence()
            let bundleCode: String? = if case let .bundle(code) = draft.subject { code } else { nil }
            var generator = SystemRandomNumberGenerator()

            var filed: [(FilingNumber, ItemDecision, ServiceItem, String)] = []
            for d in decisions {
                let item = items.first { $0.implementationCode == d.itemCode }!
                let number = sequence.next(today: moment.day, regionCode: rules.regionCode, kioskID: rules.kioskID)
                filed.append((number, d, item, ProgressToken(using: &generator).value))
            }
            try tx.kiosk.setFilingNumbering(lastDay: sequence.lastDay?.dayNumber, lastSequence: sequence.lastSequence)

            let pages = Dictionary(draft.slots.map { ($0.requirement.material.code, $0.pages) }, uniquingKeysWith: { a, _ in a })
                .filter { !$0.value.isEmpty }
            let held = Dictionary(draft.slots.compactMap { s in s.held.map { (s.requirement.material.code, $0.chineseDescription) } },
                                  uniquingKeysWith: { a, _ in a })
            var records: [FilingRecord] = []
            let numbers = filed.map(\.0.description)
            var lastAudit = try tx.audit.last()
            for (index, (_, d, item, token)) in filed.enumerated() {
                let number = numbers[index]
                let supervised = item.caseType == .promised
                let id = try tx.filings.insert(
                    draftID: draftID, itemCode: item.implementationCode, bundleCode: bundleCode, number: number,
                    status: d.status, progressToken: token, caseType: item.caseType, receivedDay: d.receivedDay,
                    promisedDeadline: supervised ? d.promisedDeadline : nil, light: supervised ? .green : nil,
                    deferred: d.deferred, at: now)
                let subject = "filing:\(number)"
                let submitted = try FilingLifecycle.next(from: .draft, on: .submit, by: .kiosk)
                try appendAudit(tx, after: &lastAudit, subject: subject, actor: .kiosk, at: now, event: "submit", from: FilingStatus.draft.description,
                                to: submitted.description, reason: mailing == nil ? nil : "送达方式：邮寄")
                let event: FilingEvent = d.status == .accepted ? .accept : .acceptConditionally
                let decided = try FilingLifecycle.next(from: submitted, on: event, by: .kiosk)
                try appendAudit(tx, after: &lastAudit, subject: subject, actor: .kiosk, at: now, event: event.description,
                                from: submitted.description, to: decided.description,
                                reason: d.deferred.isEmpty ? "材料齐全" : "容缺受理：" + d.deferred.map(\.name).joined(separator: "、"))
                for material in item.materials where !(pages[material.code] ?? []).isEmpty {
                    try tx.drafts.hold(applicantKey: key, materialCode: material.code, filingNumber: number, at: now)
                }
                let itemCodes = Set(item.materials.map(\.code))
                // The filing's pages go first (content-addressed PUTs), then the filing that refers to them.
                var sentPages: Set<String> = []
                for code in pages.keys.sorted() where itemCodes.contains(code) {
                    for sha in pages[code]! where sentPages.insert(sha).inserted {
                        try enqueueOutbox(tx, subject: sha, orderKey: number,
                                          message: .page(PageMessage(sha256: sha, filingNumber: number)), at: now)
                    }
                }
                try enqueueOutbox(tx, subject: number, orderKey: number, message: .filing(FilingMessage(
                    number: number, itemCode: item.implementationCode, bundleCode: bundleCode,
                    siblingNumbers: numbers.filter { $0 != number },
                    applicant: applicant, decision: decided.description, receivedDay: d.receivedDay.description,
                    promisedDeadline: supervised ? d.promisedDeadline.description : nil, deferredMaterials: d.deferred,
                    heldMaterials: held.filter { itemCodes.contains($0.key) }, pages: pages.filter { itemCodes.contains($0.key) },
                    commitmentSigned: commitmentSigned, mailing: mailing, kioskID: rules.kioskID, regionCode: rules.regionCode,
                    submittedAt: now, progressToken: token, responsible: item.responsible, agent: draft.agent,
                    form: draft.form.map { form in
                        form.keys(of: item.implementationCode).compactMap { key in
                            answers[key].map { FormAnswer(key: key, label: form.field(key)!.label, type: form.field(key)!.type, value: $0) }
                        }
                    })), at: now)
                records.append(FilingRecord(
                    id: id, draftID: draftID, itemCode: item.implementationCode, bundleCode: bundleCode, number: number,
                    status: decided, progressToken: token, caseType: item.caseType, receivedDay: d.receivedDay,
                    promisedDeadline: supervised ? d.promisedDeadline : nil, concludedDay: nil,
                    light: supervised ? .green : nil, worstLight: supervised ? .green : nil, deferred: d.deferred))
            }
            try tx.drafts.markSubmitted(id: draftID, commitmentSigned: commitmentSigned, mailTo: mailingJSON, at: now)
            return (.filed(records), applicant, draft.agent, draft.sessionID)
        }
    }
}

extension FrontDesk {
    /// The applicant of a draft (for printing its notice); nil once the draft was abandoned and wiped.
    public func applicant(draftID: String) async throws(FrontDeskError) -> Applicant? {
        try await draft(id: draftID).applicant
    }

    /// The agent who filed a draft for its applicant (帮办代办), for printing its notice; nil otherwise.
    public func agent(draftID: String) async throws(FrontDeskError) -> Applicant? {
        try await draft(id: draftID).agent
    }
}
