import FrontDesk
import Foundation
import Workflow

/// Who may rate a service (好差评): the screen's session that received it (the filing it submitted,
/// the ticket it took), or whoever holds its rating code (评价码, printed on the slip and shown on the
/// progress page). A filing number or a ticket alone — both sequential, so guessable — never is
/// enough. The pad's prompt is opened through the same gate, so a rating on the pad is one the
/// kiosk itself asked for on behalf of that citizen.
struct RatingGate: Sendable {
    let desk: FrontDesk
    let sessions: CitizenSessions

    /// Throws a 403 problem unless `sessionId` received `subject` or `ratingCode` is its code.
    func admit(_ subject: EvaluationSubject, sessionId: String?, ratingCode: String?) async throws {
        if let sessionId, sessions.received(subject, in: sessionId) { return }
        if let ratingCode {
            guard ratingCode.count <= 32, (try? await desk.isRatingCode(ratingCode, for: subject)) == true else {
                throw APIProblem(.forbidden, code: "rating-code-wrong", title: "评价码不正确，请核对凭条上的评价码",
                                 detail: "the rating code does not belong to \(subject)")
            }
            return
        }
        throw APIProblem(.forbidden, code: "rating-not-allowed", title: "请在办理后评价，或输入凭条上的评价码",
                         detail: "a rating needs the sessionId that received \(subject), or its ratingCode from the slip")
    }
}
