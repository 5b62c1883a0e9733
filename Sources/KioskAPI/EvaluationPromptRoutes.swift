import DeviceKit
import FrontDesk
import Foundation
import HTTPTypes
import Hummingbird
import KioskServices
import Workflow

/// The screen's side of the pad: ask for the rating of a completed service
/// (`POST /api/v1/evaluations/prompt`), withdraw it (`DELETE …`), see what is asked (`GET …`).
struct EvaluationPromptRoutes: Sendable {
    let pad: PadRatingService
    let ratings: RatingDesk

    struct PromptBody: Decodable {
        var filingNumber: String?
        var ticket: String?
        /// The session that received the service, or the slip's rating code (see `RatingDesk`).
        var sessionId: String?
        var ratingCode: String?
    }

    struct PromptView: ResponseEncodable {
        var filingNumber: String?
        var ticket: String?
        var expiresAt: Date
        var timeoutSeconds: Int
    }

    struct CurrentPrompt: ResponseEncodable {
        var asking: Bool
        var filingNumber: String?
        var ticket: String?
    }

    func add(to router: Router<KioskRequestContext>) {
        router.post("/api/v1/evaluations/prompt") { request, context -> EditedResponse<PromptView> in
            let body = try await request.decodeJSON(PromptBody.self, context: context)
            let rating: RatingRequest
            switch (body.filingNumber, body.ticket) {
            case let (number?, nil):
                guard !number.isEmpty, number.count <= 64 else { throw APIProblem.invalid("filingNumber must be 1–64 characters") }
                rating = .filing(number)
            case let (nil, ticket?):
                guard !ticket.isEmpty, ticket.count <= 16 else { throw APIProblem.invalid("ticket must be 1–16 characters") }
                let found = try await ratings.desk.ticket(number: ticket)
                rating = .ticket(id: found.id, number: found.number.description)
            default:
                throw APIProblem.invalid("give exactly one of filingNumber and ticket")
            }
            try await ratings.admit(rating.subject, sessionId: body.sessionId, ratingCode: body.ratingCode)
            do throws(PadPromptError) {
                let prompt = try await pad.ask(rating)
                return EditedResponse(status: .accepted, response: PromptView(
                    filingNumber: prompt.filingNumber, ticket: prompt.ticket, expiresAt: prompt.expiresAt, timeoutSeconds: prompt.timeoutSeconds))
            } catch {
                switch error {
                case let .refused(refusal): throw refusal.problem
                case .padUnavailable: break
                }
                throw APIProblem(.serviceUnavailable, code: "pad-unavailable", title: "评价器暂不可用，请在屏幕上评价",
                                 detail: "the evaluation pad is unplugged or unreadable; rate with POST /api/v1/evaluations")
            }
        }
        router.delete("/api/v1/evaluations/prompt") { _, _ -> HTTPResponse.Status in
            guard await pad.cancel() else { throw APIProblem.notFound("no rating is being asked on the pad") }
            return .noContent
        }
        router.get("/api/v1/evaluations/prompt") { _, _ -> CurrentPrompt in
            let current = pad.current
            return CurrentPrompt(asking: current != nil, filingNumber: current?.filingNumber, ticket: current?.ticket)
        }
    }
}
