import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Store
import Synchronization
import Upstream

/// kioskd's side of systemd's watchdog: `READY=1` once the kiosk first answers healthy (listening,
/// every device past its first check — or 30 s gone —, every progress probe through once), then `WATCHDOG=1` every half
/// `WatchdogSec` — but only while each of the three parts that keep a kiosk alive is seen making
/// progress, never from a timer alone:
/// - the **event loops** (HTTP, platform client): a no-op task submitted to every NIO loop must run;
/// - the **store writer**: a heartbeat row written through the one writer (lock, WAL, fsync) must
///   commit — it cannot while a write hangs or another process holds the database's write lock;
/// - the **outbox relay**: its loop must mark a turn or a finished attempt (`RelayProgress`).
/// A part silent for longer than its bound withholds `WATCHDOG=1`, so systemd kills and restarts
/// kioskd one `WatchdogSec` later. `STATUS=` says what a technician reads in `systemctl status`:
/// the kiosk's health in one line, or which part stopped and since when.
public final class KioskWatchdog: Service, Sendable {
    /// What the watchdog watches and how patient it is with each part.
    public struct Settings: Sendable {
        /// `$WATCHDOG_USEC`; nil: READY and STATUS only, no keep-alive pings.
        public var timeout: Duration?
        /// How long the event loops and the store writer may stay silent (default: the timeout).
        public var staleAfter: Duration
        /// How long the relay may stay silent: a delivery attempt may legitimately take up to the
        /// platform adapter's whole deadline.
        public var relayStaleAfter: Duration

        public init(timeout: Duration?, relayDeadline: Duration) {
            self.timeout = timeout
            staleAfter = max(timeout ?? .seconds(30), .seconds(1))
            relayStaleAfter = max(staleAfter, relayDeadline + .seconds(5))
        }

        /// Pings go every half timeout (sd_watchdog_enabled(3)'s advice), status every 5 s without one.
        var tick: Duration { timeout.map { $0 / 2 } ?? .seconds(5) }
    }

    /// One probe's last success, and its last failure's text.
    final class Mark: Sendable {
        private let state: Mutex<(done: ContinuousClock.Instant?, error: String?)> = Mutex((nil, nil))
        func succeeded() { let now = ContinuousClock.now; state.withLock { $0 = (now, nil) } }
        func failed(_ error: String) { state.withLock { $0.error = error } }
        var last: (done: ContinuousClock.Instant?, error: String?) { state.withLock { $0 } }
    }

    let notifier: SystemdNotifier
    let settings: Settings
    let store: KioskStore
    let relay: RelayProgress
    let eventLoops: [any EventLoop]
    /// Whether the kiosk answers yet (HTTP listening, health past `starting`).
    let isServing: @Sendable () -> Bool
    /// Devices still in their first check (`starting`); READY waits for them up to `deviceGrace`,
    /// then goes anyway (a device that never comes up must not keep the kiosk from serving the rest).
    let devicesStarting: @Sendable () -> [String]
    let deviceGrace: Duration
    /// The kiosk's health in one line for `STATUS=`.
    let summary: @Sendable () -> String
    let now: @Sendable () -> Date
    let logger: Logger
    let loopMark = Mark()
    let storeMark = Mark()
    let started = ContinuousClock.now

    public init(notifier: SystemdNotifier, settings: Settings, store: KioskStore, relay: RelayProgress, eventLoops: [any EventLoop],
                isServing: @escaping @Sendable () -> Bool, devicesStarting: @escaping @Sendable () -> [String] = { [] },
                deviceGrace: Duration = .seconds(30), summary: @escaping @Sendable () -> String,
                now: @escaping @Sendable () -> Date, logger: Logger) {
        self.devicesStarting = devicesStarting
        self.deviceGrace = deviceGrace
        self.notifier = notifier
        self.settings = settings
        self.store = store
        self.relay = relay
        self.eventLoops = eventLoops
        self.isServing = isServing
        self.summary = summary
        self.now = now
        self.logger = logger
    }

