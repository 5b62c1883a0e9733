import Foundation
import Hummingbird
import HummingbirdTesting
import KioskTestSupport
import Logging
import NIOCore
import Testing
@testable import KioskAPI
@testable import KioskRuntime

/// `GET /metrics`: Prometheus text with the kiosk's state read at scrape time (the request
/// counters by route pattern: `MetricsEndToEndTests`, against a real kioskd).
@Suite struct MetricsTests {
    @Test func requestsDevicesSessionsAndOutboxAreExposed() async throws {
        let data = try TemporaryDirectory("metrics")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: RepoPaths.defaultConfig, dataDirectory: data.path),
                                      logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/api/v1/sessions", method: .post) { #expect($0.status == .created) }
            try await client.execute(uri: "/api/v1/catalog/items/NOSUCH", method: .get) { #expect($0.status == .notFound) }
            // Then the devices are looked at: the printers' CUPS is not there in this test.
            await kiosk.monitor.pollOnce()
            let text = try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                return String(buffer: response.body)
            }
            let lines = Set(text.split(separator: "\n").map(String.init))
            // The request counters are one per process (swift-metrics' MetricsSystem), which this
            // test shares with every other in-process kiosk: MetricsEndToEndTests counts them.
            #expect(text.contains("kiosk_http_requests_total{"))
            #expect(lines.contains("kiosk_sessions_open 1.0"))
            #expect(lines.contains("kiosk_outbox_depth 0.0"))
            #expect(lines.contains(#"kiosk_device_up{device="camera",kind="documentCamera"} 1.0"#))
            #expect(lines.contains(#"kiosk_device_up{device="receipt",kind="receiptPrinter"} 0.0"#))
            #expect(lines.contains(#"kiosk_device_status{device="receipt",status="offline"} 1.0"#))
            #expect(lines.contains(#"kiosk_printer_paper{printer="receipt",state="unknown"} 1.0"#))
            #expect(lines.contains(#"kiosk_filings{status="accepted"} 0.0"#))
            // No printer can print, so maintenance is on.
            #expect(lines.contains("kiosk_maintenance 1.0"))
            // kioskd's own memory: the resident set, malloc's in-use bytes and SQLite's, all non-zero.
            func gauge(_ name: String) -> Double? {
                lines.first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            for name in ["kiosk_process_resident_bytes", "kiosk_malloc_in_use_bytes", "kiosk_sqlite_memory_bytes"] {
                #expect((gauge(name) ?? 0) > 0, "\(name)")
            }
        }
    }
}
