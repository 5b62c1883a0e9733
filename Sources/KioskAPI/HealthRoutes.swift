import DeviceKit
import Foundation
import FrontDesk
import Hummingbird
import Upstream
import KioskServices

/// The answer of `GET /api/v1/health`.
public struct HealthResponse: ResponseCodable, Sendable {
    /// `ok` (everything serving), `degraded` (some device needs attention), `starting` (devices not yet checked).
    public var status: String
    public var version: String
    public var kioskId: String
    public var devices: [DeviceStatusReport]
    public var checkedAt: Date?
    /// Whether citizen routes are closed for maintenance (and why, in `maintenanceReasons`).
    public var maintenance: Bool?
    public var maintenanceReasons: [String]?
    /// How far behind the provincial platform is (absent before the first outbox reading).
    public var upstream: UpstreamHealth?
    /// The data directory's free space, read now; `full` makes the kiosk `degraded`.
    public var disk: DataDisk.Reading?
    /// Why the kiosk is `degraded`, in English for technicians (absent when `ok`).
    public var reasons: [String]?
    /// Hall mode: the shared queue's database (`state` `ok`, `unreachable` — tickets are refused —
    /// or `unknown` before the first check). Absent on a single kiosk.
    public var hall: HallLink.Status?
}

/// The outbox as health reports it: `state` is `ok`, `offline` (the platform's last attempt failed
/// and rows wait: filings are accepted locally and sent when it returns) or `attention` (stuck or
/// rejected rows a person must look at, see `kioskctl outbox`).
public struct UpstreamHealth: Codable, Sendable, Hashable {
    /// `simulated` (nothing reaches a real platform) or `http`.
    public var platform: String
    public var state: String
    /// Rows not yet delivered, and the age of the oldest.
    public var depth: Int
    public var oldestAgeSeconds: Double?
    public var stuck: Int
    public var rejected: Int
    public var lastSuccessAt: Date?
    public var lastError: String?

    public init(platform: String, report: OutboxReport) {
        self.platform = platform
        state = report.needsAttention ? "attention" : report.isOffline ? "offline" : "ok"
        depth = report.depth
        oldestAgeSeconds = report.oldestAgeSeconds
        stuck = report.stuck
        rejected = report.rejected
        lastSuccessAt = report.lastSuccessAt
        lastError = report.isOffline || report.needsAttention ? report.lastError : nil
    }
}

/// Routes that report whether the kiosk and its devices are healthy.
public struct HealthRoutes: Sendable {
    let board: DeviceStatusBoard
    let kioskID: String
    let version: String
    let maintenance: MaintenanceMode?
    let upstream: OutboxWatch?
    let disk: DataDisk?
    let hall: HallLink?

    public init(board: DeviceStatusBoard, kioskID: String, version: String, maintenance: MaintenanceMode? = nil,
                upstream: OutboxWatch? = nil, disk: DataDisk? = nil, hall: HallLink? = nil) {
        self.disk = disk
        self.hall = hall
        self.board = board
        self.kioskID = kioskID
        self.version = version
        self.maintenance = maintenance
        self.upstream = upstream
    }

    public func health() -> HealthResponse {
        let state = maintenance?.current
        let outbox = upstream.flatMap { watch in watch.report.map { UpstreamHealth(platform: watch.platform, report: $0) } }
        let diskNow = disk?.reading()
        let hallNow = hall?.status
        guard let snapshot = board.snapshot else {
            return HealthResponse(status: "starting", version: version, kioskId: kioskID, devices: [], checkedAt: nil,
                                  maintenance: state?.on, maintenanceReasons: state?.on == true ? state?.reasons : nil, upstream: outbox,
                                  disk: diskNow, hall: hallNow)
        }
        var reasons: [String] = snapshot.reports.filter { !$0.isHealthy }.map { "device \($0.id) is \($0.status.rawValue)" + ($0.detail.map { ": \($0)" } ?? "") }
        if state?.on == true { reasons.append("maintenance: " + (state?.reasons.joined(separator: "; ") ?? "on")) }
        if let outbox, outbox.state != "ok" { reasons.append("upstream \(outbox.state)" + (outbox.lastError.map { ": \($0)" } ?? "")) }
        if let diskNow, diskNow.state == "full" {
            reasons.append("data disk full: \(DataDisk.megabytes(diskNow.freeBytes)) free, under the \(DataDisk.megabytes(diskNow.reserveBytes)) reserve; captures and filings are refused")
        }
        if let hallNow, hallNow.state == "unreachable" {
            reasons.append("hall database unreachable: tickets are refused until it returns" + (hallNow.lastError.map { " (\($0))" } ?? ""))
        }
        return HealthResponse(status: reasons.isEmpty ? "ok" : "degraded", version: version, kioskId: kioskID,
                              devices: snapshot.reports, checkedAt: snapshot.takenAt, maintenance: state?.on,
                              maintenanceReasons: state?.on == true ? state?.reasons : nil, upstream: outbox, disk: diskNow,
                              reasons: reasons.isEmpty ? nil : reasons, hall: hallNow)
    }

    public func add(to router: Router<KioskRequestContext>) {
        router.get("/api/v1/health") { _, _ -> EditedResponse<HealthResponse> in
            let body = self.health()
            // 503 until the first device round, so a supervisor waits for a kiosk that knows its devices.
            return EditedResponse(status: body.status == "starting" ? .serviceUnavailable : .ok, response: body)
        }
        router.get("/api/v1/devices") { _, _ -> [DeviceStatusReport] in
            self.board.snapshot?.reports ?? []
        }
    }
}
