import FrontDesk
import Store
import Workflow

/// The use case "rate a service" (好差评), on the screen or through the pad's prompt. Who may rate:
/// the screen's session that received the service (the filing it submitted, the ticket it took),
/// or whoever holds its rating code (评价码, printed on the slip and shown on the progress page).
/// A filing number or a ticket alone — both sequential, so guessable — never is enough. The pad's
/// prompt is opened through the same gate, so a rating on the pad is one the kiosk itself asked
/// for on behalf of that citizen.
public struct RatingDesk: Sendable {
    public let desk: FrontDesk
    let sessions: CitizenSessions

    public init(desk: FrontDesk, sessions: CitizenSessions) {
        self.desk = desk
        self.sessions = sessions
    }

    /// Refuses unless `sessionId` received `subject` or `ratingCode` is its code.
    public func admit(_ subject: EvaluationSubject, sessionId: String?, ratingCode: String?) async throws(CitizenRefusal) {
        if let sessionId, sessions.received(subject, in: sessionId) { return }
        if let ratingCode {
            guard ratingCode.count <= 32, (try? await desk.isRatingCode(ratingCode, for: subject)) == true else {
                throw .ratingCodeWrong(subject)
            }
            return
        }
        throw .ratingNotAllowed(subject)
    }

    /// The subject a rating request names: a filing by its number, or today's ticket by its number.
    public func subject(filingNumber: String?, ticket: String?) async throws -> EvaluationSubject? {
        switch (filingNumber, ticket) {
        case let (number?, nil): return .filing(number)
        case let (nil, ticket?): return .ticket(try await desk.ticket(number: ticket).id)
        default: return nil
        }
    }

    /// Admits the rating (see `admit`), then records it: a 差评 opens its rectification and the
    /// rating goes upstream through the outbox.
    public func rate(_ subject: EvaluationSubject, level: Int, comment: String?, sessionId: String?, ratingCode: String?,
                     channel: String) async throws -> EvaluationRecord {
        try await admit(subject, sessionId: sessionId, ratingCode: ratingCode)
        return try await desk.rate(subject, level: level, comment: comment, channel: channel)
    }
}
