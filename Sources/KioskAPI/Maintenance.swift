import Foundation
import HTTPTypes
import Hummingbird
import KioskServices

/// Answers 503 with the maintenance message on the citizen routes while maintenance is on.
/// Health, devices, events, progress pages, staff and simulator routes stay open, and a citizen
/// can still end (wipe) a session.
public struct MaintenanceGate<Context: RequestContext>: RouterMiddleware {
    let maintenance: MaintenanceMode
    static var citizenPrefixes: [String] {
        ["/api/v1/catalog", "/api/v1/sessions", "/api/v1/filings", "/api/v1/tickets", "/api/v1/evaluations", "/api/v1/camera"]
    }

    public init(maintenance: MaintenanceMode) { self.maintenance = maintenance }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard Self.citizenPrefixes.contains(where: { path == $0 || path.hasPrefix($0 + "/") }),
              !(request.method == .delete && path.hasPrefix("/api/v1/sessions/")) else {
            return try await next(request, context)
        }
        let state = maintenance.current
        guard state.on else { return try await next(request, context) }
        throw APIProblem(.serviceUnavailable, code: "maintenance", title: state.message,
                         detail: "the kiosk is in maintenance: \(state.reasons.joined(separator: "; "))",
                         extensions: ["retryAfterSeconds": .int(60)])
    }
}
