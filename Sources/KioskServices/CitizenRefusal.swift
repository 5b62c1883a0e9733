import DeviceKit
import FrontDesk
import PageImaging
import Workflow

/// Why a citizen's request was refused by a use case (a visit that ended, a camera that could not
/// take the page, a page that failed its check, a rating nobody may give). The domain's own
/// refusals stay `FrontDeskError`/`WorkflowError`; each case here has its own problem type,
/// mapped once in KioskAPI's `Problem.swift`.
public enum CitizenRefusal: Error, Sendable {
    /// No live session with this id (ended, timed out, or never opened).
    case sessionEnded(String)
    /// The session has no ID card read yet; `forFiling` when a filing was being opened.
    case noCard(forFiling: Bool)
    /// 补交: the owed materials are looked up by the card read in the session; `tailAccepted` when
    /// the ID number's last four characters would do instead (opening a filing's supplement).
    case noCardForSupplement(tailAccepted: Bool)
    /// 帮办代办: an agent filing starts with the agent's own card read.
    case noAgentCard
    /// 帮办代办: the agent asked to read the principal's card, and it has not been read yet.
    case principalCardAwaited
    /// The draft's subject asks for no such material.
    case noSuchMaterial(String)
    /// No document camera is configured, and no page was uploaded.
    case noCamera
    /// The camera could not take the page.
    case captureFailed(CaptureError)
    /// The page (captured or uploaded, as `source` says) failed the sharpness/exposure check; it was not kept.
    case pageQuality(QualityVerdict, thresholds: QualityThresholds, source: String)
    /// The materials store refused the page (size limits, a full disk, I/O).
    case pageNotStored(MaterialsError)
    /// Neither the session that received `subject` nor its rating code came with the rating.
    case ratingNotAllowed(EvaluationSubject)
    /// The rating code given does not belong to `subject`.
    case ratingCodeWrong(EvaluationSubject)
}
