import DeviceKit
import FrontDesk
import Foundation
import Hummingbird
import KioskAPI
import KioskServices
import KioskConfig
import Logging
import NIOPosix
import Printing
import Slips
import ServiceLifecycle
import Store
import Upstream
import Workflow

/// What `kioskd` is started with: the configuration directory and the overrides of its command line.
public struct KioskOptions: Sendable {
    public var configDirectory: String
    /// Overrides `api.listen` of kiosk.yaml.
    public var listen: HostPort?
    /// Overrides `dataDirectory` of kiosk.yaml.
    public var dataDirectory: String?
    /// The time the front desk and the citizen sessions go by (tests set a manual clock).
    public var clock: any KioskClock

    public init(configDirectory: String = "kiosk-config", listen: HostPort? = nil, dataDirectory: String? = nil,
                clock: any KioskClock = SystemClock()) {
        self.configDirectory = configDirectory
        self.listen = listen
        self.dataDirectory = dataDirectory
        self.clock = clock
    }

    /// kioskd's hidden `--test-clock`: the system's clock, moved forward by the simulator route
    /// `POST /api/v1/sim/clock` (end-to-end tests of deadlines; never in service).
    public mutating func useTestClock() { clock = OffsetClock() }
}

/// A kiosk ready to run: configuration loaded and valid, store open and checked, devices built.
/// `run()` serves until SIGTERM/SIGINT, then shuts every service down gracefully.
public struct Kiosk: Sendable {
    public let configuration: KioskConfiguration
    public let store: KioskStore
    public let devices: [any KioskDevice]
    /// The printers among `devices` (CUPS or simulated), printing slips as persisted jobs.
    public let printers: [SlipPrinter]
    public let board: DeviceStatusBoard
    /// The workflow core on the store: filings, tickets, evaluations, supervision, audit.
    public let desk: FrontDesk
    /// The citizen at the screen (at most one session at a time).
    public let sessions: CitizenSessions
    /// Captured pages, content-addressed under `<data>/pages`, linked to drafts, within the size limits.
    public let pages: MaterialsStore
    /// The screen's live events (`GET /api/v1/events`).
    public let events: KioskEventLog
    /// Whether citizen routes are open (staff switch, or a needed device down).
    public let maintenance: MaintenanceMode
    /// The staff door's logins.
    public let staffDoor: StaffDoor
    public let metrics: KioskMetrics
    /// The device-status poller (one per kiosk: the simulators ask it for a round after a change).
    public let monitor: DeviceMonitor
    /// The provincial platform (simulated or HTTP), the relay that delivers the outbox to it,
    /// progress sync, and the outbox state that health and metrics show.
    public let platform: any PlatformAdapter
    public let relay: OutboxRelay
    public let progressSync: ProgressSync
    public let outboxWatch: OutboxWatch
    /// Deletes confirmed pages and minimises personal data after `upstream.pageRetentionDays`.
    public let retention: Retention
    /// The evaluation pad's rating prompts (nil when no pad is bound).
    public let padRatings: PadRatingService?
    public let listen: HostPort
    public let staffListen: HostPort?
    public let dataDirectory: String
    public let startedAt: Date
    /// The time the front desk and the sessions go by.
    public let clock: any KioskClock

