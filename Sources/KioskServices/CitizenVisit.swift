import FrontDesk
import Workflow

/// The citizen's visit as the use cases see it: the live session behind a request (its idle clock
/// restarted) and the open draft it works on. Every citizen use case starts here.
public struct CitizenVisit: Sendable {
    public let desk: FrontDesk
    public let sessions: CitizenSessions

    public init(desk: FrontDesk, sessions: CitizenSessions) {
        self.desk = desk
        self.sessions = sessions
    }

    /// The live session `id`, its idle clock restarted.
    public func liveSession(_ id: String) throws(CitizenRefusal) -> CitizenSession {
        guard let session = sessions.touch(id) else { throw .sessionEnded(id) }
        return session
    }

    /// The applicant whose card the live session `id` read.
    public func applicant(inSession id: String, forFiling: Bool) throws(CitizenRefusal) -> Applicant {
        guard let identity = try liveSession(id).identity else { throw .noCard(forFiling: forFiling) }
        return identity
    }

    /// An open draft whose session is still live (its idle clock restarted).
    public func openDraft(_ id: String) async throws -> Draft {
        let draft = try await desk.draft(id: id)
        guard draft.state == .open else { throw WorkflowError.draftClosed(id) }
        if let session = draft.sessionID { _ = try liveSession(session) }
        return draft
    }

    /// Opens a draft for `subject` in the live session: the card holder's own, or, 帮办代办, the
    /// principal's with the card holder as the agent (refused while the principal's card is awaited).
    public func openFiling(_ subject: FilingSubject, sessionID: String) async throws -> Draft {
        let session = try liveSession(sessionID)
        guard let card = session.identity else { throw CitizenRefusal.noCard(forFiling: true) }
        if session.awaitingPrincipalCard { throw CitizenRefusal.principalCardAwaited }
        return try await desk.openDraft(subject: subject, applicant: session.principal ?? card,
                                        agent: session.principal == nil ? nil : card, sessionID: sessionID)
    }

    /// 一表申请: saves answers (nil clears one) to the form of an open draft whose session is live.
    public func saveForm(draftID: String, answers: [String: FormValue?]) async throws -> Draft {
        _ = try await openDraft(draftID)
        return try await desk.saveFormAnswers(draftID: draftID, answers: answers)
    }

    /// Whether session `id` is live now (a submit refuses a draft whose visit ended).
    @Sendable public func isLive(_ id: String) -> Bool { sessions.touch(id) != nil }
}
