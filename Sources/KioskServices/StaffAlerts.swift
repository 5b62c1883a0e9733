import DeviceKit
import Foundation
import FrontDesk
import Upstream
import Workflow

/// Something staff should look at.
public struct StaffAlert: Codable, Sendable, Hashable {
    public var code: String
    /// info, warning or critical.
    public var severity: String
    /// The device id, `outbox`, `maintenance`, `supervision`…
    public var source: String
    /// Chinese, for the staff screen.
    public var title: String
    /// English, for technicians.
    public var detail: String
    public var action: String?
    public var since: Date?

    public init(code: String, severity: String, source: String, title: String, detail: String, action: String?, since: Date?) {
        self.code = code; self.severity = severity; self.source = source; self.title = title
        self.detail = detail; self.action = action; self.since = since
    }
}

/// The use case "what needs staff attention now": which reading is an alert, how severe, and what
/// it tells staff to do — devices (paper out/low/jammed, absent, failed), the data disk, the
/// staff door's lockouts, maintenance, the outbox (behind for over an hour, stuck, rejected),
/// overdue 差评 rectifications, 补交 materials due by the next working day, red-light
/// supervision notices and, in hall mode, kiosks gone silent and rolls predicted to run out
/// within `restockLead` (before their printer reports low). The staff API shows the list;
/// the thresholds live only here.
public struct StaffAlerts: Sendable {
    /// A lockout of the staff door (`account` nil) or of one account.
    public struct Lockout: Sendable, Hashable {
        public var account: String?
        public var since: Date
        public var until: Date

        public init(account: String?, since: Date, until: Date) {
            self.account = account
            self.since = since
            self.until = until
        }
    }

    /// Predictive restock: a roll expected to run out within this (and not reported low or out
    /// yet) is an early `restock-soon` alert, on the fleet view and here.
    public static let restockLead: TimeInterval = 3 * 3600

    let desk: FrontDesk
    let board: DeviceStatusBoard?
    let disk: DataDisk?
    let maintenance: MaintenanceMode?

    public init(desk: FrontDesk, board: DeviceStatusBoard?, disk: DataDisk?, maintenance: MaintenanceMode?) {
        self.desk = desk
        self.board = board
        self.disk = disk
        self.maintenance = maintenance
    }