    /// Loads and checks everything; throws `ConfigError` or `StoreError` and starts nothing on failure.
    public static func prepare(_ options: KioskOptions, logger: Logger) async throws -> Kiosk {
        let startedAt = options.clock.now()
        let configuration = try ConfigLoader.load(directory: options.configDirectory)
        for warning in configuration.warnings {
            logger.warning("configuration: \(warning)")
        }
        let settings = configuration.settings
        let dataDirectory = options.dataDirectory ?? configuration.dataDirectory
        let store = try KioskStore.open(directory: dataDirectory)
        try store.claimIdentity(kioskID: settings.kiosk.id, regionCode: settings.kiosk.regionCode, now: startedAt)
        let built = DeviceFactory.makeDevices(for: settings.devices, profilesDirectory: configuration.profilesDirectory, logger: logger)
        let (devices, printers) = PrinterFleet.attach(to: built, profilesDirectory: configuration.profilesDirectory, store: store,
                                                      kioskId: settings.kiosk.id, clock: options.clock, logger: logger)
        let licences = SessionLicences()
        let hallLink = try HallLink.make(for: settings, logger: logger)
        let desk = FrontDesk(configuration: configuration, store: store, clock: options.clock, licences: licences, logger: logger,
                             hallLink: hallLink)
        let platform = try PlatformConnection.adapter(for: settings.upstream, logger: logger)
        var upstreamLogger = logger
        upstreamLogger[metadataKey: "upstream"] = "\(settings.upstream.effectivePlatform.rawValue)"
        let outboxWatch = OutboxWatch(store: store, platform: settings.upstream.effectivePlatform.rawValue, clock: options.clock,
                                      logger: upstreamLogger)
        let relay = OutboxRelay(store: store, platform: platform, pages: DirectoryPageSource(dataDirectory: dataDirectory),
                                policy: PlatformConnection.policy(for: settings.upstream), options: PlatformConnection.options(for: settings),
                                clock: options.clock, logger: upstreamLogger, onPass: { await outboxWatch.relayPassed($0) })
        let progressSync = ProgressSync(desk: desk, store: store, platform: platform, clock: options.clock,
                                        options: .init(maximumRequestsPerMinute: settings.upstream.progressRequestsPerMinute ?? 30),
                                        logger: upstreamLogger)
        await outboxWatch.refresh()
        let retention = Retention(store: store, dataDirectory: dataDirectory,
                                  retention: TimeInterval((settings.upstream.pageRetentionDays ?? 7) * 86_400), clock: options.clock,
                                  logger: upstreamLogger)
        let materialSettings = settings.materials ?? KioskSettings.Materials()
        let pages = MaterialsStore(
            files: PageFiles(directory: dataDirectory + "/pages", reserveBytes: Int64(materialSettings.reserveMegabytes ?? 32) * 1024 * 1024),
            limits: .init(maximumPageBytes: (materialSettings.maximumPageKilobytes ?? 10_240) * 1024,
                          maximumFilingBytes: (materialSettings.maximumFilingMegabytes ?? 100) * 1024 * 1024))
        let events = KioskEventLog(clock: options.clock)
        let sessionLogger = logger
        let sessions = CitizenSessions(
            timeoutSeconds: settings.session.inactivityTimeoutSeconds, warningSeconds: settings.session.warningSeconds, clock: options.clock,
            onExpiring: { id, at in events.publish(.sessionExpiring, SessionExpiringEvent(sessionId: id, expiresAt: at)) },
            onEnd: { id, reason in
                // The session's unsubmitted drafts, their pages, the identity and its licences go with it.
                licences.clear()
                do {
                    try await pages.abandon(sessionID: id, desk: desk)
                } catch {
                    sessionLogger.error("cannot wipe the drafts of an ended session", metadata: ["session": "\(id)", "error": "\(error)"])
                }
                sessionLogger.info("session ended", metadata: ["session": "\(id)", "reason": "\(reason.rawValue)"])
                events.publish(.sessionEnded, SessionEndedEvent(sessionId: id, reason: reason.rawValue))
            })
        // No session outlives the process: drafts still open now were left by a crash or a stop
        // mid-session. Their personal data goes before anything is served (retried by the reaper).
        await SessionReaper.wipeOrphans(sessions: sessions, pages: pages, desk: desk, now: options.clock.now() + 1, logger: logger)
        let maintenanceLogger = logger
        let maintenance = MaintenanceMode(message: settings.api.maintenanceMessage, file: dataDirectory + "/maintenance.json",
                                          clock: options.clock) { state in
            maintenanceLogger.notice(state.on ? "maintenance mode on" : "maintenance mode off",
                                     metadata: ["reasons": "\(state.reasons.joined(separator: "; "))"])
            events.publish(.maintenance, state)
        }
        // The pad's keys go to the rating logic, which records them through the front desk.
        var padRatings: PadRatingService?
        if let pad = devices.compactMap({ $0 as? EvaluationPadDevice }).first {
            let service = PadRatingService(desk: desk, events: events, clock: options.clock,
                                           timeoutSeconds: settings.workflow?.ratingTimeoutSeconds ?? 30,
                                           debounceSeconds: pad.debounceSeconds, indicate: { pad.indicate($0) }, logger: logger)
            pad.attach { input in await service.handle(input) }
            padRatings = service
        }
        let board = DeviceStatusBoard()
        let historyLogger = logger
        let monitor = DeviceMonitor(devices: devices, board: board,
                                    interval: .milliseconds(Int((settings.monitoring?.deviceStatusIntervalSeconds ?? 5) * 1000)),
                                    logger: logger) { _, new in
            do {
                try await store.recordDeviceStatus(deviceID: new.id, status: new.status.rawValue, paper: new.paper?.rawValue,
                                              detail: new.detail, at: new.checkedAt)
            } catch {
                historyLogger.error("cannot record device status change", metadata: ["device": "\(new.id)", "error": "\(error)"])
            }
            events.publish(.deviceStatus, new)
            if let snapshot = board.snapshot { maintenance.evaluate(snapshot.reports) }
        }
        return Kiosk(configuration: configuration, store: store, devices: devices, printers: printers, board: board, desk: desk,
                     sessions: sessions, pages: pages, events: events, maintenance: maintenance,
                     staffDoor: StaffDoor(accounts: configuration.staffAccounts, settings: settings.staff, clock: options.clock), metrics: KioskMetrics(),
                     monitor: monitor, platform: platform, relay: relay, progressSync: progressSync, outboxWatch: outboxWatch,
                     retention: retention, padRatings: padRatings,
                     listen: options.listen ?? configuration.listen,
                     staffListen: settings.api.staffListen.flatMap(HostPort.init), dataDirectory: dataDirectory, startedAt: startedAt,
                     clock: options.clock)
    }

