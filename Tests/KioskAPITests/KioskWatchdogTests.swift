import Foundation
import KioskTestSupport
import Logging
import Store
import Testing
import Upstream
@testable import KioskRuntime

/// The watchdog's judgement of each part, on the monotonic clock moved by hand (`stalledParts(at:)`):
/// the event loops and the store writer are stalled once silent past the watchdog timeout, the
/// relay only past its own longer bound (an attempt may take the adapter's whole deadline), and a
/// part that moves again is no longer stalled. The end-to-end test wedges a real store writer.
@Suite struct KioskWatchdogTests {
    @Test func eachPartIsStalledOnlyPastItsOwnBound() throws {
        let directory = try TemporaryDirectory("watchdog")
        defer { directory.remove() }
        let store = try KioskStore.open(directory: directory.path)
        let relay = RelayProgress()
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": "@onewindow-test-unused"]))
        let settings = KioskWatchdog.Settings(timeout: .seconds(2), relayDeadline: .seconds(15))
        #expect(settings.staleAfter == .seconds(2) && settings.relayStaleAfter == .seconds(20))
        let watchdog = KioskWatchdog(notifier: notifier, settings: settings, store: store, relay: relay, eventLoops: [],
                                     isServing: { true }, summary: { "" }, now: { Date(timeIntervalSince1970: 0) },
                                     logger: Logger(label: "watchdog-test"))
        watchdog.loopMark.succeeded()
        watchdog.storeMark.succeeded()
        relay.mark()
        let start = ContinuousClock.now
        #expect(watchdog.stalledParts(at: start + .seconds(1)).isEmpty)

        let later = watchdog.stalledParts(at: start + .seconds(3))
        #expect(later.count == 2, "\(later)")
        #expect(later.first?.hasPrefix("event loop: no task ran") == true)
        #expect(later.last?.hasPrefix("store writer: no heartbeat write committed") == true)

        watchdog.storeMark.failed("database is locked")
        let muchLater = watchdog.stalledParts(at: start + .seconds(21))
        #expect(muchLater.count == 3, "\(muchLater)")
        #expect(muchLater[1].contains("(last error: database is locked)"))
        #expect(muchLater[2].hasPrefix("outbox relay: its loop has not moved"))

        // Parts that move again are not stalled (the marks are taken now, so ask a second later).
        watchdog.loopMark.succeeded()
        watchdog.storeMark.succeeded()
        relay.mark()
        #expect(watchdog.stalledParts(at: ContinuousClock.now + .seconds(1)).isEmpty)
    }

    @Test func notifyRefusesASocketNameThatIsNotAPathOrAnAbstractName() {
        #expect(SystemdNotifier(environment: [:]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "relative/path"]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/systemd/notify"])?.socketName == "/run/systemd/notify")
        #expect(SystemdNotifier.watchdogTimeout(environment: ["WATCHDOG_USEC": "30000000"]) == .seconds(30))
        #expect(SystemdNotifier.watchdogTimeout(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"]) == nil,
                "a watchdog meant for another process")
        #expect(SystemdNotifier.watchdogTimeout(environment: ["WATCHDOG_USEC": "0"]) == nil)
    }
}
