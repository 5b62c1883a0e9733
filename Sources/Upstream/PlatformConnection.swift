import Foundation
import KioskConfig
import Logging

/// Builds the relay's platform and retry policy from `upstream` in kiosk.yaml, for kioskd and the bench.
public enum PlatformConnection {
    /// The adapter `upstream.platform` names: `SimulatedPlatform` (never touches the network; logged
    /// as a warning, since nothing it "delivers" reaches a real platform), or `HTTPPlatformAdapter`
    /// at `endpoint` with the bearer token read from the file or environment variable.
    public static func adapter(for upstream: KioskSettings.Upstream,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               logger: Logger) throws(UpstreamSetupError) -> any PlatformAdapter {
        switch upstream.effectivePlatform {
        case .simulated:
            logger.warning("upstream platform is SIMULATED: filings are not forwarded to a real platform (upstream.platform in kiosk.yaml)")
            return SimulatedPlatform()
        case .http:
            let token = try BearerToken.load(file: upstream.tokenFile, environmentVariable: upstream.tokenEnvironmentVariable,
                                             environment: environment)
            logger.info("upstream platform", metadata: ["endpoint": "\(upstream.endpoint)", "timeoutSeconds": "\(upstream.timeoutSeconds)"])
            return HTTPPlatformAdapter(endpoint: upstream.endpoint, token: token, timeoutSeconds: upstream.timeoutSeconds, logger: logger)
        }
    }

    /// The retry policy of `upstream` (defaults: stuck after 10 failures, then every 30 minutes).
    public static func policy(for upstream: KioskSettings.Upstream) -> RetryPolicy {
        RetryPolicy(stuckAfterAttempts: upstream.stuckAfterAttempts ?? 10,
                    stuckRetryInterval: TimeInterval((upstream.stuckRetryMinutes ?? 30) * 60))
    }

    /// The relay's options from `upstream` and the kiosk id.
    public static func options(for settings: KioskSettings) -> OutboxRelay.Options {
        OutboxRelay.Options(kioskID: settings.kiosk.id, concurrency: settings.upstream.concurrency ?? 4)
    }
}
