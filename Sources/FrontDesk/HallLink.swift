import Crypto
import Foundation
import Logging
import ServiceLifecycle
import Store
import Synchronization
import Workflow

/// The kiosk's link to the hall's shared queue (hall mode, `hall: {store: postgres, url: …}`):
/// the hall store, whether it answers, and the issue requests whose answer an outage swallowed.
///
/// Outage behaviour (documented in the README): while the hall database cannot be reached the
/// kiosk **refuses tickets** (503 `hall-unavailable`, 排队叫号系统暂时连接不上…) and health says so —
/// it never numbers on its own, so no number can collide. A request sent just before the cut
/// may have been committed without the kiosk hearing back; its id is kept, and when the database
/// answers again (the link's check, or before the next issue) each such request is looked up:
/// a ticket it did issue was never handed out (no slip, the screen said "refused"), so it is
/// cancelled before any window can call it.
public final class HallLink: Sendable {
    public let store: HallStore
    public let kioskID: String
    /// How long a skipped (过号) ticket may be put back in the queue.
    public let skipGrace: TimeInterval
    /// The hall's auto-assign option: waiting tickets are offered to the longest-idle open window.
    public let autoAssign: Bool
    /// The kiosks the hall expects (kiosk.yaml `hall.kiosks`): the fleet view lists one that never
    /// sent a heartbeat as "never sent".
    public let knownKiosks: [String]
    /// Seconds between this kiosk's heartbeats (`hall.heartbeatSeconds`); the fleet view calls a
    /// kiosk silent after three missed ones.
    public let heartbeatSeconds: Double
    let logger: Logger
    private let state = Mutex(LinkState())
    private let secret = Mutex<SymmetricKey?>(nil)

    struct LinkState {
        var reachable: Bool?
        var since: Date?
        var lastError: String?
        var lastCheckedAt: Date?
        /// Issue requests whose outcome is unknown, with when they were sent.
        var inDoubt: [UUID: Date] = [:]
        var reconciled = 0
    }

    /// What health, the staff and `kioskctl` see of the link.
    public struct Status: Sendable, Codable, Hashable {
        public var store: String
        public var url: String
        /// `ok`, `unreachable`, or `unknown` before the first check.
        public var state: String
        public var since: Date?
        public var lastError: String?
        public var lastCheckedAt: Date?
        /// Issue requests sent just before an outage, waiting to be looked up.
        public var inDoubt: Int
        /// Tickets found and cancelled by the reconcile since start.
        public var reconciledCancelled: Int
    }

    public init(store: HallStore, kioskID: String, skipGrace: TimeInterval = 600, autoAssign: Bool = false, knownKiosks: [String] = [],
                heartbeatSeconds: Double = 30, logger: Logger) {
        self.store = store
        self.kioskID = kioskID
        self.skipGrace = skipGrace
        self.autoAssign = autoAssign
        self.knownKiosks = knownKiosks
        self.heartbeatSeconds = heartbeatSeconds
        self.logger = logger
    }

    public var status: Status {
        state.withLock { s in
            Status(store: "postgres", url: store.redactedURL, state: s.reachable.map { $0 ? "ok" : "unreachable" } ?? "unknown",
                   since: s.since, lastError: s.lastError, lastCheckedAt: s.lastCheckedAt, inDoubt: s.inDoubt.count,
                   reconciledCancelled: s.reconciled)
        }
    }

    public var isUnreachable: Bool { state.withLock { $0.reachable == false } }

    func succeeded(at date: Date) {
        let recovered = state.withLock { s -> Bool in
            let was = s.reachable
            if was != true { s.since = date }
            s.reachable = true
            s.lastError = nil
            s.lastCheckedAt = date
            return was == false
        }
        if recovered { logger.notice("hall database reachable again") }
    }

    func failed(_ error: HallStoreError, at date: Date) {
        guard case let .unavailable(why) = error else { return }
        let first = state.withLock { s -> Bool in
            let was = s.reachable
            if was != false { s.since = date }
            s.reachable = false
            s.lastError = why
            s.lastCheckedAt = date
            return was != false
        }
        if first { logger.error("hall database unreachable: tickets are refused until it returns", metadata: ["error": "\(why)"]) }
    }

    func markInDoubt(_ request: UUID, at date: Date) {
        state.withLock { $0.inDoubt[request] = date }
    }

    func settled(_ request: UUID) {
        _ = state.withLock { $0.inDoubt.removeValue(forKey: request) }
    }

    var hasInDoubt: Bool { state.withLock { !$0.inDoubt.isEmpty } }

    /// Runs a hall store call, keeping the link's state: an unreachable database is remembered
    /// (health) and answered as `FrontDeskError.hallUnavailable`.
    func call<T: Sendable>(at date: Date, _ body: () async throws(HallStoreError) -> T) async throws(HallStoreError) -> T {
        do {
            let value = try await body()
            succeeded(at: date)
            return value
        } catch {
            failed(error, at: date)
            throw error
        }
    }

    /// Pings the hall database; when it answers, settles the requests left in doubt.
    @discardableResult
    public func check(now: Date) async -> Bool {
        do {
            try await call(at: now) { () async throws(HallStoreError) in try await store.ping() }
        } catch {
            return false
        }
        if hasInDoubt { await reconcile(now: now) }
        return true
    }

    /// Looks up every request whose answer was lost: a ticket it issued is cancelled (nobody holds
    /// its slip); a request that never reached the database is forgotten. Requests the database
    /// cannot answer for yet stay in doubt.
    public func reconcile(now: Date) async {
        let pending = state.withLock { Array($0.inDoubt.keys) }
        for request in pending {
            do {
                if try await store.ticket(requestID: request) != nil {
                    let cancelled = try await store.cancelUnhanded(requestID: request, at: now)
                    if cancelled {
                        state.withLock { $0.reconciled += 1 }
                        logger.warning("hall reconcile: a ticket issued during the outage was never handed out; cancelled",
                                       metadata: ["request": "\(request)"])
                    }
                }
                settled(request)
            } catch {
                failed(error, at: now)
                return
            }
        }
    }

    /// The hall's secret for applicant keys (the same on every kiosk, so "one waiting ticket per
    /// person" holds across the hall), fetched once.
    func applicantSecret() async throws(HallStoreError) -> SymmetricKey {
        if let cached = secret.withLock({ $0 }) { return cached }
        let proposed = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let bytes = try await store.secret(proposing: proposed)
        let key = SymmetricKey(data: bytes)
        secret.withLock { $0 = key }
        return key
    }
}

/// Checks the hall database every interval (health's `hall` and the reconcile after an outage).
public struct HallLinkService: Service {
    let link: HallLink
    let clock: any KioskClock
    let interval: Duration

    public init(link: HallLink, clock: any KioskClock, interval: Duration = .seconds(2)) {
        self.link = link
        self.clock = clock
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await link.check(now: clock.now())
            let interval = interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        link.store.shutdown()
    }
}