    var health: HealthRoutes {
        HealthRoutes(board: board, kioskID: configuration.settings.kiosk.id, version: OneWindowVersion.current, maintenance: maintenance,
                     upstream: outboxWatch, disk: dataDisk, hall: desk.hallLink)
    }

    var staffRoutes: StaffRoutes {
        StaffRoutes(door: staffDoor, desk: desk, board: board, devices: devices, printers: printers, maintenance: maintenance,
                    sessions: sessions, events: events, version: OneWindowVersion.current, kioskID: configuration.settings.kiosk.id,
                    startedAt: startedAt, diskUsage: { [retention] in retention.lastUsage }, disk: dataDisk)
    }

    /// The data directory's free space against the capture reserve, read live.
    var dataDisk: DataDisk { DataDisk(directory: dataDirectory, reserveBytes: pages.files.reserveBytes) }

    /// What the platform's licence library says the citizen at the screen holds (this session only).
    public var licences: SessionLicences? { desk.licenceLookup as? SessionLicences }

    /// The router of the citizen door (with the staff routes too unless `api.staffListen` is set).
    public func makeRouter() -> Router<KioskRequestContext> {
        let (desk, board, sessions, maintenance, events, monitor, outboxWatch, retention, padRatings) =
            (desk, board, sessions, maintenance, events, monitor, outboxWatch, retention, padRatings)
        let camera = devices.compactMap { $0 as? any DocumentCamera }.first
        let dataDisk = self.dataDisk
        let metricsRoutes = MetricsRoutes(metrics: metrics) { [metrics] in
            metrics.refresh(devices: board.snapshot?.reports ?? [], outbox: outboxWatch.report, counts: try? await desk.counts(),
                            sessions: sessions.count, maintenance: maintenance.current, eventSubscribers: events.subscriberCount,
                            disk: retention.lastUsage, diskFreeNow: dataDisk.reading().freeBytes, pad: padRatings?.counters)
        }
        let citizen = CitizenRoutes(desk: desk, sessions: sessions, printers: printers, slipContext: SlipContext(configuration.settings),
                                    pages: pages, events: events, camera: camera, board: board, padRatings: padRatings,
                                    upstreamOffline: { outboxWatch.report?.isOffline == true })
        return KioskRouter.make(.init(
            health: health,
            citizen: citizen,
            events: EventRoutes(log: events),
            simulators: SimulatorRoutes(devices: devices, events: events, testClock: clock as? OffsetClock, desk: desk) { await monitor.pollOnce() },
            // The staff door is on the citizen listener only without a staff address of its own, and
            // not at all there when the hall turned that off (`api.staffOnCitizenListener: false`).
            staff: staffListen == nil && configuration.settings.api.staffOnCitizenListener != false ? staffRoutes : nil,
            metrics: (metrics, metricsRoutes),
            openAPI: try? OpenAPIRoutes(),
            maintenance: maintenance,
            camera: CameraRoutes(camera: camera, perSecond: configuration.settings.materials?.previewsPerSecond ?? 4),
            screen: screenRoutes(citizen: citizen)))
    }

