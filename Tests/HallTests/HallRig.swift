import Foundation
@testable import FrontDesk
import KioskConfig
import KioskTestSupport
import Logging
import Store
import Workflow

/// A hall in one process: a private PostgreSQL server and `count` kiosks, each with its own
/// SQLite store and front desk, sharing the hall store, on one hand-moved clock in hall time.
final class HallRig: @unchecked Sendable {
    let postgres: PrivatePostgres
    let configuration: KioskConfiguration
    let clock: ManualClock
    let directories: [TemporaryDirectory]
    let desks: [FrontDesk]
    let links: [HallLink]

    static let zhang = Applicant(name: "张三", idNumber: "11010519491231002X", documentKind: "resident", verifiedByCard: true)
    static let li = Applicant(name: "李四", idNumber: "440524188001010014", documentKind: "resident", verifiedByCard: true)

    init(kiosks count: Int = 2, at hallTime: String = "2026-11-23 10:00", skipGraceMinutes: Int = 10,
         timeout: Duration = .seconds(10), autoAssign: Bool = false, knownKiosks: [String] = [], heartbeatSeconds: Double = 30) throws {
        postgres = try PrivatePostgres()
        configuration = try ConfigLoader.load(directory: RepoPaths.defaultConfig, today: CivilDate(iso: "2026-11-22"))
        clock = ManualClock(Self.date(hallTime))
        var directories: [TemporaryDirectory] = []
        var desks: [FrontDesk] = []
        var links: [HallLink] = []
        for index in 0..<count {
            let directory = try TemporaryDirectory("hall-kiosk")
            let store = try KioskStore.open(directory: directory.path)
            let hallStore = try HallStore(url: postgres.url, operationTimeout: timeout, logger: Logger(label: "hall-test"))
            let link = HallLink(store: hallStore, kioskID: "TZ0\(index + 1)", skipGrace: TimeInterval(skipGraceMinutes * 60),
                                autoAssign: autoAssign, knownKiosks: knownKiosks, heartbeatSeconds: heartbeatSeconds, logger: Logger(label: "hall-test"))
            directories.append(directory)
            links.append(link)
            desks.append(FrontDesk(configuration: configuration, store: store, clock: clock, hallLink: link))
        }
        self.directories = directories
        self.desks = desks
        self.links = links
    }

    /// Makes the rig on a thread of its own (initdb and pg_ctl block for seconds).
    static func make(kiosks count: Int = 2, at hallTime: String = "2026-11-23 10:00", skipGraceMinutes: Int = 10,
                     timeout: Duration = .seconds(10), autoAssign: Bool = false, knownKiosks: [String] = [],
                     heartbeatSeconds: Double = 30) async throws -> HallRig {
        let rig = try await offPool {
            try HallRig(kiosks: count, at: hallTime, skipGraceMinutes: skipGraceMinutes, timeout: timeout, autoAssign: autoAssign,
                        knownKiosks: knownKiosks, heartbeatSeconds: heartbeatSeconds)
        }
        // The hall is up before the test begins: the first contact (connect, migrate) may take
        // long on a machine running every other suite at once; bounded, and a failure if never.
        let clock = ContinuousClock()
        let start = clock.now
        for link in rig.links {
            while !(await link.check(now: rig.clock.now())) {
                guard clock.now - start < .seconds(240) else { throw TestSupportError("the private PostgreSQL never answered the hall store") }
            }
        }
        return rig
    }

    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T { try await Self.offPool(work) }

    deinit {
        for link in links { link.store.shutdown() }
        for directory in directories { directory.remove() }
        postgres.stop()
    }

    /// `YYYY-MM-DD HH:MM[:SS]` in hall time.
    static func date(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = text.count > 16 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm"
        return formatter.date(from: text)!
    }

    func setTime(_ text: String) { clock.set(Self.date(text)) }

    /// One value of a query, through psql (the server's own client).
    func sql(_ query: String) throws -> String { try postgres.psql(query) }
}

/// The refusal a front-desk call threw, or nil when it did not throw.
func refusal<T>(_ body: () async throws(FrontDeskError) -> T) async -> FrontDeskError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}
