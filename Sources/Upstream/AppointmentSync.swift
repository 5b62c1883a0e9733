import AsyncAlgorithms
import Foundation
import FrontDesk
import Logging
import ServiceLifecycle
import Synchronization
import Workflow

/// Pulls the appointments (预约) made on the platform for today and the next day
/// (`GET /v1/appointments?date=`) every `interval` and records them through the front desk, so a
/// citizen with an appointment checks in by ID card at the kiosk. An unreachable or slow platform
/// never blocks anyone: the pull ends, is logged once, and runs again at the next turn; what was
/// pulled before stays. An appointment that is not usable (a category this hall does not have, a
/// malformed day or ID number) is skipped and counted, never imported half.
public final class AppointmentSync: Service, Sendable {
    /// What one pull did.
    public struct Pass: Sendable, Hashable {
        public var days: [String] = []
        public var imported = 0
        public var skipped = 0
        /// Why the pull ended early (the platform's error), if it did.
        public var failure: String?
    }

    let desk: FrontDesk
    let platform: any PlatformAdapter
    let clock: any KioskClock
    let interval: Duration
    let logger: Logger
    private let lastFailure = Mutex<String?>(nil)

    public init(desk: FrontDesk, platform: any PlatformAdapter, clock: any KioskClock = SystemClock(),
                interval: Duration = .seconds(900), logger: Logger) {
        self.desk = desk
        self.platform = platform
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        _ = await runOnce()
        for await _ in AsyncTimerSequence.repeating(every: interval).cancelOnGracefulShutdown() { _ = await runOnce() }
    }

    /// One pull: today and the next calendar day.
    public func runOnce() async -> Pass {
        var pass = Pass()
        let today = desk.today()
        let categories = Set(desk.categories.map(\.code))
        for day in [today, today.adding(days: 1)] {
            pass.days.append(day.description)
            let answer: [PlatformAppointment]
            do {
                answer = try await platform.appointments(day: day.description)
            } catch {
                pass.failure = "\(error)"
                break
            }
            var usable: [Appointment] = []
            for a in answer {
                guard categories.contains(a.category), let date = CivilDate(iso: a.day), date == day,
                      !a.id.isEmpty, a.id.count <= 64, a.idNumber.count == 18 else {
                    pass.skipped += 1
                    continue
                }
                usable.append(Appointment(id: a.id, idNumber: a.idNumber.uppercased(), category: a.category, day: date, slot: a.slot))
            }
            do {
                try await desk.importAppointments(usable)
                pass.imported += usable.count
            } catch {
                pass.failure = "store: \(error)"
                break
            }
        }
        let previous = lastFailure.withLock { last -> String? in
            defer { last = pass.failure }
            return last
        }
        if let failure = pass.failure, failure != previous {
            logger.warning("appointments not pulled from the platform; check-in uses what was pulled before", metadata: ["error": "\(failure)"])
        } else if pass.failure == nil, previous != nil {
            logger.notice("appointments pulled from the platform again")
        }
        if pass.skipped > 0 {
            logger.warning("platform appointments skipped (unknown category, bad day or ID number)", metadata: ["skipped": "\(pass.skipped)"])
        }
        return pass
    }
}