    public func run() async throws {
        logger.info("systemd notification on", metadata: [
            "socket": "\(notifier.socketName)",
            "watchdog": "\(settings.timeout.map { "\($0)" } ?? "off")",
            "staleAfter": "\(settings.staleAfter)", "relayStaleAfter": "\(settings.relayStaleAfter)",
        ])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.probeLoop(every: self.settings.tick / 2, mark: self.loopMark) { try await self.pingEventLoops() } }
            group.addTask {
                await self.probeLoop(every: self.settings.tick / 2, mark: self.storeMark) { _ = try await self.store.heartbeat(at: self.now()) }
            }
            group.addTask { await self.notifyLoop() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        send(["STOPPING=1", "STATUS=kioskd stopping"])
    }

    /// Runs `probe` again and again, `interval` apart; a probe that hangs stops the marks.
    private func probeLoop(every interval: Duration, mark: Mark, _ probe: @Sendable () async throws -> Void) async {
        while !Task.isCancelled {
            do {
                try await probe()
                mark.succeeded()
            } catch {
                mark.failed("\(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// A no-op submitted to every NIO event loop, awaited in turn.
    private func pingEventLoops() async throws {
        for loop in eventLoops { try await loop.submit {}.get() }
    }

    /// The parts silent for too long, each as a sentence; empty when all are moving.
    func stalledParts(at instant: ContinuousClock.Instant = .now) -> [String] {
        var stalled: [String] = []
        func check(_ name: String, _ mark: Mark, _ what: String) {
            let (done, error) = mark.last
            let since = done ?? started
            let silent = instant - since
            guard silent > settings.staleAfter else { return }
            stalled.append("\(name): \(what) for \(Self.seconds(silent))" + (error.map { " (last error: \($0))" } ?? ""))
        }
        check("event loop", loopMark, "no task ran on the NIO event loops")
        check("store writer", storeMark, "no heartbeat write committed")
        let relayLast = relay.last
        let relaySilent = instant - relayLast.at
        if relaySilent > settings.relayStaleAfter {
            stalled.append("outbox relay: its loop has not moved for \(Self.seconds(relaySilent))")
        }
        return stalled
    }

    /// Every probe through at least once.
    private var probesDone: Bool { loopMark.last.done != nil && storeMark.last.done != nil }

    private func notifyLoop() async {
        // READY once the kiosk is serving and every probe has come through.
        while !Task.isCancelled {
            if isServing(), probesDone, stalledParts().isEmpty {
                let starting = devicesStarting()
                if starting.isEmpty || ContinuousClock.now - started > deviceGrace {
                    if !starting.isEmpty {
                        logger.warning("ready with devices still starting", metadata: ["devices": "\(starting.joined(separator: ","))"])
                    }
                    send(["READY=1", "STATUS=ready: " + summary()])
                    logger.notice("told systemd kioskd is ready")
                    break
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        var withheld = false
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.tick)
            if Task.isCancelled { break }
            let stalled = stalledParts()
            if stalled.isEmpty {
                if withheld { logger.notice("watchdog: every part moves again; keep-alive resumed") }
                withheld = false
                send((settings.timeout == nil ? [] : ["WATCHDOG=1"]) + ["STATUS=" + summary()])
            } else {
                let text = stalled.joined(separator: "; ")
                if !withheld {
                    logger.critical("watchdog: keep-alive withheld, systemd will restart kioskd if this lasts", metadata: ["stalled": "\(text)"])
                }
                withheld = true
                send(["STATUS=watchdog withheld: " + text])
            }
        }
    }

    /// Whether the last notification failed (a failure is logged once, not at every tick).
    private let failing = Mutex(false)

    private func send(_ assignments: [String]) {
        do {
            try notifier.notify(assignments)
            if failing.withLock({ let was = $0; $0 = false; return was }) { logger.notice("systemd notifications go through again") }
        } catch {
            if !failing.withLock({ let was = $0; $0 = true; return was }) {
                logger.error("cannot notify systemd", metadata: ["error": "\(error)"])
            }
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.1f s", Double(seconds) + Double(attoseconds) / 1e18)
    }
}

/// Set once the HTTP server listens (Hummingbird's `onServerRunning`); the watchdog reads it.
final class ListeningFlag: Sendable {
    private let state = Mutex(false)
    func set() { state.withLock { $0 = true } }
    var isSet: Bool { state.withLock { $0 } }
}
