import DeviceKit
import Foundation
import FrontDesk
import Logging
import Printing
import ServiceLifecycle
import AsyncAlgorithms
import Store
import Upstream
import Workflow

/// A printer's roll in the fleet view, with its predictive-restock estimate.
public struct FleetPrinter: Codable, Sendable, Hashable {
    public var id: String
    /// The paper state the kiosk's status board last saw (`full`, `low`, `out`…), if any.
    public var paper: String?
    public var rollSlips: Int
    /// Slips the paper left on the roll still makes (nil: roll start or slip length unknown).
    public var slipsLeft: Int?
    /// When the roll is expected to run out (nil: no estimate).
    public var runsOutAt: Date?
    /// Whose slip rates the estimate used: `printer` (its own hours), `hall` (the hall's mean per
    /// printer: this one has no complete day yet); nil without an estimate.
    public var basis: String?
    /// Chinese, for the staff page: 约40张后用完，预计03:40 / 暂无预测（…）.
    public var estimate: String
    /// Runs out within `StaffAlerts.restockLead` while the printer does not report low or out yet.
    public var restockSoon: Bool
}

/// One kiosk of the hall as the fleet view shows it.
public struct FleetKiosk: Codable, Sendable, Hashable {
    public var kioskID: String
    /// `red` (silent, never sent, a device down, paper out), `amber` (paper low or running out
    /// soon, outbox behind, health degraded) or `green`.
    public var level: String
    /// `ok`, `silent` (its heartbeats stopped) or `never` (expected by the hall, never sent one).
    public var state: String
    public var lastHeartbeatAt: Date?
    public var secondsSinceHeartbeat: Double?
    public var version: String?
    public var health: String?
    /// What makes it red or amber, in Chinese.
    public var problems: [String]
    public var devices: [HallHeartbeat.Device]
    public var printers: [FleetPrinter]
    public var outboxDepth: Int?
    public var outboxOldestAgeSeconds: Double?
    public var lastFilingAt: Date?
}

/// The hall's kiosks, red first (`kioskctl hall status`, the staff page `/fleet`).
public struct FleetView: Codable, Sendable, Hashable {
    public var generatedAt: Date
    /// A kiosk whose newest heartbeat is older than this is `silent`.
    public var silentAfterSeconds: Double
    public var kiosks: [FleetKiosk]
}

/// The use case "how is every kiosk of the hall": heartbeats and slip history from the hall store,
/// judged here (silent, never sent, devices, paper, outbox) with a predictive-restock estimate per
/// printer (`RestockForecast`). Hall mode only.
public struct HallFleet: Sendable {
    let desk: FrontDesk

    public init(desk: FrontDesk) { self.desk = desk }

    /// A kiosk is silent after three heartbeat intervals without one (at least 10 s).
    public static func silentAfter(heartbeatSeconds: Double) -> Double { max(10, 3 * heartbeatSeconds) }

    public func view(now: Date) async throws(FrontDeskError) -> FleetView {
        guard let link = desk.hallLink else { throw .workflow(.notFound("the fleet view on a single kiosk (it needs hall mode)")) }
        let reports = try await desk.fleetReports()
        return Self.assemble(heartbeats: reports.heartbeats, slips: reports.slips, known: link.knownKiosks, now: now, today: desk.today(),
                             timeZone: desk.hallTimeZone, silentAfter: Self.silentAfter(heartbeatSeconds: link.heartbeatSeconds))
    }

    /// Judges every kiosk (pure: the tests feed it tables).
    public static func assemble(heartbeats: [HallHeartbeat], slips: HallSlipHistory, known: [String], now: Date, today: CivilDate,
                                timeZone: TimeZone, silentAfter: Double) -> FleetView {
        let rates = SlipRates(slips, today: today)
        var kiosks: [FleetKiosk] = []
        for heartbeat in heartbeats {
            kiosks.append(kiosk(heartbeat, rates: rates, now: now, timeZone: timeZone, silentAfter: silentAfter))
        }
        for id in Set(known).subtracting(heartbeats.map(\.kioskID)) {
            kiosks.append(FleetKiosk(kioskID: id, level: "red", state: "never", problems: ["从未发送心跳（请检查该终端是否开机、网络和 hall 配置）"],
                                     devices: [], printers: []))
        }
        let rank = ["red": 0, "amber": 1, "green": 2]
        kiosks.sort { (rank[$0.level] ?? 3, $0.kioskID) < (rank[$1.level] ?? 3, $1.kioskID) }
        return FleetView(generatedAt: now, silentAfterSeconds: silentAfter, kiosks: kiosks)
    }

