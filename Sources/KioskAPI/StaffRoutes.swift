import DeviceKit
import Foundation
import FrontDesk
import HTTPTypes
import Hummingbird
import KioskConfig
import Logging
import Printing
import Store
import Upstream

/// The staff door: PIN login, then with the bearer token alerts, restock, reset, maintenance,
/// reprint (role staff) and outbox and diagnostics (role technician). Every action, and every
/// login attempt, is appended to the audit chain.
public struct StaffRoutes: Sendable {
    let door: StaffDoor
    let desk: FrontDesk
    let board: DeviceStatusBoard
    let devices: [any KioskDevice]
    let printers: [SlipPrinter]
    let maintenance: MaintenanceMode
    let sessions: CitizenSessions
    let events: KioskEventLog
    let version: String
    let kioskID: String
    let startedAt: Date
    /// What the data directory holds (pages, database, free space), from the last retention sweep.
    let diskUsage: @Sendable () -> Retention.DiskUsage?

    public init(door: StaffDoor, desk: FrontDesk, board: DeviceStatusBoard, devices: [any KioskDevice], printers: [SlipPrinter],
                maintenance: MaintenanceMode, sessions: CitizenSessions, events: KioskEventLog, version: String, kioskID: String,
                startedAt: Date = Date(), diskUsage: @escaping @Sendable () -> Retention.DiskUsage? = { nil }) {
        self.diskUsage = diskUsage
        self.door = door
        self.desk = desk
        self.board = board
        self.devices = devices
        self.printers = printers
        self.maintenance = maintenance
        self.sessions = sessions
        self.events = events
        self.version = version
        self.kioskID = kioskID
        self.startedAt = startedAt
    }

    // MARK: bodies and answers

    struct LoginBody: Decodable { var pin: String }

    struct LoginAnswer: ResponseEncodable {
        var token: String
        var role: String
        var name: String
        var expiresAt: Date
    }

    /// Something staff should look at.
    public struct Alert: ResponseEncodable, Sendable, Hashable {
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
    }

    struct ResetAnswer: ResponseEncodable {
        var device: String
        var status: DeviceStatusReport
    }

    struct MaintenanceBody: Decodable {
        var on: Bool
        var message: String?
    }

    struct ReprintBody: Decodable { var duplicate: Bool? }

    struct Diagnostics: ResponseEncodable {
        struct StoreCounts: Encodable {
            var filings: Int
            var drafts: Int
            var printJobs: Int
        }
        var version: String
        var kioskId: String
        var uptimeSeconds: Double
        var devices: [DeviceStatusReport]
        var sessions: Int
        var maintenance: MaintenanceMode.State
        var store: StoreCounts
        var disk: Retention.DiskUsage?
    }

    // MARK: routes

    public func add(to router: Router<KioskRequestContext>) {
        router.post("/api/v1/staff/login") { request, context -> LoginAnswer in
            let body = try await request.decodeJSON(LoginBody.self, context: context)
            guard PINHash.pinLengths.contains(body.pin.count), body.pin.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw APIProblem.invalid("pin must be 4–12 digits")
            }
            switch door.login(pin: body.pin) {
            case let .granted(login):
                audit(login, subject: "staff:\(login.name)", action: "login", context: context)
                return LoginAnswer(token: login.token, role: login.role.rawValue, name: login.name, expiresAt: login.expiresAt)
            case let .wrongPIN(left):
                auditDoor(action: "login", outcome: "refused", note: "wrong PIN (\(left) attempts left)", context: context)
                throw APIProblem(.unauthorized, code: "wrong-pin", title: "密码错误", detail: "wrong PIN; \(left) attempts left before the staff door locks",
                                 extensions: ["attemptsLeft": .int(left)])
            case let .locked(until, justNow):
                if justNow { auditDoor(action: "lockout", outcome: "locked", note: "too many wrong PINs; locked until \(until)", context: context) }
                let seconds = max(1, Int(until.timeIntervalSinceNow.rounded(.up)))
                throw APIProblem(.tooManyRequests, code: "locked", title: "错误次数过多，请\((seconds + 59) / 60)分钟后再试",
                                 detail: "the staff door is locked after repeated wrong PINs; retry after \(seconds) s",
                                 extensions: ["lockedUntil": .string(ISO8601DateFormatter().string(from: until)),
                                              "retryAfterSeconds": .int(seconds)])
            case .noAccounts:
                throw APIProblem(.unauthorized, code: "no-staff-accounts", title: "未设置工作人员密码",
                                 detail: "no staff accounts are configured: run `kioskctl staff set-pin NAME --role staff|technician`")
            }
        }
        router.post("/api/v1/staff/logout") { request, _ -> HTTPResponse.Status in
            let login = try authorize(request, needs: .staff)
            door.logout(token: login.token)
            return .noContent
        }

