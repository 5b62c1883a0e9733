import FrontDesk
import Store
import Workflow

/// The use case "take a queue ticket": a card holder with an appointment today in the category
/// checks in (a priority ticket, the same one if already checked in); anyone else gets a new
/// ticket, one waiting ticket per person per category. A ticket taken in a screen session may be
/// rated from that session; its slip is printed through `SlipDesk`. 绿色通道: a card holder old
/// enough (the card's birth date, the hall's threshold) or a citizen declaring a ground the hall
/// offers (disabled, pregnant: the window staff verify it) gets a priority ticket.
public struct TicketCounter: Sendable {
    let desk: FrontDesk

    public init(desk: FrontDesk) { self.desk = desk }

    /// The ticket for `category`: the applicant's appointment checked in, or a new one.
    public func ticket(category: String, applicant: Applicant?, declared: DeclaredGround? = nil) async throws(FrontDeskError) -> QueueTicket {
        if let applicant, let checkedIn = try await desk.checkIn(applicant: applicant), checkedIn.category == category {
            return checkedIn
        }
        return try await desk.issueTicket(category: category, applicant: applicant, declared: declared)
    }

    /// A ticket taken at the screen: in session `sessionID` (the card's holder, who may then rate
    /// it) or anonymously, with its slip printed.
    public func take(category: String, sessionID: String?, declared: DeclaredGround? = nil, visit: CitizenVisit,
                     slips: SlipDesk) async throws -> (QueueTicket, SlipOutcome) {
        let applicant = try sessionID.map { id throws(CitizenRefusal) in try visit.liveSession(id).identity } ?? nil
        let ticket = try await ticket(category: category, applicant: applicant, declared: declared)
        if let sessionID { visit.sessions.recordService(.ticket(ticket.id), in: sessionID) }
        return (ticket, await slips.printTicket(ticket))
    }
}
