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
}

/// Routes that report whether the kiosk and its devices are healthy.
public struct HealthRoutes: Sendable {
    let board: DeviceStatusBoard
    let kioskID: String
    let version: String

    public init(board: DeviceStatusBoard, kioskID: String, version: String) {
        self.board = board
        self.kioskID = kioskID
        self.version = version
    }

    public func health() -> HealthResponse {
        guard let snapshot = board.snapshot else {
            return HealthResponse(status: "starting", version: version, kioskId: kioskID, devices: [], checkedAt: nil)
        }
        let healthy = snapshot.reports.allSatisfy(\.isHealthy)
        return HealthResponse(status: healthy ? "ok" : "degraded", version: version, kioskId: kioskID,
                              devices: snapshot.reports, checkedAt: snapshot.takenAt)
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
