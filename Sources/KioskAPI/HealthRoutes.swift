import DeviceKit
import Foundation
import Hummingbird

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
}

/// Routes that report whether the kiosk and its devices are healthy.
public struct HealthRoutes: Sendable {
    let board: DeviceStatusBoard
    let kioskID: String
    let version: String
    let maintenance: MaintenanceMode?

    public init(board: DeviceStatusBoard, kioskID: String, version: String, maintenance: MaintenanceMode? = nil) {
        self.board = board
        self.kioskID = kioskID
        self.version = version
        self.maintenance = maintenance
    }

    public func health() -> HealthResponse {
        let state = maintenance?.current
        guard let snapshot = board.snapshot else {
            return HealthResponse(status: "starting", version: version, kioskId: kioskID, devices: [], checkedAt: nil,
                                  maintenance: state?.on, maintenanceReasons: state?.on == true ? state?.reasons : nil)
        }
        let healthy = snapshot.reports.allSatisfy(\.isHealthy)
        return HealthResponse(status: healthy && state?.on != true ? "ok" : "degraded", version: version, kioskId: kioskID,
                              devices: snapshot.reports, checkedAt: snapshot.takenAt, maintenance: state?.on,
                              maintenanceReasons: state?.on == true ? state?.reasons : nil)
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