    /// What needs attention now, at `now`; `lockouts` are the staff door's of the last hour.
    public func alerts(now: Date, lockouts: [Lockout]) async -> [StaffAlert] {
        var alerts: [StaffAlert] = []
        for report in board?.snapshot?.reports ?? [] where !report.isHealthy || report.paper == .low || report.detail != nil {
            let (code, severity, title): (String, String, String) = switch (report.status, report.paper) {
            case (_, .out?): ("paper-out", "critical", "\(report.id) 缺纸，请更换纸卷")
            case (_, .jammed?): ("paper-jam", "critical", "\(report.id) 卡纸，请清理")
            case (_, .low?): ("paper-low", "warning", "\(report.id) 纸张将尽，请准备新纸卷")
            case (.powerOff, _), (.noDevice, _): ("device-absent", "critical", "\(report.id) 未连接，请检查线缆和电源")
            case (.hardwareError, _): ("device-error", "critical", "\(report.id) 故障，请复位或联系技术人员")
            case (.offline, _): ("device-offline", "critical", "\(report.id) 离线")
            case (.userError, _): ("device-needs-staff", "critical", "\(report.id) 需要人工处理")
            default: ("device-note", "info", "\(report.id) 有提示信息")
            }
            alerts.append(StaffAlert(code: code, severity: severity, source: report.id, title: title,
                                detail: report.detail ?? report.status.rawValue, action: report.action?.rawValue, since: report.checkedAt))
        }
        if let reading = disk?.reading(), reading.state == "full" || reading.state == "low" {
            let full = reading.state == "full"
            alerts.append(StaffAlert(code: full ? "disk-full" : "disk-low", severity: full ? "critical" : "warning", source: "disk",
                                title: full ? "数据盘空间已满，无法保存办件和材料，请立即联系技术人员" : "数据盘空间即将用完，请联系技术人员清理",
                                detail: "\(DataDisk.megabytes(reading.freeBytes)) free on the data directory's file system (reserve \(DataDisk.megabytes(reading.reserveBytes)))"
                                    + (full ? "; captures, filings, tickets and staff actions are refused until space is freed" : ""),
                                action: "maintenance", since: nil))
        }
        for lock in lockouts {
            let holding = lock.until > now
            let (code, title, detail): (String, String, String) = if let name = lock.account {
                ("staff-account-locked", holding ? "账号 \(name) 已被锁定（连续密码错误）" : "账号 \(name) 曾被锁定（连续密码错误）",
                 "account '\(name)' locked after wrong PINs in a row, until \(lock.until)")
            } else {
                ("staff-door-locked", holding ? "工作人员登录已被锁定（多次密码错误）" : "工作人员登录曾被锁定（多次密码错误）",
                 "the staff door locked after too many wrong PINs, until \(lock.until)")
            }
            alerts.append(StaffAlert(code: code, severity: holding ? "critical" : "warning", source: "staff-door", title: title,
                                detail: detail + "; if nobody on staff did this, someone is guessing PINs", action: nil, since: lock.since))
        }
        if let state = maintenance?.current, state.on {
            alerts.append(StaffAlert(code: "maintenance", severity: state.automatic ? "critical" : "info", source: "maintenance",
                                title: "自助终端处于维护模式", detail: state.reasons.joined(separator: "; "), action: nil, since: state.since))
        }
        if let outbox = try? await OutboxLedger(store: desk.store).report(now: now, rowLimit: 0) {
            if let age = outbox.oldestAgeSeconds, age > 3600 {
                alerts.append(StaffAlert(code: "outbox-behind", severity: age > 86_400 ? "critical" : "warning", source: "outbox",
                                    title: "有 \(outbox.depth) 条记录尚未上报省级平台",
                                    detail: "\(outbox.depth) outbox rows waiting, the oldest for \(Int(age / 60)) min"
                                        + (outbox.lastError.map { "; last error: \($0)" } ?? ""), action: nil, since: now - age))
            }
            if outbox.stuck > 0 {
                alerts.append(StaffAlert(code: "outbox-stuck", severity: "warning", source: "outbox",
                                    title: "有 \(outbox.stuck) 条记录多次上报失败，仍在定时重试",
                                    detail: "\(outbox.stuck) rows stuck (still retried slowly); last error: \(outbox.lastError ?? "-"); retry now with POST /api/v1/staff/outbox/retry or `kioskctl outbox retry --all`",
                                    action: "retry", since: outbox.lastFailureAt))
            }
            for rejection in outbox.rejections.prefix(10) {
                alerts.append(StaffAlert(code: "outbox-rejected", severity: "critical", source: "outbox",
                                    title: "省级平台拒收了 \(rejection.subject)，请核实后重新上报",
                                    detail: "row \(rejection.id) (\(rejection.kind)) rejected: \(rejection.reason); \(rejection.blockedRows) later row(s) wait behind it",
                                    action: "retry", since: rejection.rejectedAt))
            }
        }
        if let overdue = try? await desk.overdueRectifications(), !overdue.isEmpty {
            alerts.append(StaffAlert(code: "rectification-overdue", severity: "warning", source: "supervision",
                                title: "有 \(overdue.count) 条差评整改已超过办理期限",
                                detail: "rectifications past their deadline: " + overdue.prefix(5).map { "#\($0.id) (\($0.status.rawValue), due \($0.deadline))" }.joined(separator: ", ")
                                    + "; move them with POST /api/v1/staff/rectifications/{id}/move or `kioskctl rectifications move`",
                                action: nil, since: nil))
        }
        if let due = try? await desk.deferralsDueSoon(), !due.isEmpty {
            // A working day before the catalogue's consequence applies to a 容缺 filing (退件 / 不予受理).
            let filings = Set(due.map(\.filingNumber)).count
            alerts.append(StaffAlert(code: "deferral-due", severity: due.contains(where: \.lapsed) ? "critical" : "warning", source: "supervision",
                                title: "有 \(filings) 件容缺受理办件的补交材料即将到期，逾期将按退件或不予受理处理",
                                detail: "deferred materials due by the next working day: " + due.prefix(5).map {
                                    "\($0.filingNumber) \($0.materialName) (due \($0.deadline), then \($0.consequence.rawValue)\($0.lapsed ? ", past" : ""))"
                                }.joined(separator: ", ") + "; remind the applicant or record the material at a window",
                                action: nil, since: nil))
        }
        if let notices = try? await desk.supervisionNotices(limit: 20), !notices.isEmpty {
            alerts.append(StaffAlert(code: "red-card", severity: "warning", source: "supervision",
                                title: "有 \(notices.count) 件办件超期2个工作日以上（红灯督办）",
                                detail: "overdue filings: \(notices.prefix(5).map(\.filingNumber).joined(separator: ", "))", action: nil,
                                since: notices.map(\.issuedAt).min()))
        }
        alerts += await fleetAlerts(now: now)
        return alerts
    }

    /// Hall mode: every kiosk of the hall whose heartbeat stopped or never came, and every roll
    /// predicted to run out within `restockLead` (not while the hall database is known to be away:
    /// the hall link's own health says so, and the alerts do not wait for its timeout).
    func fleetAlerts(now: Date) async -> [StaffAlert] {
        guard let link = desk.hallLink, !link.isUnreachable, let view = try? await HallFleet(desk: desk).view(now: now) else { return [] }
        var alerts: [StaffAlert] = []
        for kiosk in view.kiosks {
            if kiosk.state != "ok" {
                let never = kiosk.state == "never"
                alerts.append(StaffAlert(code: never ? "kiosk-never-sent" : "kiosk-silent", severity: "critical", source: "fleet:\(kiosk.kioskID)",
                                         title: never ? "\(kiosk.kioskID) 号终端从未发送心跳" : "\(kiosk.kioskID) 号终端心跳已中断",
                                         detail: never ? "kiosk \(kiosk.kioskID) is listed in hall.kiosks but never sent a heartbeat"
                                             : "kiosk \(kiosk.kioskID) last sent a heartbeat \(Int(kiosk.secondsSinceHeartbeat ?? 0)) s ago",
                                         action: nil, since: kiosk.lastHeartbeatAt))
            }
            for printer in kiosk.printers where printer.restockSoon {
                alerts.append(StaffAlert(code: "restock-soon", severity: "warning", source: "fleet:\(kiosk.kioskID)/\(printer.id)",
                                         title: "\(kiosk.kioskID) 号终端 \(printer.id) \(printer.estimate)，请提前准备纸卷",
                                         detail: "kiosk \(kiosk.kioskID) printer \(printer.id): about \(printer.slipsLeft ?? 0) slips left, expected to run out at \(printer.runsOutAt.map { "\($0)" } ?? "-") (slip rates by hour: \(printer.basis ?? "-"))",
                                         action: "restock", since: nil))
            }
        }
        return alerts
    }
}