        router.get("/api/v1/staff/alerts") { request, _ -> [Alert] in
            _ = try authorize(request, needs: .staff)
            return alerts()
        }

        router.post("/api/v1/staff/printers/{id}/restock") { request, context -> RestockReport in
            let login = try authorize(request, needs: .staff)
            let id = try context.parameters.require("id")
            guard let printer = printers.first(where: { $0.binding.id == id }) else {
                throw APIProblem.notFound("no CUPS printer '\(id)' (printers: \(printers.map(\.binding.id).joined(separator: ", ")))")
            }
            do {
                let report = try await printer.restock()
                audit(login, subject: "printer:\(id)", action: "restock", note: "resumed \(report.resumed.count), reprinted \(report.reprinted.count)", context: context)
                await publishStatus(of: printer)
                return report
            } catch {
                audit(login, subject: "printer:\(id)", action: "restock", outcome: "failed", note: "\(error)", context: context)
                throw APIProblem(.serviceUnavailable, code: "restock-failed", title: "操作失败，请检查打印机", detail: "\(error)")
            }
        }

        router.post("/api/v1/staff/devices/{id}/reset") { request, context -> ResetAnswer in
            let login = try authorize(request, needs: .staff)
            let id = try context.parameters.require("id")
            guard let device = devices.first(where: { $0.binding.id == id }) else {
                throw APIProblem.notFound("no device '\(id)' (devices: \(devices.map(\.binding.id).joined(separator: ", ")))")
            }
            guard let resettable = device as? any ResettableDevice else {
                throw APIProblem(.conflict, code: "not-resettable", title: "该设备不支持复位",
                                 detail: "device '\(id)' (\(device.binding.driver.rawValue)) cannot be reset from here")
            }
            do {
                let status = try await resettable.reset()
                audit(login, subject: "device:\(id)", action: "reset", note: "now \(status.status.rawValue)", context: context)
                events.publish(.deviceStatus, status)
                return ResetAnswer(device: id, status: status)
            } catch {
                audit(login, subject: "device:\(id)", action: "reset", outcome: "failed", note: "\(error)", context: context)
                throw APIProblem(.serviceUnavailable, code: "reset-failed", title: "复位失败，请联系技术人员", detail: "\(error)")
            }
        }

        router.get("/api/v1/staff/maintenance") { request, _ -> MaintenanceMode.State in
            _ = try authorize(request, needs: .staff)
            return maintenance.current
        }
        router.post("/api/v1/staff/maintenance") { request, context -> MaintenanceMode.State in
            let login = try authorize(request, needs: .staff)
            let body = try await request.decodeJSON(MaintenanceBody.self, context: context)
            if let message = body.message, message.trimmingCharacters(in: .whitespaces).isEmpty || message.count > 100 {
                throw APIProblem.invalid("message must be 1–100 characters")
            }
            let state: MaintenanceMode.State
            do {
                state = try maintenance.set(on: body.on, message: body.message)
            } catch {
                context.logger.error("maintenance switch not saved", metadata: ["error": "\(error)"])
                state = maintenance.current
            }
            audit(login, subject: "kiosk:maintenance", action: body.on ? "maintenance-on" : "maintenance-off", note: body.message, context: context)
            return state
        }

