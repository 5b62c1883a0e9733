import Foundation
import KioskTestSupport
import Testing

/// `GET /metrics` of a real kioskd: requests are counted by Hummingbird's `MetricsMiddleware`
/// through swift-metrics and the Prometheus factory, under their route pattern and status (one
/// process, one `MetricsSystem`: counted here, where no other kiosk shares the process).
@Suite struct MetricsEndToEndTests {
    @Test func requestsAreCountedByRoutePatternAndStatus() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        try fixture.bindPrintersToSimulator()
        let kioskd = try KioskdProcess(config: fixture.directory)
        try kioskd.waitFor("/api/v1/health", status: 200)
        #expect(HTTP.request("POST", kioskd.baseURL + "/api/v1/sessions")?.status == 201)
        #expect(HTTP.request("GET", kioskd.baseURL + "/api/v1/catalog/items/NOSUCH")?.status == 404)
        let answer = try #require(HTTP.request("GET", kioskd.baseURL + "/metrics"))
        #expect(answer.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = String(decoding: answer.body, as: UTF8.self)
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"kiosk_http_requests_total{method="POST",route="/api/v1/sessions",status="201"} 1"#), "\(text)")
        // A concrete path is counted under its pattern, so labels stay bounded.
        #expect(lines.contains(#"kiosk_http_requests_total{method="GET",route="/api/v1/catalog/items/{code}",status="404"} 1"#))
        #expect(text.contains(#"kiosk_http_request_duration_seconds_bucket{method="POST",route="/api/v1/sessions",le="#))
        // The kiosk's own gauges sit beside them in the same scrape.
        #expect(lines.contains("kiosk_sessions_open 1.0"))
        #expect(try kioskd.terminate() == 0)
    }
}