    static func kiosk(_ heartbeat: HallHeartbeat, rates: SlipRates, now: Date, timeZone: TimeZone, silentAfter: Double) -> FleetKiosk {
        var red: [String] = []
        var amber: [String] = []
        let age = now.timeIntervalSince(heartbeat.sentAt)
        let silent = age > silentAfter
        if silent { red.append("心跳已中断：最后一次在 \(Self.clock(heartbeat.sentAt, timeZone)) （\(Int(age / 60)) 分钟前）") }
        for device in heartbeat.devices {
            if device.paper == "out" { red.append("\(device.id) 缺纸") } else if device.paper == "jammed" { red.append("\(device.id) 卡纸") }
            else if device.status == "starting" { amber.append("\(device.id) 正在启动") }
            else if !device.healthy { red.append("\(device.id) \(device.status)") } else if device.paper == "low" { amber.append("\(device.id) 纸张将尽") }
        }
        var printers: [FleetPrinter] = []
        for printer in heartbeat.printers {
            let paper = heartbeat.devices.first { $0.id == printer.id }?.paper
            let fleetPrinter = forecast(printer, kioskID: heartbeat.kioskID, paper: paper, rates: rates, now: now, timeZone: timeZone)
            if fleetPrinter.restockSoon { amber.append("\(printer.id) \(fleetPrinter.estimate)") }
            printers.append(fleetPrinter)
        }
        if let age = heartbeat.outboxOldestAgeSeconds, age > 3600 {
            amber.append("有 \(heartbeat.outboxDepth) 条记录尚未上报省级平台（最早 \(Int(age / 60)) 分钟前）")
        }
        if heartbeat.health != "ok" && !silent { amber.append("终端状态：\(heartbeat.health)") }
        return FleetKiosk(kioskID: heartbeat.kioskID, level: !red.isEmpty ? "red" : !amber.isEmpty ? "amber" : "green",
                          state: silent ? "silent" : "ok", lastHeartbeatAt: heartbeat.sentAt, secondsSinceHeartbeat: max(0, age),
                          version: heartbeat.version, health: heartbeat.health, problems: red + amber, devices: heartbeat.devices,
                          printers: printers, outboxDepth: heartbeat.outboxDepth, outboxOldestAgeSeconds: heartbeat.outboxOldestAgeSeconds,
                          lastFilingAt: heartbeat.lastFilingAt)
    }

    /// The roll's estimate: slips left from its counters, spent at its own hourly rates (the
    /// hall's mean when it has no complete day yet); "no estimate" rather than a guess.
    static func forecast(_ printer: HallHeartbeat.Printer, kioskID: String, paper: String?, rates: SlipRates, now: Date,
                         timeZone: TimeZone) -> FleetPrinter {
        let left = RestockForecast.slipsLeft(rollStarted: printer.rollStartedAt != nil, rollSlips: printer.rollSlips,
                                             rollPaperMillimetres: printer.rollPaperMillimetres, rollLengthMillimetres: printer.rollLengthMillimetres,
                                             totalSlips: printer.totalSlips, totalPaperMillimetres: printer.totalPaperMillimetres)
        var out = FleetPrinter(id: printer.id, paper: paper, rollSlips: printer.rollSlips, slipsLeft: left, runsOutAt: nil, basis: nil,
                               estimate: "", restockSoon: false)
        guard let left else {
            out.estimate = printer.rollStartedAt == nil ? "暂无预测（未登记换纸，纸卷余量未知）" : "暂无预测（尚未打印过凭条）"
            return out
        }
        let key = HallSlipHistory.Key(kioskID: kioskID, printerID: printer.id)
        guard let (hourly, basis) = rates.rates(for: key) else {
            out.estimate = "约\(left)张后用完；暂无预测时间（尚无完整一天的出纸记录）"
            return out
        }
        guard let forecast = RestockForecast.estimate(slipsLeft: left, rates: hourly, now: now, timeZone: timeZone) else {
            out.estimate = "约\(left)张后用完；按近期出纸量两周内不会用完"
            out.basis = basis
            return out
        }
        out.runsOutAt = forecast.runsOutAt
        out.basis = basis
        out.estimate = "约\(left)张后用完，预计\(Self.when(forecast.runsOutAt, now: now, timeZone))"
        out.restockSoon = forecast.runsOutAt.timeIntervalSince(now) <= StaffAlerts.restockLead && paper != "low" && paper != "out"
        return out
    }

