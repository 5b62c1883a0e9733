import DeviceKit
import Foundation
import FrontDesk
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus
import Store
import Upstream

/// The kiosk's Prometheus metrics (swift-prometheus): HTTP requests and latencies counted as they
/// happen; device states, paper, outbox depth and age, filings by status, sessions and
/// maintenance read fresh at each scrape of `GET /metrics`.
public final class KioskMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                             .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                             .seconds(1), .seconds(2), .seconds(5)]

    public init() {}

    /// Counts one answered request under its route pattern (not its concrete path: bounded labels).
    public func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(name: "kiosk_http_requests_total", labels: [("method", method), ("route", route), ("status", String(status))],
                             help: "HTTP requests answered, by route pattern and status").increment()
        registry.makeDurationHistogram(name: "kiosk_http_request_duration_seconds", labels: [("method", method), ("route", route)],
                                       buckets: Self.latencyBuckets, help: "HTTP request latency by route pattern").record(duration)
    }

    /// Sets the scrape-time gauges from the kiosk's current state.
    public func refresh(devices: [DeviceStatusReport], outbox: OutboxReport?, counts: DeskCounts?, sessions: Int,
                        maintenance: MaintenanceMode.State, eventSubscribers: Int, disk: Retention.DiskUsage? = nil,
                        diskFreeNow: Int64? = nil, pad: PadKeyCounters? = nil) {
        for report in devices {
            registry.makeGauge(name: "kiosk_device_up", labels: [("device", report.id), ("kind", report.kind.rawValue)],
                               help: "1 when the device can serve (online or busy, printers with paper)").set(to: report.isHealthy ? 1.0 : 0.0)
            for status in [DeviceStatus.online, .offline, .powerOff, .noDevice, .hardwareError, .userError, .busy, .starting] {
                registry.makeGauge(name: "kiosk_device_status", labels: [("device", report.id), ("status", status.rawValue)],
                                   help: "1 for the device's current status (XFS4IoT states)").set(to: report.status == status ? 1.0 : 0.0)
            }
            if let paper = report.paper {
                for state in [PaperState.full, .low, .out, .jammed, .unknown, .notSupported] {
                    registry.makeGauge(name: "kiosk_printer_paper", labels: [("printer", report.id), ("state", state.rawValue)],
                                       help: "1 for the printer's current paper state").set(to: paper == state ? 1.0 : 0.0)
                }
            }
        }
        if let outbox {
            registry.makeGauge(name: "kiosk_outbox_depth", help: "Outbox rows not yet delivered upstream").set(to: Double(outbox.depth))
            registry.makeGauge(name: "kiosk_outbox_oldest_age_seconds", help: "Age of the oldest undelivered outbox row (0 when empty)")
                .set(to: outbox.oldestAgeSeconds ?? 0)
            for (state, count) in [("pending", outbox.pending), ("stuck", outbox.stuck), ("rejected", outbox.rejected)] {
                registry.makeGauge(name: "kiosk_outbox_rows", labels: [("state", state)], help: "Undelivered outbox rows by state")
                    .set(to: Double(count))
            }
            registry.makeGauge(name: "kiosk_upstream_offline", help: "1 while the platform's last attempt failed and rows wait")
                .set(to: outbox.isOffline ? 1 : 0)
        }
        if let counts {
            for status in Set(counts.filingsByStatus.keys).union(["submitted", "accepted", "conditionallyAccepted", "completed"]) {
                registry.makeGauge(name: "kiosk_filings", labels: [("status", status)], help: "Filings by status")
                    .set(to: Double(counts.filingsByStatus[status] ?? 0))
            }
            registry.makeGauge(name: "kiosk_open_drafts", help: "Drafts not yet submitted").set(to: Double(counts.openDrafts))
        }
        registry.makeGauge(name: "kiosk_sessions_open", help: "Citizen sessions open").set(to: Double(sessions))
        registry.makeGauge(name: "kiosk_maintenance", help: "1 while citizen routes are closed for maintenance").set(to: maintenance.on ? 1.0 : 0.0)
        registry.makeGauge(name: "kiosk_event_stream_clients", help: "Screens listening to /api/v1/events").set(to: Double(eventSubscribers))
        if let disk {
            registry.makeGauge(name: "kiosk_page_files", help: "Page images kept in the data directory").set(to: Double(disk.pageFiles))
            registry.makeGauge(name: "kiosk_page_bytes", help: "Bytes of page images kept").set(to: Double(disk.pageBytes))
            registry.makeGauge(name: "kiosk_store_bytes", help: "Bytes of the database with its WAL").set(to: Double(disk.databaseBytes))
        }
        if let free = diskFreeNow ?? disk?.freeBytes.map(Int64.init) {
            registry.makeGauge(name: "kiosk_disk_free_bytes", help: "Free bytes on the data directory's file system (read at the scrape)")
                .set(to: Double(free))
        }
        if let pad {
            let outcomes = [("rated", pad.rated), ("ignoredIdle", pad.ignoredIdle), ("debounced", pad.debounced),
                            ("heldOrReleased", pad.heldOrReleased), ("refused", pad.refused), ("unknown", pad.unknown)]
            for (outcome, count) in outcomes {
                registry.makeGauge(name: "kiosk_pad_keys", labels: [("outcome", outcome)],
                                   help: "Evaluation pad key events since start, by what became of them").set(to: Double(count))
            }
            registry.makeGauge(name: "kiosk_pad_prompts_unrated", help: "Rating prompts since start that ended without a rating (未评价)")
                .set(to: Double(pad.unrated))
        }
        let memory = ProcessMemory.current()
        registry.makeGauge(name: "kiosk_process_resident_bytes", help: "Resident set size of kioskd").set(to: Double(memory.residentBytes))
        registry.makeGauge(name: "kiosk_malloc_in_use_bytes", help: "Bytes kioskd has allocated through malloc")
            .set(to: Double(memory.mallocInUseBytes))
        registry.makeGauge(name: "kiosk_malloc_free_bytes", help: "Bytes malloc holds free in its arenas (freed, not returned)")
            .set(to: Double(memory.mallocFreeBytes))
        registry.makeGauge(name: "kiosk_sqlite_memory_bytes", help: "Bytes SQLite has allocated (page caches, statements)")
            .set(to: Double(KioskStore.sqliteMemoryBytes))
    }
}

/// Times every routed request into `KioskMetrics`.
public struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: KioskMetrics

    public init(metrics: KioskMetrics) { self.metrics = metrics }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let route = context.endpointPath ?? "unmatched"
        do {
            let response = try await next(request, context)
            metrics.recordRequest(method: request.method.rawValue, route: route, status: Int(response.status.code),
                                  duration: ContinuousClock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.recordRequest(method: request.method.rawValue, route: route, status: Int(status), duration: ContinuousClock.now - start)
            throw error
        }
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
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
    }
}
