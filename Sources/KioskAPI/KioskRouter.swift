import DeviceKit
import Hummingbird
import KioskConfig

/// Builds the router with every route group of the API.
public enum KioskRouter {
    public static func make(health: HealthRoutes, citizen: CitizenRoutes? = nil, simulators: SimulatorRoutes? = nil) -> Router<KioskRequestContext> {
        let router = Router(context: KioskRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        health.add(to: router)
        citizen?.add(to: router)
        simulators?.add(to: router)
        return router
    }
}
