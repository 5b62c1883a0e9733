import DeviceKit
import Hummingbird
import KioskConfig
import KioskServices

/// Builds the routers of the API: the citizen door (health, catalogue, sessions, filings,
/// progress, tickets, evaluations, events, simulators, metrics, the OpenAPI document) and the
/// staff door, on the same router or on their own (`api.staffListen`).
public enum KioskRouter {
    /// The route groups a router can carry; nil ones are left out.
    public struct Parts: Sendable {
        public var health: HealthRoutes
        public var citizen: CitizenRoutes?
        public var events: EventRoutes?
        public var simulators: SimulatorRoutes?
        public var staff: StaffRoutes?
        public var metrics: (KioskMetrics, MetricsRoutes)?
        public var openAPI: OpenAPIRoutes?
        public var maintenance: MaintenanceMode?
        /// The document camera's preview for the screen.
        public var camera: CameraRoutes?
        /// The touch screen's page, assets and helper routes.
        public var screen: ScreenRoutes?

        public init(health: HealthRoutes, citizen: CitizenRoutes? = nil, events: EventRoutes? = nil, simulators: SimulatorRoutes? = nil,
                    staff: StaffRoutes? = nil, metrics: (KioskMetrics, MetricsRoutes)? = nil, openAPI: OpenAPIRoutes? = nil,
                    maintenance: MaintenanceMode? = nil, camera: CameraRoutes? = nil, screen: ScreenRoutes? = nil) {
            self.camera = camera
            self.screen = screen
            self.health = health
            self.citizen = citizen
            self.events = events
            self.simulators = simulators
            self.staff = staff
            self.metrics = metrics
            self.openAPI = openAPI
            self.maintenance = maintenance
        }
    }

    public static func make(_ parts: Parts) -> Router<KioskRequestContext> {
        // A GET route answers HEAD too (the same head, no body).
        let router = Router(context: KioskRequestContext.self, options: .autoGenerateHeadEndpoints)
        let routes = RouteTable()
        // Outermost first: metrics see the final status of every answer, problems are answers.
        if parts.metrics != nil { router.add(middleware: MetricsMiddleware()) }
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: MethodNotAllowedMiddleware(routes: routes))
        if let maintenance = parts.maintenance { router.add(middleware: MaintenanceGate(maintenance: maintenance)) }
        parts.health.add(to: router)
        parts.citizen?.add(to: router)
        parts.camera?.add(to: router)
        parts.screen?.add(to: router)
        parts.events?.add(to: router)
        parts.simulators?.add(to: router)
        parts.staff?.add(to: router)
        parts.metrics?.1.add(to: router)
        parts.openAPI?.add(to: router)
        routes.load(router.routes.map { ($0.path, $0.method) })
        return router
    }

    /// Health and the citizen routes only (tests of one group).
    public static func make(health: HealthRoutes, citizen: CitizenRoutes? = nil, simulators: SimulatorRoutes? = nil) -> Router<KioskRequestContext> {
        make(Parts(health: health, citizen: citizen, simulators: simulators))
    }
}