        router.post("/api/v1/staff/filings/{number}/reprint") { request, context -> PrintOutcome in
            let login = try authorize(request, needs: .staff)
            let number = try context.parameters.require("number")
            // Optional body {"duplicate": false}: reprint only a slip that did not come out.
            let body = try await request.decodeJSON(ReprintBody.self, context: context, emptyAs: ReprintBody(duplicate: nil))
            let jobID = try refusing { () throws(FrontDeskError) in try desk.latestPrintJobID(reference: number) }
            guard let jobID, let job = try? desk.store.printJob(id: jobID),
                  let printer = printers.first(where: { $0.binding.id == job.printerId }) else {
                throw APIProblem.notFound("no printed slip for filing \(number)")
            }
            do {
                let outcome = try await printer.reprint(jobId: jobID, duplicate: body.duplicate ?? true)
                audit(login, subject: "filing:\(number)", action: "reprint", note: "job \(jobID) → job \(outcome.jobId) \(outcome.state.rawValue)", context: context)
                return outcome
            } catch let error as PrintError {
                if case .refused = error {
                    throw APIProblem(.conflict, code: "reprint-refused", title: "该凭条正在打印，请稍候", detail: error.description)
                }
                throw APIProblem(.serviceUnavailable, code: "reprint-failed", title: "补打失败，请检查打印机", detail: error.description)
            }
        }

        router.get("/api/v1/staff/outbox") { request, _ -> OutboxReport in
            _ = try authorize(request, needs: .technician)
            do {
                return try OutboxLedger(store: desk.store).report(now: Date(), rowLimit: 100)
            } catch {
                throw APIProblem(.serviceUnavailable, code: "store", title: "暂时无法读取上报队列", detail: "\(error)")
            }
        }

        router.post("/api/v1/staff/outbox/retry") { request, context -> OutboxRetried in
            let login = try authorize(request, needs: .staff)
            let body = try await request.decodeJSON(OutboxRetryBody.self, context: context)
            let ledger = OutboxLedger(store: desk.store)
            let retried: Int
            do {
                switch (body.id, body.all ?? false) {
                case let (id?, false):
                    guard try ledger.retry(id: id, now: Date()) else { throw APIProblem.notFound("no undelivered outbox row \(id)") }
                    retried = 1
                case (nil, true):
                    retried = try ledger.retryAll(now: Date(), includeRejected: body.includeRejected ?? false)
                default:
                    throw APIProblem.invalid("send {\"id\": N} for one row or {\"all\": true} for every waiting row")
                }
            } catch let problem as APIProblem {
                throw problem
            } catch {
                throw APIProblem(.serviceUnavailable, code: "store", title: "暂时无法读取上报队列", detail: "\(error)")
            }
            audit(login, subject: "outbox", action: "retry", note: body.id.map { "row \($0)" } ?? "all rows\(body.includeRejected == true ? " incl. rejected" : "") (\(retried))",
                  context: context)
            return OutboxRetried(retried: retried)
        }

