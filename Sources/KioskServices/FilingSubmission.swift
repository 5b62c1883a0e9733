import FrontDesk
import Store
import Workflow

/// The use case "submit and print": the front desk takes the acceptance decision and files the
/// draft in one transaction (the draft loaded once, its visit checked live inside it); the visit
/// may then rate what it filed; each filing's acceptance notice (or 容缺受理单) is printed through
/// `SlipDesk`'s printer failover.
public struct FilingSubmission: Sendable {
    let visit: CitizenVisit
    let slips: SlipDesk

    /// What a submit came to.
    public enum Outcome: Sendable {
        /// Filed: each item's filing, and what became of the first notice.
        case filed([FilingRecord], slip: SlipOutcome)
        /// Required materials are missing; nothing was filed.
        case incomplete([MissingMaterial])
        /// Only deferrable materials are missing; the applicant must sign the commitment first.
        case commitmentRequired([DeferredMaterial])
    }

    public init(visit: CitizenVisit, slips: SlipDesk) {
        self.visit = visit
        self.slips = slips
    }

    public func submit(draftID: String, commitmentSigned: Bool, mailing: MailingAddress?) async throws -> Outcome {
        let (result, applicant, agent, session) = try await visit.desk.submitDraft(draftID: draftID, commitmentSigned: commitmentSigned, mailing: mailing,
                                                                   visitIsLive: visit.isLive)
        switch result {
        case let .incomplete(missing): return .incomplete(missing)
        case let .commitmentRequired(deferred): return .commitmentRequired(deferred)
        case let .filed(records):
            // The session that submitted may rate what it filed (and nobody else without the slip's code).
            if let session {
                for number in records.compactMap(\.number) { visit.sessions.recordService(.filing(number), in: session) }
            }
            let slip = await slips.printNotices(records, applicant: applicant, agent: agent, commitmentSigned: commitmentSigned)
            return .filed(records, slip: slip)
        }
    }
}
