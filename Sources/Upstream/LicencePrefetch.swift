import Foundation
import FrontDesk
import Logging
import Synchronization
import Workflow

/// Asks the platform's licence library (`GET /v1/licences?holder=`) which electronic licences
/// (电子证照) the citizen whose card was just read holds, and records them for the session, so the
/// materials those licences cover are marked held (可用电子证照免交) when a draft opens. The wait
/// is bounded: a platform that is offline, slow or without the API leaves nothing recorded, and
/// the citizen is simply asked for the paper — never kept waiting.
public struct LicencePrefetch: Sendable {
    /// What one lookup came to.
    public enum Outcome: Sendable, Equatable {
        case found(Int)
        case failed(String)
        case timedOut
    }

    let platform: any PlatformAdapter
    let licences: SessionLicences
    let wait: Duration
    let logger: Logger

    public init(platform: any PlatformAdapter, licences: SessionLicences, wait: Duration = .milliseconds(2000), logger: Logger) {
        self.platform = platform
        self.licences = licences
        self.wait = wait
        self.logger = logger
    }

    /// Looks the applicant up within `wait`; records what was found. Never throws, never waits longer.
    @discardableResult
    public func prefetch(for applicant: Applicant) async -> Outcome {
        let platform = self.platform
        let holder = applicant.idNumber
        // Whichever comes first, the answer or the end of the wait; the loser is left behind
        // (a call that hangs runs out on its own timeout, its late answer ignored).
        let answer: Result<[PlatformLicence], PlatformError>? = await withCheckedContinuation { continuation in
            let resumed = Mutex(false)
            let finish = { @Sendable (value: Result<[PlatformLicence], PlatformError>?) in
                if resumed.withLock({ done in defer { done = true }; return !done }) { continuation.resume(returning: value) }
            }
            let call = Task {
                do throws(PlatformError) { finish(.success(try await platform.licences(holder: holder))) } catch { finish(.failure(error)) }
            }
            Task { [wait] in
                try? await Task.sleep(for: wait)
                finish(nil)
                call.cancel()
            }
        }
        switch answer {
        case nil:
            logger.notice("electronic licences: the platform did not answer in time; the paper is asked for",
                          metadata: ["waitMilliseconds": "\(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)"])
            return .timedOut
        case let .failure(error)?:
            logger.notice("electronic licences: lookup failed; the paper is asked for", metadata: ["error": "\(error)"])
            return .failed("\(error)")
        case let .success(found)?:
            licences.record(Dictionary(found.map { ($0.type, $0.reference) }, uniquingKeysWith: { first, _ in first }), for: applicant)
            return .found(found.count)
        }
    }
}
