import AsyncAlgorithms
import Foundation
import Workflow
import FrontDesk
import Logging
import ServiceLifecycle
import Store
import Synchronization

/// The outbox's state as health, `/metrics` and staff alerts show it, refreshed every few seconds
/// in the background (a health check answers thousands of times a second and must not query the
/// store each time). Also says whether the platform is reachable now: its last attempt failed
/// after its last success.
public final class OutboxWatch: Service, Sendable {
    /// `simulated` or `http`: whether filings reach a real platform.
    public let platform: String
    let ledger: OutboxLedger
    let clock: any KioskClock
    let interval: Duration
    let logger: Logger
    private let latest = Mutex<OutboxReport?>(nil)

    public init(store: KioskStore, platform: String, clock: any KioskClock = SystemClock(), interval: Duration = .seconds(5),
                logger: Logger) {
        ledger = OutboxLedger(store: store)
        self.platform = platform
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    /// The last report read (nil before the first refresh).
    public var report: OutboxReport? { latest.withLock { $0 } }

    /// Reads the report now.
    @discardableResult
    public func refresh() async -> OutboxReport? {
        do {
            let report = try await ledger.report(now: clock.now(), rowLimit: 0)
            latest.withLock { $0 = report }
            return report
        } catch {
            logger.error("cannot read the outbox state", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The relay's pass is recorded: a pass that changes what health says — the first failure
    /// while the platform counted as reachable, the first delivery while offline, a rejection —
    /// re-reads the report at once, so health turns `offline` at the first failed attempt rather
    /// than at the next refresh (and back as soon as the platform answers).
    public func relayPassed(_ pass: OutboxRelay.Pass) async {
        let offline = report?.isOffline ?? false
        if (pass.failed > 0 && !offline) || (pass.delivered > 0 && offline) || pass.rejected > 0 { await refresh() }
    }

    public func run() async throws {
        await refresh()
        for await _ in AsyncTimerSequence.repeating(every: interval).cancelOnGracefulShutdown() { await refresh() }
    }
}

extension OutboxReport {
    /// The platform's last attempt failed after its last success (or nothing ever got through),
    /// with rows waiting: the kiosk is working offline.
    public var isOffline: Bool {
        guard depth > 0, let failure = lastFailureAt else { return false }
        return lastSuccessAt.map { failure > $0 } ?? true
    }
}