        router.get("/api/v1/staff/diagnostics") { request, _ -> Diagnostics in
            _ = try authorize(request, needs: .technician)
            let counts = try? desk.counts()
            return Diagnostics(version: version, kioskId: kioskID, uptimeSeconds: Date().timeIntervalSince(startedAt),
                               devices: board.snapshot?.reports ?? [], sessions: sessions.count, maintenance: maintenance.current,
                               store: .init(filings: counts?.filingsByStatus.values.reduce(0, +) ?? 0, drafts: counts?.openDrafts ?? 0,
                                            printJobs: counts?.printJobs ?? 0),
                               disk: diskUsage())
        }
    }

    // MARK: helpers

    func authorize(_ request: Request, needs role: StaffRole) throws -> StaffDoor.Login {
        do {
            return try door.authorize(request.headers[.authorization], needs: role)
        } catch {
            switch error {
            case .missing:
                throw APIProblem(.unauthorized, code: "login-required", title: "请先登录", detail: "send Authorization: Bearer <token> from POST /api/v1/staff/login")
            case .unknownOrExpired:
                throw APIProblem(.unauthorized, code: "login-expired", title: "登录已过期，请重新登录", detail: "the staff token is unknown or expired")
            case let .forbidden(has, needs):
                throw APIProblem(.forbidden, code: "role", title: "无权执行此操作", detail: "this needs the \(needs.rawValue) role; you are \(has.rawValue)")
            }
        }
    }

    func audit(_ login: StaffDoor.Login, subject: String, action: String, outcome: String = "done", note: String? = nil,
               context: KioskRequestContext) {
        do {
            try desk.recordStaffAction(name: login.name, technician: login.role == .technician, subject: subject, action: action,
                                       outcome: outcome, note: note)
        } catch {
            context.logger.error("staff action not audited", metadata: ["action": "\(action)", "error": "\(error)"])
        }
        context.logger.notice("staff action", metadata: ["staff": "\(login.name)", "role": "\(login.role.rawValue)", "action": "\(action)",
                                                         "subject": "\(subject)", "outcome": "\(outcome)"])
    }

    func auditDoor(action: String, outcome: String, note: String, context: KioskRequestContext) {
        do {
            try desk.recordStaffAction(name: "unknown", technician: false, subject: "staff-door", action: action, outcome: outcome, note: note)
        } catch {
            context.logger.error("staff door event not audited", metadata: ["error": "\(error)"])
        }
        context.logger.warning("staff door", metadata: ["action": "\(action)", "outcome": "\(outcome)", "note": "\(note)"])
    }

    func publishStatus(of device: any KioskDevice) async {
        events.publish(.deviceStatus, await device.checkStatus())
    }

    /// What needs attention now: devices, held slips, maintenance, the outbox, red cards.
    func alerts(now: Date = Date()) -> [Alert] {
        var alerts: [Alert] = []
        for report in board.snapshot?.reports ?? [] where !report.isHealthy || report.paper == .low || report.detail != nil {
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
            alerts.append(Alert(code: code, severity: severity, source: report.id, title: title,
                                detail: report.detail ?? report.status.rawValue, action: report.action?.rawValue, since: report.checkedAt))
        }
        let state = maintenance.current
        if state.on {
            alerts.append(Alert(code: "maintenance", severity: state.automatic ? "critical" : "info", source: "maintenance",
                                title: "自助终端处于维护模式", detail: state.reasons.joined(separator: "; "), action: nil, since: state.since))
        }
        if let outbox = try? OutboxLedger(store: desk.store).report(now: now, rowLimit: 0) {
            if let age = outbox.oldestAgeSeconds, age > 3600 {
                alerts.append(Alert(code: "outbox-behind", severity: age > 86_400 ? "critical" : "warning", source: "outbox",
                                    title: "有 \(outbox.depth) 条记录尚未上报省级平台",
                                    detail: "\(outbox.depth) outbox rows waiting, the oldest for \(Int(age / 60)) min"
                                        + (outbox.lastError.map { "; last error: \($0)" } ?? ""), action: nil, since: now - age))
            }
            if outbox.stuck > 0 {
                alerts.append(Alert(code: "outbox-stuck", severity: "warning", source: "outbox",
                                    title: "有 \(outbox.stuck) 条记录多次上报失败，仍在定时重试",
                                    detail: "\(outbox.stuck) rows stuck (still retried slowly); last error: \(outbox.lastError ?? "-"); retry now with POST /api/v1/staff/outbox/retry or `kioskctl outbox retry --all`",
                                    action: "retry", since: outbox.lastFailureAt))
            }
            for rejection in outbox.rejections.prefix(10) {
                alerts.append(Alert(code: "outbox-rejected", severity: "critical", source: "outbox",
                                    title: "省级平台拒收了 \(rejection.subject)，请核实后重新上报",
                                    detail: "row \(rejection.id) (\(rejection.kind)) rejected: \(rejection.reason); \(rejection.blockedRows) later row(s) wait behind it",
                                    action: "retry", since: rejection.rejectedAt))
            }
        }
        if let notices = try? desk.supervisionNotices(limit: 20), !notices.isEmpty {
            alerts.append(Alert(code: "red-card", severity: "warning", source: "supervision",
                                title: "有 \(notices.count) 件办件已超期（红牌）",
                                detail: "overdue filings: \(notices.prefix(5).map(\.filingNumber).joined(separator: ", "))", action: nil,
                                since: notices.map(\.issuedAt).min()))
        }
        return alerts
    }
}

extension RestockReport: ResponseEncodable {}
extension PrintOutcome: ResponseEncodable {}
extension MaintenanceMode.State: ResponseEncodable {}
extension OutboxReport: ResponseEncodable {}

/// `POST /api/v1/staff/outbox/retry`: one row, or every waiting row (rejected ones only when asked).
struct OutboxRetryBody: Decodable {
    var id: Int64?
    var all: Bool?
    var includeRejected: Bool?
}

struct OutboxRetried: ResponseEncodable {
    /// Rows made due now.
    var retried: Int
}
