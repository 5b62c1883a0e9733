import Foundation
import Synchronization
import Workflow

/// The electronic licences (电子证照) the platform's licence library said the citizen at the screen
/// holds, kept in memory for that session only (`clear()` when it ends), on top of what the card
/// itself proves (`CardReadLicences`). The front desk reads it synchronously when a draft opens;
/// whoever asks the platform (`Upstream.LicencePrefetch`) fills it in, within a bounded wait, so a
/// slow or offline platform only means the paper is asked for.
public final class SessionLicences: ElectronicLicenceLookup, Sendable {
    private let fromCard = CardReadLicences()
    /// ID number → licence type → reference (one citizen at a time, so at most one entry).
    private let known = Mutex<[String: [String: String]]>([:])

    public init() {}

    public func licences(for applicant: Applicant) -> [String: String] {
        let platform = known.withLock { $0[applicant.idNumber.uppercased()] } ?? [:]
        return fromCard.licences(for: applicant).merging(platform) { card, _ in card }
    }

    /// Records what the platform said `applicant` holds (type → reference).
    public func record(_ licences: [String: String], for applicant: Applicant) {
        known.withLock { $0[applicant.idNumber.uppercased()] = licences }
    }

    /// Forgets everything (the session ended): no personal datum outlives the session.
    public func clear() {
        known.withLock { $0.removeAll() }
    }

    /// Whether anything is held (for tests and diagnostics).
    public var isEmpty: Bool { known.withLock { $0.isEmpty } }
}
