import DeviceKit
import Hummingbird
import KioskConfig

/// Builds the router with every route group of the API.
public enum KioskRouter {
    public static func make(health: HealthRoutes) -> Router<KioskRequestContext> {
        let router = Router(context: KioskRequestContext.self)
        health.add(to: router)
        return router
    }
}
