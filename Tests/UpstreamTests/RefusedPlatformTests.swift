import FakePlatform
import Foundation
import Logging
import Testing
import Upstream

/// A platform that refuses connections: each attempt fails at once (async-http-client's own
/// connect retry would wait out the whole connect timeout), the reason names the cause, and
/// health says `offline` after the first failed attempt, not at the next periodic refresh.
@Suite struct RefusedPlatformTests {
    /// The address of a platform that was there and is gone: connections to it are refused.
    static func refusedEndpoint() async throws -> String {
        let platform = try await FakePlatform.start()
        let url = platform.baseURL
        try await platform.stop()
        return url
    }

    @Test func aRefusedConnectionFailsAtOnceAndSaysRefused() async throws {
        let url = try await Self.refusedEndpoint()
        // A long connect timeout, so that "at once" stays far below it however loaded the machine is
        // (the whole suite on two cores delayed a refused connect by several seconds).
        let adapter = HTTPPlatformAdapter(endpoint: url, token: BearerToken("refused-test-token-7c2e"), timeoutSeconds: 60, logger: Logger(label: "test"))
        let clock = ContinuousClock()
        let start = clock.now
        do {
            try await adapter.putPage(sha256: String(repeating: "a", count: 64), bytes: [1])
            Issue.record("sent to nobody")
        } catch {
            #expect(error.kind == .transient)
            #expect(error.reason.contains("connection refused"), "\(error.reason)")
            #expect(!error.reason.contains("reset"), "\(error.reason)")
        }
        let elapsed = clock.now - start
        #expect(elapsed < .seconds(30), "a refused connection took \(elapsed) (the connect timeout is 60 s)")
        await adapter.shutdown()
    }

    @Test func healthIsOfflineAfterTheFirstFailedAttempt() async throws {
        try await RelayRig.run { rig in
            _ = try await rig.file(1)
            let watch = OutboxWatch(store: rig.store, platform: "http", clock: rig.clock, interval: .seconds(3600), logger: Logger(label: "test"))
            await watch.refresh()
            #expect(watch.report?.isOffline == false)
            let adapter = HTTPPlatformAdapter(endpoint: try await Self.refusedEndpoint(), token: BearerToken(RelayRig.token),
                                              timeoutSeconds: 10, logger: Logger(label: "test"))
            let relay = OutboxRelay(store: rig.store, platform: adapter, pages: rig.pages, options: .init(kioskID: "TZ01"),
                                    clock: rig.clock, jitter: FixedJitter(0.5), onPass: { await watch.relayPassed($0) })
            let pass = await relay.runOnce()
            await adapter.shutdown()
            #expect(pass.failed == 1)
            // Nobody refreshed the watch by hand (its own interval is an hour): the failed pass did.
            let report = try #require(watch.report)
            #expect(report.isOffline)
            #expect(report.lastError?.contains("connection refused") == true, "\(report.lastError ?? "nil")")
        }
    }
}
