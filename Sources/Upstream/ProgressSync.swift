import AsyncAlgorithms
import Foundation
import FrontDesk
import Logging
import ServiceLifecycle
import Store
import Synchronization
import Workflow

/// Progress sync: asks the platform how far it has got with the filings it received and replays
/// its steps on the local filing (startHandling, suspend, resume, conclude, deliver), each one an
/// audited transition by the platform, so the slip's QR page shows the back office's progress.
///
/// Adaptive: a filing submitted in the last day is asked every `freshInterval`, in the last week
/// every `recentInterval`, older ones every `oldInterval`; never-asked filings first. All of it
/// within `maximumRequestsPerMinute` (a token bucket), however many filings are open.
public final class ProgressSync: Service, Sendable {
    /// How often filings are asked about, and the request budget.
    public struct Options: Sendable, Hashable {
        public var maximumRequestsPerMinute: Int
        public var freshInterval: TimeInterval
        public var recentInterval: TimeInterval
        public var oldInterval: TimeInterval
        /// How often the service looks for due filings.
        public var tick: Duration

        public init(maximumRequestsPerMinute: Int = 30, freshInterval: TimeInterval = 300, recentInterval: TimeInterval = 3600,
                    oldInterval: TimeInterval = 6 * 3600, tick: Duration = .seconds(2)) {
            self.maximumRequestsPerMinute = maximumRequestsPerMinute
            self.freshInterval = freshInterval
            self.recentInterval = recentInterval
            self.oldInterval = oldInterval
            self.tick = tick
        }
    }

    /// What one pass did.
    public struct Pass: Sendable, Hashable {
        /// Filings asked about.
        public var asked = 0
        /// Lifecycle steps replayed.
        public var stepsApplied = 0
        /// Asked, and nothing new.
        public var unchanged = 0
        /// The platform could not be asked (it is retried at the filing's next turn).
        public var failed = 0
        /// The platform reports a status the local lifecycle cannot reach by the platform's steps.
        public var notReplayable = 0

        public init() {}
    }

    /// The statuses in which the platform may still move a filing.
    static let followedStatuses = ["accepted", "conditionallyAccepted", "correctionNotified", "inProgress", "suspended",
                                   "concluded.approved", "concluded.denied"]

    let desk: FrontDesk
    let store: KioskStore
    let platform: any PlatformAdapter
    let clock: any KioskClock
    let options: Options
    let logger: Logger
    private let bucket: Mutex<(tokens: Double, at: Date?)>

    public init(desk: FrontDesk, store: KioskStore, platform: any PlatformAdapter, clock: any KioskClock = SystemClock(),
                options: Options = Options(), logger: Logger) {
        self.desk = desk
        self.store = store
        self.platform = platform
        self.clock = clock
        self.options = options
        self.logger = logger
        bucket = Mutex((Double(max(options.maximumRequestsPerMinute, 1)), nil))
    }

    public func run() async throws {
        _ = await runOnce()
        for await _ in AsyncTimerSequence.repeating(every: options.tick).cancelOnGracefulShutdown() { _ = await runOnce() }
    }