    /// The touch screen's page and helper routes (nil, logged, if its files are missing from the build).
    func screenRoutes(citizen: CitizenRoutes) -> ScreenRoutes? {
        let settings = configuration.settings
        let screen = configuration.screen
        return try? ScreenRoutes(
            settings: .init(hallName: settings.kiosk.hallName, kioskId: settings.kiosk.id, consultationPhone: settings.kiosk.consultationPhone,
                            voicePrompts: screen.voicePrompts ?? true, sessionTimeoutSeconds: settings.session.inactivityTimeoutSeconds,
                            warningSeconds: settings.session.warningSeconds,
                            previewsPerSecond: settings.materials?.previewsPerSecond ?? 4, addressPrefix: screen.addressPrefix,
                            towns: screen.towns ?? [], callRepeat: settings.hall?.callRepeat ?? 2,
                            filingNumberPrefix: "\(settings.kiosk.regionCode)-\(settings.kiosk.id)-"),
            citizen: citizen, voiceCache: dataDirectory + "/voice")
    }

    /// The router of the staff door when it has its own address.
    public func makeStaffRouter() -> Router<KioskRequestContext> {
        KioskRouter.make(.init(health: health, staff: staffRoutes))
    }

    /// The HTTP application with the kiosk's background services attached; with `notifier` (kioskd
    /// started by systemd with `Type=notify`) the watchdog that tells systemd it is ready and alive.
    public func makeApplication(logger: Logger, notifier: SystemdNotifier? = nil,
                                environment: [String: String] = ProcessInfo.processInfo.environment) -> some ApplicationProtocol {
        let listen = self.listen
        let listening = ListeningFlag()
        var app = Application(
            router: makeRouter(),
            server: KioskHTTPServer.builder,
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "OneWindow"),
            onServerRunning: { channel in
                listening.set()
                logger.notice("kioskd listening", metadata: ["address": "http://\(listen)",
                                                            "api": "http://\(listen)/api/v1/health"])
            },
            logger: logger)
        if let notifier {
            app.addServices(makeWatchdog(notifier: notifier, environment: environment, isListening: { listening.isSet },
                                         logger: logger))
        }
        if let staffListen {
            app.addServices(Application(
                router: makeStaffRouter(),
                server: KioskHTTPServer.builder,
                configuration: .init(address: .hostname(staffListen.host, port: staffListen.port), serverName: "OneWindow-staff"),
                onServerRunning: { _ in logger.notice("staff door listening", metadata: ["address": "http://\(staffListen)"]) },
                logger: logger))
        }
        app.addServices(monitor)
        app.addServices(PrintingService(printers: printers))
        let sweepSeconds = configuration.settings.workflow?.supervisionIntervalSeconds ?? 300
        app.addServices(SupervisionService(desk: desk, interval: .milliseconds(Int(sweepSeconds * 1000)), logger: logger))
        app.addServices(SessionReaper(sessions: sessions, pages: pages, desk: desk, clock: clock, logger: logger))
        app.addServices(relay)
        app.addServices(progressSync)
        app.addServices(AppointmentSync(desk: desk, platform: platform, clock: clock, logger: logger))
        app.addServices(outboxWatch)
        app.addServices(retention)
        app.addServices(MemoryTrimmer(interval: .seconds(60)))
        if let hallLink = desk.hallLink {
            let seconds = configuration.settings.hall?.checkIntervalSeconds ?? 2
            app.addServices(HallLinkService(link: hallLink, clock: clock, interval: .milliseconds(Int(seconds * 1000))))
            app.addServices(HallCallFeed(desk: desk, events: events, logger: logger))
            let (board, printers, outboxWatch, desk, health) = (board, printers, outboxWatch, desk, health)
            let kioskID = configuration.settings.kiosk.id
            app.addServices(HallHeartbeatService(desk: desk, clock: clock, interval: .milliseconds(Int(hallLink.heartbeatSeconds * 1000)),
                                                 logger: logger) { now in
                await HallHeartbeatService.heartbeat(kioskID: kioskID, version: OneWindowVersion.current, at: now, board: board,
                                                     printers: printers, outbox: outboxWatch.report,
                                                     lastFilingAt: try? await desk.lastFiledAt(), health: health.health().status)
            })
        }
        if let padRatings { app.addServices(padRatings) }
        for case let reader as IDCardReaderService in devices {
            app.addServices(CardSessionBridge(reader: reader, sessions: sessions, events: events, logger: logger,
                                              licences: licences.map { LicencePrefetch(platform: platform, licences: $0, logger: logger) }))
        }
        // Devices that run their own loop (the ID-card reader's polling) are services too.
        for case let service as any Service in devices { app.addServices(service) }
        return app
    }

    /// The systemd watchdog of this kiosk: its event loops, store writer and outbox relay watched,
    /// its health summarised in `STATUS=`.
    func makeWatchdog(notifier: SystemdNotifier, environment: [String: String], isListening: @escaping @Sendable () -> Bool,
                      logger: Logger) -> KioskWatchdog {
        let health = self.health
        let listen = self.listen
        // An attempt's whole deadline is three times the adapter's timeout (HTTPPlatformAdapter).
        let relayDeadline = Duration.seconds(3 * max(1, configuration.settings.upstream.timeoutSeconds))
        let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        let clock = self.clock
        return KioskWatchdog(
            notifier: notifier,
            settings: .init(timeout: SystemdNotifier.watchdogTimeout(environment: environment), relayDeadline: relayDeadline),
            store: store, relay: relay.progress, eventLoops: loops,
            isServing: { isListening() && health.health().status != "starting" },
            devicesStarting: { health.health().devices.filter { $0.status == .starting }.map(\.id) },
            summary: { Self.statusLine(health.health(), listen: listen) },
            now: { clock.now() }, logger: logger)
    }

    /// The kiosk's health as the one line `systemctl status` shows.
    static func statusLine(_ health: HealthResponse, listen: HostPort) -> String {
        let online = health.devices.filter(\.isHealthy).count
        var parts = ["\(health.status) on http://\(listen)", "devices \(online)/\(health.devices.count) ok"]
        if let upstream = health.upstream {
            parts.append("outbox \(upstream.depth) waiting (\(upstream.state))")
        }
        if let reasons = health.reasons, !reasons.isEmpty { parts.append(reasons.joined(separator: "; ")) }
        return parts.joined(separator: " · ")
    }

    /// Serves until SIGTERM or SIGINT.
    public func run(logger: Logger) async throws {
        logger.info("kioskd starting", metadata: [
            "version": "\(OneWindowVersion.current)", "kiosk": "\(configuration.settings.kiosk.id)",
            "config": "\(configuration.directory)", "data": "\(dataDirectory)",
            "devices": "\(configuration.settings.devices.map { "\($0.id)=\($0.driver.rawValue)" }.joined(separator: ","))",
        ])
        try await makeApplication(logger: logger, notifier: SystemdNotifier()).runService()
        logger.info("kioskd stopped")
    }
}

