import AsyncAlgorithms
import Foundation
import KioskConfig
import Logging
import ServiceLifecycle
import Store
import Workflow

extension FrontDesk {
    /// The front desk of a loaded configuration: its catalogue, queue categories, calendar and rules.
    public convenience init(configuration: KioskConfiguration, store: KioskStore, clock: any KioskClock = SystemClock(),
                            licences: any ElectronicLicenceLookup = CardReadLicences(),
                            logger: Logger = Logger(label: "onewindow.frontdesk"), hallLink: HallLink? = nil) {
        let settings = configuration.settings
        self.init(store: store, catalogue: configuration.catalogue, categories: configuration.queueCategories,
                  calendar: configuration.calendar,
                  rules: FrontDeskRules(regionCode: settings.kiosk.regionCode, kioskID: settings.kiosk.id,
                                        timeZone: TimeZone(identifier: settings.kiosk.timeZone) ?? .current,
                                        publicBaseURL: settings.kiosk.publicBaseURL, officeHours: configuration.officeHours,
                                        rectificationWorkingDays: settings.workflow?.rectificationWorkingDays ?? 5),
                  clock: clock, licences: licences, logger: logger, hallLink: hallLink, greenChannel: configuration.greenChannel)
    }
}

extension HallLink {
    /// Hall mode from kiosk.yaml: the link to the hall's shared queue; nil for a single kiosk
    /// (no `hall:`, or `store: sqlite`). Makes no connection yet (the database may be down).
    public static func make(for settings: KioskSettings, logger: Logger) throws -> HallLink? {
        guard let hall = settings.hall, hall.store == .postgres, let url = hall.url else { return nil }
        var hallLogger = logger
        hallLogger[metadataKey: "hall"] = "postgres"
        let store = try HallStore(url: url, operationTimeout: .milliseconds(Int((hall.timeoutSeconds ?? 3) * 1000)), logger: hallLogger)
        return HallLink(store: store, kioskID: settings.kiosk.id, skipGrace: TimeInterval((hall.skipGraceMinutes ?? 30) * 60),
                        autoAssign: hall.autoAssign ?? false, knownKiosks: hall.kiosks ?? [], heartbeatSeconds: hall.heartbeatSeconds ?? 30,
                        logger: hallLogger)
    }
}

/// Recomputes supervision lights (电子监察) at start and then every interval until shutdown, and
/// warns loudly while the coming year has no holiday calendar.
public struct SupervisionService: Service {
    let desk: FrontDesk
    let interval: Duration
    let logger: Logger

    public init(desk: FrontDesk, interval: Duration = .seconds(300), logger: Logger) {
        self.desk = desk
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await sweepOnce()
        for await _ in AsyncTimerSequence.repeating(every: interval).cancelOnGracefulShutdown() { await sweepOnce() }
    }

    /// One round: lights, past queue days and rating months closed, the calendar's coverage.
    func sweepOnce() async {
        do {
            let sweep = try await desk.sweepSupervision()
            let counts = SupervisionLight.allCases.map { "\($0.rawValue)=\(sweep.counts[$0] ?? 0)" }.joined(separator: " ")
            logger.debug("supervision sweep", metadata: ["lights": "\(counts)", "changed": "\(sweep.changed)"])
        } catch {
            logger.error("supervision sweep failed", metadata: ["error": "\(error)"])
        }
        do {
            let closed = try await desk.closeQueueDays()
            if !closed.isEmpty {
                logger.info("queue days closed; their statistics are queued for the platform",
                            metadata: ["days": "\(closed.map(\.description).joined(separator: ", "))"])
            }
        } catch {
            logger.error("closing past queue days failed", metadata: ["error": "\(error)"])
        }
        do {
            let closed = try await desk.closeRatingMonths()
            if !closed.isEmpty {
                logger.info("rating months closed; their 满意率/差评率 are queued for the platform",
                            metadata: ["months": "\(closed.joined(separator: ", "))"])
            }
        } catch {
            logger.error("closing past rating months failed", metadata: ["error": "\(error)"])
        }
        let today = desk.today()
        let missing = desk.deadlines.uncoveredYears(from: today, to: today.adding(days: 60))
        if !missing.isEmpty {
            logger.warning("NO HOLIDAY CALENDAR for \(missing.map(String.init).joined(separator: ", ")): deadlines count weekends only; add kiosk-config/calendar/YYYY.yaml from the State Council notice")
        }
    }
}
