import FakePlatform
import Foundation
import KioskTestSupport
import Testing

/// A real kioskd whose platform refuses connections: health says `offline`, naming the refusal,
/// within seconds of the first filing — not after each attempt has waited out the connect timeout
/// (async-http-client's own connect retry) while health still said `ok`.
@Suite struct UpstreamRefusedEndToEndTests {
    @Test func healthIsOfflineSoonAfterTheFirstRefusedAttempt() async throws {
        let platform = try await FakePlatform.start(expectedToken: UpstreamEndToEndTests.token)
        let endpoint = platform.baseURL
        try await platform.stop()   // nothing listens there any more: connections are refused
        let fixture = try UpstreamEndToEndTests.fixture(endpoint: endpoint)   // timeoutSeconds: 30
        defer { fixture.remove() }
        let kioskd = try KioskdProcess(config: fixture.directory, environment: ["ONEWINDOW_E2E_TOKEN": UpstreamEndToEndTests.token])
        try kioskd.waitFor("/api/v1/health", status: 200)
        #expect(try UpstreamEndToEndTests.upstream(kioskd).upstream["state"] as? String == "ok")

        _ = try UpstreamEndToEndTests.file(kioskd.baseURL)
        let clock = ContinuousClock()
        let submitted = clock.now
        try UpstreamEndToEndTests.waitUntil("health to report the platform offline", timeout: .seconds(60)) {
            try UpstreamEndToEndTests.upstream(kioskd).upstream["state"] as? String == "offline"
        }
        let took = clock.now - submitted
        #expect(took < .seconds(15), "offline after \(took); the connect timeout is 30 s")
        let (status, upstream) = try UpstreamEndToEndTests.upstream(kioskd)
        #expect(status == "degraded")
        #expect((upstream["lastError"] as? String)?.contains("connection refused") == true, "\(upstream)")
        #expect(try kioskd.terminate() == 0)
    }
}
