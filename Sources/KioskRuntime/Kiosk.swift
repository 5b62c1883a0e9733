import DeviceKit
import FrontDesk
import Foundation
import Hummingbird
import KioskAPI
import KioskConfig
import Logging
import Printing
import Slips
import ServiceLifecycle
import Store

/// What `kioskd` is started with: the configuration directory and the overrides of its command line.
public struct KioskOptions: Sendable {
    public var configDirectory: String
    /// Overrides `api.listen` of kiosk.yaml.
    public var listen: HostPort?
    /// Overrides `dataDirectory` of kiosk.yaml.
    public var dataDirectory: String?

    public init(configDirectory: String = "kiosk-config", listen: HostPort? = nil, dataDirectory: String? = nil) {
        self.configDirectory = configDirectory
        self.listen = listen
        self.dataDirectory = dataDirectory
    }
}

/// A kiosk ready to run: configuration loaded and valid, store open and checked, devices built.
/// `run()` serves until SIGTERM/SIGINT, then shuts every service down gracefully.
public struct Kiosk: Sendable {
    public let configuration: KioskConfiguration
    public let store: KioskStore
    public let devices: [any KioskDevice]
    /// The CUPS printers among `devices`, printing slips as persisted jobs.
    public let printers: [SlipPrinter]
    public let board: DeviceStatusBoard
    /// The workflow core on the store: filings, tickets, evaluations, supervision, audit.
    public let desk: FrontDesk
    /// The citizen at the screen (at most one session at a time).
    public let sessions: CitizenSessions
    /// Captured pages, content-addressed.
    public let pages: PageStore
    public let listen: HostPort
    public let dataDirectory: String

    /// Loads and checks everything; throws `ConfigError` or `StoreError` and starts nothing on failure.
    public static func prepare(_ options: KioskOptions, logger: Logger) throws -> Kiosk {
        let configuration = try ConfigLoader.load(directory: options.configDirectory)
        for warning in configuration.warnings {
            logger.warning("configuration: \(warning)")
        }
        let dataDirectory = options.dataDirectory ?? configuration.dataDirectory
        let store = try KioskStore.open(directory: dataDirectory)
        try store.claimIdentity(kioskID: configuration.settings.kiosk.id, regionCode: configuration.settings.kiosk.regionCode)
        let built = DeviceFactory.makeDevices(for: configuration.settings.devices,
                                              profilesDirectory: configuration.profilesDirectory, logger: logger)
        let (devices, printers) = PrinterFleet.attach(to: built, profilesDirectory: configuration.profilesDirectory, store: store,
                                                      kioskId: configuration.settings.kiosk.id, logger: logger)
        let desk = FrontDesk(configuration: configuration, store: store, logger: logger)
        let pages = PageStore(directory: dataDirectory + "/pages")
        let session = configuration.settings.session
        let sessionLogger = logger
        let sessions = CitizenSessions(timeoutSeconds: session.inactivityTimeoutSeconds, warningSeconds: session.warningSeconds,
                                       onEnd: { id, reason in
            // The session's unsubmitted drafts, their pages and the identity go with it.
            do {
                pages.delete(try desk.abandonDrafts(sessionID: id))
            } catch {
                sessionLogger.error("cannot wipe the drafts of an ended session", metadata: ["session": "\(id)", "error": "\(error)"])
            }
            sessionLogger.info("session ended", metadata: ["session": "\(id)", "reason": "\(reason.rawValue)"])
        })
        return Kiosk(configuration: configuration, store: store, devices: devices, printers: printers,
                     board: DeviceStatusBoard(), desk: desk, sessions: sessions, pages: pages, listen: options.listen ?? configuration.listen,
                     dataDirectory: dataDirectory)
    }

    /// The device-status poller, recording every change in the store's history.
    public func makeMonitor(logger: Logger) -> DeviceMonitor {
        let seconds = configuration.settings.monitoring?.deviceStatusIntervalSeconds ?? 5
        let store = self.store
        let historyLogger = logger
        return DeviceMonitor(devices: devices, board: board, interval: .milliseconds(Int(seconds * 1000)),
                             logger: logger) { _, new in
            do {
                try store.recordDeviceStatus(deviceID: new.id, status: new.status.rawValue, paper: new.paper?.rawValue,
                                             detail: new.detail, at: new.checkedAt)
            } catch {
                historyLogger.error("cannot record device status change", metadata: ["device": "\(new.id)", "error": "\(error)"])
            }
        }
    }

    public func makeRouter() -> Router<KioskRequestContext> {
        KioskRouter.make(health: HealthRoutes(board: board, kioskID: configuration.settings.kiosk.id,
                                              version: OneWindowVersion.current),
                         citizen: CitizenRoutes(desk: desk, sessions: sessions, printers: printers,
                                                slipContext: SlipContext(configuration.settings), pages: pages),
                         simulators: SimulatorRoutes(devices: devices))
    }

    /// The HTTP application with the kiosk's background services attached.
    public func makeApplication(logger: Logger) -> some ApplicationProtocol {
        var app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "OneWindow"),
            onServerRunning: { channel in
                logger.notice("kioskd listening", metadata: ["address": "http://\(self.listen)",
                                                            "api": "http://\(self.listen)/api/v1/health"])
            },
            logger: logger)
        app.addServices(makeMonitor(logger: logger))
        app.addServices(PrintingService(printers: printers))
        let sweepSeconds = configuration.settings.workflow?.supervisionIntervalSeconds ?? 300
        app.addServices(SupervisionService(desk: desk, interval: .milliseconds(Int(sweepSeconds * 1000)), logger: logger))
        app.addServices(SessionReaper(sessions: sessions))
        for case let reader as IDCardReaderService in devices {
            app.addServices(CardSessionBridge(reader: reader, sessions: sessions, logger: logger))
        }
        // Devices that run their own loop (the ID-card reader's polling) are services too.
        for case let service as any Service in devices { app.addServices(service) }
        return app
    }

    /// Serves until SIGTERM or SIGINT.
    public func run(logger: Logger) async throws {
        logger.info("kioskd starting", metadata: [
            "version": "\(OneWindowVersion.current)", "kiosk": "\(configuration.settings.kiosk.id)",
            "config": "\(configuration.directory)", "data": "\(dataDirectory)",
            "devices": "\(configuration.settings.devices.map { "\($0.id)=\($0.driver.rawValue)" }.joined(separator: ","))",
        ])
        try await makeApplication(logger: logger).runService()
        logger.info("kioskd stopped")
    }
}