    /// `HH:mm` in hall time.
    static func clock(_ date: Date, _ timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.hour, .minute], from: date)
        return String(format: "%02d:%02d", c.hour ?? 0, c.minute ?? 0)
    }

    /// `03:40`, `明天 03:40` or `12月9日 03:40` in hall time.
    static func when(_ date: Date, now: Date, _ timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let days = calendar.dateComponents([.day], from: calendar.startOfDay(for: now), to: calendar.startOfDay(for: date)).day ?? 0
        let c = calendar.dateComponents([.month, .day], from: date)
        return switch days {
        case 0: clock(date, timeZone)
        case 1: "明天 " + clock(date, timeZone)
        default: "\(c.month ?? 0)月\(c.day ?? 0)日 " + clock(date, timeZone)
        }
    }
}

/// Slips per hour of the hall day for each printer with a complete day of history, and the
/// hall's mean over those printers for the rest.
struct SlipRates {
    var own: [HallSlipHistory.Key: [Double]] = [:]
    var hall: [Double]?

    init(_ history: HallSlipHistory, today: CivilDate) {
        var byKey: [HallSlipHistory.Key: [(day: CivilDate, hour: Int, slips: Int)]] = [:]
        for hour in history.hours { byKey[hour.key, default: []].append((hour.day, hour.hour, hour.slips)) }
        for (key, first) in history.firstDay {
            if let rates = RestockForecast.hourlyRates(history: byKey[key] ?? [], firstDay: first, today: today) { own[key] = rates }
        }
        if !own.isEmpty {
            hall = (0..<24).map { hour in own.values.reduce(0) { $0 + $1[hour] } / Double(own.count) }
        }
    }

    func rates(for key: HallSlipHistory.Key) -> ([Double], String)? {
        if let mine = own[key] { return (mine, "printer") }
        if let hall { return (hall, "hall") }
        return nil
    }
}

/// Writes this kiosk's heartbeat into the hall store every `interval` on the kiosk's clock
/// (hall mode): devices, paper and roll counters, outbox depth and age, version, last filing.
/// A hall outage does not disturb the kiosk: the heartbeat fails (logged once per outage) and
/// the next tick sends a fresh one.
public struct HallHeartbeatService: Service {
    let desk: FrontDesk
    let clock: any KioskClock
    let interval: Duration
    let report: @Sendable (Date) async -> HallHeartbeat
    let logger: Logger

    public init(desk: FrontDesk, clock: any KioskClock, interval: Duration, logger: Logger,
                report: @escaping @Sendable (Date) async -> HallHeartbeat) {
        self.desk = desk
        self.clock = clock
        self.interval = interval
        self.report = report
        self.logger = logger
    }

    /// The heartbeat of a kiosk from its status board, printers and outbox.
    public static func heartbeat(kioskID: String, version: String, at now: Date, board: DeviceStatusBoard, printers: [SlipPrinter],
                                 outbox: OutboxReport?, lastFilingAt: Date?, health: String) async -> HallHeartbeat {
        let devices = (board.snapshot?.reports ?? []).map {
            HallHeartbeat.Device(id: $0.id, status: $0.status.rawValue, paper: $0.paper?.rawValue, detail: $0.detail, healthy: $0.isHealthy)
        }
        var rolls: [HallHeartbeat.Printer] = []
        for printer in printers {
            guard let c = try? await printer.counters() else { continue }
            rolls.append(HallHeartbeat.Printer(id: printer.binding.id, rollStartedAt: c.rollStartedAt, rollSlips: c.rollSlips,
                                               rollPaperMillimetres: c.rollPaperMillimetres,
                                               rollLengthMillimetres: printer.profile.paper.rollLengthMillimetres,
                                               lowWarningMillimetres: printer.profile.paper.lowWarningMillimetres, totalSlips: c.totalSlips,
                                               totalPaperMillimetres: c.totalPaperMillimetres))
        }
        return HallHeartbeat(kioskID: kioskID, sentAt: now, version: version, devices: devices, printers: rolls,
                             outboxDepth: outbox?.depth ?? 0, outboxOldestAgeSeconds: outbox?.oldestAgeSeconds, lastFilingAt: lastFilingAt,
                             health: health)
    }

    public func run() async throws {
        var failing = false
        await beat(&failing)
        for await _ in AsyncTimerSequence.repeating(every: interval).cancelOnGracefulShutdown() { await beat(&failing) }
    }

    /// Sends one heartbeat; whether it failed is remembered to log an outage once.
    func beat(_ failing: inout Bool) async {
        let heartbeat = await report(clock.now())
        do {
            try await desk.sendHeartbeat(heartbeat)
            if failing { logger.notice("hall heartbeat sent again") }
            failing = false
        } catch {
            if !failing { logger.warning("hall heartbeat failed; retried every interval", metadata: ["error": "\(error)"]) }
            failing = true
        }
    }
}
