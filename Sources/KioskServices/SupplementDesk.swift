import FrontDesk
import Workflow

/// The use case "hand in what a 容缺 filing still owes" (补交): the live session's card holder
/// sees the filings owing materials; a filing is opened for its supplement by the card read (or,
/// without the card, the slip's filing number and the ID number's last four characters); the
/// pages are captured through `PageCapture` like a filing's; the submit files the supplement and
/// prints its receipt (补交凭证) through `SlipDesk`.
public struct SupplementDesk: Sendable {
    let visit: CitizenVisit
    let slips: SlipDesk

    /// What a supplement's submit came to: the record, and what became of its receipt.
    public struct Submitted: Sendable {
        public var record: SupplementRecord
        public var slip: SlipOutcome
    }

    public init(visit: CitizenVisit, slips: SlipDesk) {
        self.visit = visit
        self.slips = slips
    }

    /// The filings the card holder of live session `sessionID` still owes materials for.
    public func owed(sessionID: String) async throws -> [OwedFiling] {
        guard let applicant = try visit.liveSession(sessionID).identity else { throw CitizenRefusal.noCardForSupplement(tailAccepted: false) }
        return try await visit.desk.owedFilings(applicant: applicant)
    }

    /// Opens filing `filingNumber`'s supplement in live session `sessionID`: identified by the card
    /// read in it, which wins; else by `idNumberTail`, for a citizen without the card at hand.
    public func open(filingNumber: String, idNumberTail: String?, sessionID: String) async throws -> Draft {
        let session = try visit.liveSession(sessionID)
        guard session.identity != nil || idNumberTail != nil else { throw CitizenRefusal.noCardForSupplement(tailAccepted: true) }
        return try await visit.desk.openSupplement(filingNumber: filingNumber, applicant: session.identity,
                                                   idNumberTail: session.identity == nil ? idNumberTail : nil, sessionID: session.id)
    }

    /// Files the supplement `draftID` (its visit still live) and prints its receipt with the
    /// applicant masked.
    public func submit(draftID: String) async throws -> Submitted {
        let draft = try await visit.openDraft(draftID)
        let record = try await visit.desk.submitSupplement(draftID: draft.id)
        let applicant = try? await visit.desk.applicant(filingNumber: record.filing.number ?? "")
        return Submitted(record: record, slip: await slips.printSupplement(record, applicant: applicant ?? nil))
    }
}

/// Where the principal of an agent filing (帮办代办) comes from.
public enum PrincipalSource: Sendable, Hashable {
    /// The principal's own card, read next (the agent puts it on the reader).
    case card
    /// Entered at the screen: the name and ID number (the check character verified); each item's
    /// 授权委托书 then becomes required.
    case entered(name: String, idNumber: String)
}

extension CitizenVisit {
    /// 帮办代办: the card holder of live session `sessionID` files for a principal from now on,
    /// entered or read from the principal's card next. The agent's card must be read first; the
    /// principal is not the agent.
    public func fileForPrincipal(sessionID: String, _ source: PrincipalSource) throws -> CitizenSession {
        let session = try liveSession(sessionID)
        guard let agent = session.identity else { throw CitizenRefusal.noAgentCard }
        var principal: Applicant? = nil
        if case let .entered(name, number) = source { principal = try AgentFiling.enteredPrincipal(name: name, idNumber: number) }
        if principal?.idNumber == agent.idNumber { throw WorkflowError.invalidPrincipal(reason: "the principal is the agent") }
        guard let updated = sessions.fileForPrincipal(session.id, principal: principal) else { throw CitizenRefusal.sessionEnded(sessionID) }
        return updated
    }
}
