import DeviceKit
import Foundation
import FrontDesk
import HTTPTypes
import Hummingbird
import NIOCore
import CoreMetrics
import Prometheus
import Store
import Upstream
import KioskServices

/// The kiosk's Prometheus metrics (swift-prometheus): HTTP requests and latencies counted as they
/// happen by Hummingbird's `MetricsMiddleware` through swift-metrics (the process's one
/// `MetricsSystem`, bootstrapped here with the Prometheus factory); device states, paper, outbox
/// depth and age, filings by status, sessions and maintenance read fresh at each scrape of
/// `GET /metrics`.
public final class KioskMetrics: Sendable {
    /// The kiosk's scrape-time gauges.
    public let registry = PrometheusCollectorRegistry()
    /// What swift-metrics records in this process (Hummingbird's request counters and timers).
    static let processRegistry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                             .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                             .seconds(1), .seconds(2), .seconds(5)]

    /// `MetricsSystem.bootstrap` may run once per process: the first kiosk does it.
    private static let bootstrapOnce: Void = {
        var factory = PrometheusMetricsFactory(registry: processRegistry)
        factory.durationHistogramBuckets = ["kiosk_http_request_duration_seconds": latencyBuckets]
        factory.nameAndLabelSanitizer = prometheusNames
        MetricsSystem.bootstrap(factory)
    }()

    public init() { _ = Self.bootstrapOnce }

    /// Hummingbird's metric names (OpenTelemetry's) as the kiosk's: bounded labels `method`,
    /// `route` (the route pattern, never the concrete path) and `status`.
    static func prometheusNames(_ label: String, _ dimensions: [(String, String)]) -> (String, [(String, String)]) {
        let names = ["http.request.method": "method", "http.route": "route", "http.response.status_code": "status", "error.type": "status"]
        let renamed = dimensions.map { (names[$0.0] ?? $0.0, $0.1) }
        func only(_ keys: [String]) -> [(String, String)] { keys.compactMap { key in renamed.first { $0.0 == key } } }
        switch label {
        case "hb.requests": return ("kiosk_http_requests_total", only(["method", "route", "status"]))
        case "hb.request.errors": return ("kiosk_http_request_errors_total", only(["method", "route", "status"]))
        case "http.server.request.duration": return ("kiosk_http_request_duration_seconds", only(["method", "route"]))
        case "http.server.active_requests": return ("kiosk_http_active_requests", only(["method"]))
        default: return (label.replacingOccurrences(of: ".", with: "_"), renamed)
        }
    }

    /// The Prometheus text of the process's request metrics and this kiosk's gauges.
    public func emit() -> [UInt8] {
        var bytes: [UInt8] = []
        Self.processRegistry.emit(into: &bytes)
        registry.emit(into: &bytes)
        return bytes
    }

    /// The gauge `name` with `labels` (swift-prometheus's descriptor API: `name` is the whole name).
    private func gauge(_ name: String, labels: [(String, String)] = [], help: String) -> Prometheus.Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
    }

    /// Sets the scrape-time gauges from the kiosk's current state.
    public func refresh(devices: [DeviceStatusReport], outbox: OutboxReport?, counts: DeskCounts?, sessions: Int,
                        maintenance: MaintenanceMode.State, eventSubscribers: Int, disk: Retention.DiskUsage? = nil,
                        diskFreeNow: Int64? = nil, pad: PadKeyCounters? = nil) {
        for report in devices {
            gauge("kiosk_device_up", labels: [("device", report.id), ("kind", report.kind.rawValue)],
                               help: "1 when the device can serve (online or busy, printers with paper)").set(to: report.isHealthy ? 1.0 : 0.0)
            for status in [DeviceStatus.online, .offline, .powerOff, .noDevice, .hardwareError, .userError, .busy, .starting] {
                gauge("kiosk_device_status", labels: [("device", report.id), ("status", status.rawValue)],
                                   help: "1 for the device's current status (XFS4IoT states)").set(to: report.status == status ? 1.0 : 0.0)
            }
            if let paper = report.paper {
                for state in [PaperState.full, .low, .out, .jammed, .unknown, .notSupported] {
                    gauge("kiosk_printer_paper", labels: [("printer", report.id), ("state", state.rawValue)],
                                       help: "1 for the printer's current paper state").set(to: paper == state ? 1.0 : 0.0)
                }
            }
        }
        if let outbox {
            gauge("kiosk_outbox_depth", help: "Outbox rows not yet delivered upstream").set(to: Double(outbox.depth))
            gauge("kiosk_outbox_oldest_age_seconds", help: "Age of the oldest undelivered outbox row (0 when empty)")
                .set(to: outbox.oldestAgeSeconds ?? 0)
            for (state, count) in [("pending", outbox.pending), ("stuck", outbox.stuck), ("rejected", outbox.rejected)] {
                gauge("kiosk_outbox_rows", labels: [("state", state)], help: "Undelivered outbox rows by state")
                    .set(to: Double(count))
            }
            gauge("kiosk_upstream_offline", help: "1 while the platform's last attempt failed and rows wait")
                .set(to: outbox.isOffline ? 1 : 0)
        }
        if let counts {
            for status in Set(counts.filingsByStatus.keys).union(["submitted", "accepted", "conditionallyAccepted", "completed"]) {
                gauge("kiosk_filings", labels: [("status", status)], help: "Filings by status")
                    .set(to: Double(counts.filingsByStatus[status] ?? 0))
            }
            gauge("kiosk_open_drafts", help: "Drafts not yet submitted").set(to: Double(counts.openDrafts))
        }
        gauge("kiosk_sessions_open", help: "Citizen sessions open").set(to: Double(sessions))
        gauge("kiosk_maintenance", help: "1 while citizen routes are closed for maintenance").set(to: maintenance.on ? 1.0 : 0.0)
        gauge("kiosk_event_stream_clients", help: "Screens listening to /api/v1/events").set(to: Double(eventSubscribers))
        if let disk {
            gauge("kiosk_page_files", help: "Page images kept in the data directory").set(to: Double(disk.pageFiles))
            gauge("kiosk_page_bytes", help: "Bytes of page images kept").set(to: Double(disk.pageBytes))
            gauge("kiosk_store_bytes", help: "Bytes of the database with its WAL").set(to: Double(disk.databaseBytes))
        }
        if let free = diskFreeNow ?? disk?.freeBytes.map(Int64.init) {
            gauge("kiosk_disk_free_bytes", help: "Free bytes on the data directory's file system (read at the scrape)")
                .set(to: Double(free))
        }
        if let pad {
            let outcomes = [("rated", pad.rated), ("ignoredIdle", pad.ignoredIdle), ("debounced", pad.debounced),
                            ("heldOrReleased", pad.heldOrReleased), ("refused", pad.refused), ("unknown", pad.unknown)]
            for (outcome, count) in outcomes {
                gauge("kiosk_pad_keys", labels: [("outcome", outcome)],
                                   help: "Evaluation pad key events since start, by what became of them").set(to: Double(count))
            }
            gauge("kiosk_pad_prompts_unrated", help: "Rating prompts since start that ended without a rating (未评价)")
                .set(to: Double(pad.unrated))
        }
        let memory = ProcessMemory.current()
        gauge("kiosk_process_resident_bytes", help: "Resident set size of kioskd").set(to: Double(memory.residentBytes))
        gauge("kiosk_malloc_in_use_bytes", help: "Bytes kioskd has allocated through malloc")
            .set(to: Double(memory.mallocInUseBytes))
        gauge("kiosk_malloc_free_bytes", help: "Bytes malloc holds free in its arenas (freed, not returned)")
            .set(to: Double(memory.mallocFreeBytes))
        gauge("kiosk_sqlite_memory_bytes", help: "Bytes SQLite has allocated (page caches, statements)")
            .set(to: Double(KioskStore.sqliteMemoryBytes))
    }
}

/// `GET /metrics` in the Prometheus text format.
public struct MetricsRoutes: Sendable {
    let metrics: KioskMetrics
    let refresh: @Sendable () async -> Void

    public init(metrics: KioskMetrics, refresh: @escaping @Sendable () async -> Void) {
        self.metrics = metrics
        self.refresh = refresh
    }

    public func add(to router: Router<KioskRequestContext>) {
        router.get("/metrics") { _, _ -> Response in
            await refresh()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.emit())))
        }
    }
}