    /// Asks about the filings that are due, as many as the budget allows, and replays what changed.
    public func runOnce(now: Date? = nil) async -> Pass {
        let now = now ?? clock.now()
        var pass = Pass()
        let due: [(number: String, status: String, platformStatus: String?)]
        do {
            due = try await dueFilings(now: now, limit: options.maximumRequestsPerMinute)
        } catch {
            logger.error("progress sync cannot read filings", metadata: ["error": "\(error)"])
            return pass
        }
        for filing in due {
            guard takeToken(now: now) else { break }
            pass.asked += 1
            let answer: PlatformFilingStatus
            do {
                answer = try await platform.filingStatus(number: filing.number)
            } catch {
                pass.failed += 1
                logger.notice("progress sync: the platform did not answer", metadata: ["filing": "\(filing.number)", "error": "\(error)"])
                await recordChecked(filing.number, platformStatus: filing.platformStatus, at: now)
                if !error.isPermanent { break }   // offline: ask again at the next turns, not filing after filing now
                continue
            }
            await recordResult(filing.number, collection: answer.collection, mailing: answer.mailing)
            guard let target = Self.localStatus(forPlatformStatus: answer.status),
                  let local = FilingStatus(filing.status), target != local else {
                pass.unchanged += 1
                await recordChecked(filing.number, platformStatus: answer.status, at: now)
                continue
            }
            guard let steps = FilingLifecycle.path(from: local, to: target, by: .platform) else {
                pass.notReplayable += 1
                if answer.status != filing.platformStatus {
                    logger.warning("progress sync: the platform's status cannot be reached from the local one",
                                   metadata: ["filing": "\(filing.number)", "local": "\(local)", "platform": "\(answer.status)"])
                }
                await recordChecked(filing.number, platformStatus: answer.status, at: now)
                continue
            }
            let note = answer.history.last.map { "platform \(answer.status) at \(Self.timestamp($0.at))" }
            for event in steps {
                do {
                    _ = try await desk.apply(event, toFiling: filing.number, by: .platform, reason: note)
                    pass.stepsApplied += 1
                } catch {
                    logger.error("progress sync cannot record the platform's step",
                                 metadata: ["filing": "\(filing.number)", "event": "\(event)", "error": "\(error)"])
                    break
                }
            }
            logger.info("progress sync: platform steps recorded",
                        metadata: ["filing": "\(filing.number)", "from": "\(local)", "to": "\(target)", "steps": "\(steps.count)"])
            await recordChecked(filing.number, platformStatus: answer.status, at: now)
        }
        return pass
    }

    /// The local status a platform status names: the lifecycle's own names (`inProgress`,
    /// `concluded.approved`, `delivered.mailed`…); the platform's "received"/"accepted" and unknown
    /// names change nothing.
    public static func localStatus(forPlatformStatus status: String) -> FilingStatus? {
        switch status {
        case "received", "submitted", "accepted", "conditionallyAccepted": return nil
        case "concluded": return .concluded(.approved)
        default:
            guard let parsed = FilingStatus(status), parsed != .draft else { return nil }
            return parsed
        }
    }

    // MARK: - Store

    /// Followed filings the platform has received (their filing row delivered) whose turn has come:
    /// never asked first, then the longest unasked.
    func dueFilings(now: Date, limit: Int) async throws -> [(number: String, status: String, platformStatus: String?)] {
        try await store.read { [self] tx in
            try tx.filings.dueForProgressCheck(statuses: Self.followedStatuses, now: now, freshInterval: options.freshInterval,
                                               recentInterval: options.recentInterval, oldInterval: options.oldInterval, limit: limit)
                .map { ($0.number, $0.status, $0.platformStatus) }
        }
    }

    /// Keeps where the result is collected, or its waybill, when the platform says so.
    private func recordResult(_ number: String, collection: PlatformFilingStatus.Collection?, mailing: PlatformFilingStatus.Mailing?) async {
        guard collection != nil || mailing != nil else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = { (value: (any Encodable)?) -> String? in value.flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) } }
        do {
            let (collectionJSON, mailingJSON) = (json(collection), json(mailing))
            try await store.write { tx in try tx.filings.recordResult(number: number, collection: collectionJSON, mailing: mailingJSON) }
        } catch {
            logger.error("progress sync cannot record where the result is", metadata: ["filing": "\(number)", "error": "\(error)"])
        }
    }

    private func recordChecked(_ number: String, platformStatus: String?, at date: Date) async {
        do {
            try await store.write { tx in try tx.filings.recordPlatformCheck(number: number, platformStatus: platformStatus, at: date) }
        } catch {
            logger.error("progress sync cannot record its check", metadata: ["filing": "\(number)", "error": "\(error)"])
        }
    }

    /// One request from the budget: `maximumRequestsPerMinute` refilled evenly, at most a minute's worth saved up.
    private func takeToken(now: Date) -> Bool {
        let rate = Double(max(options.maximumRequestsPerMinute, 1)) / 60
        let capacity = Double(max(options.maximumRequestsPerMinute, 1))
        return bucket.withLock { state in
            if let last = state.at { state.tokens = min(capacity, state.tokens + max(now.timeIntervalSince(last), 0) * rate) }
            state.at = now
            guard state.tokens >= 1 else { return false }
            state.tokens -= 1
            return true
        }
    }

    private static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
