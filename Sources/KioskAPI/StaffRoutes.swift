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
import Workflow

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
    /// The data disk's free space, read live for the alerts.
    let disk: DataDisk?

    public init(door: StaffDoor, desk: FrontDesk, board: DeviceStatusBoard, devices: [any KioskDevice], printers: [SlipPrinter],
                maintenance: MaintenanceMode, sessions: CitizenSessions, events: KioskEventLog, version: String, kioskID: String,
                startedAt: Date? = nil, diskUsage: @escaping @Sendable () -> Retention.DiskUsage? = { nil }, disk: DataDisk? = nil) {
        self.diskUsage = diskUsage
        self.disk = disk
        self.startedAt = startedAt ?? desk.clock.now()
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
    }

    // MARK: bodies and answers

    /// `{"account": NAME, "pin": DIGITS}`: the account is the name `kioskctl staff list` shows.
    struct LoginBody: Decodable {
        var account: String
        var pin: String
    }

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

    /// `POST …/rectifications/{id}/move`: the next step of a 差评's follow-up and what was done.
    struct RectificationMoveBody: Decodable {
        var to: String
        var note: String?
    }

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
        // Every staff route but the login sits in a group whose middleware checks the bearer token
        // and the role once, and hands the login to the route in `context.staffLogin`.
        let staff = router.group("/api/v1/staff").add(middleware: StaffLoginMiddleware(door: door, needs: .staff))
        let technician = router.group("/api/v1/staff").add(middleware: StaffLoginMiddleware(door: door, needs: .technician))
        router.post("/api/v1/staff/login") { request, context -> LoginAnswer in
            let body = try await request.decodeJSON(LoginBody.self, context: context)
            guard PINHash.pinLengths.contains(body.pin.count), body.pin.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw APIProblem.invalid("pin must be 4–12 digits")
            }
            guard (1...32).contains(body.account.count) else { throw APIProblem.invalid("account must be 1–32 characters") }
            // Attempts against a configured account are kept under its name; the rest under staff:door.
            let subject = door.accounts.contains { $0.name == body.account } ? "staff:\(body.account)" : "staff:door"
            switch door.login(account: body.account, pin: body.pin) {
            case let .granted(login):
                do {
                    try await audit(login, subject: subject, action: "login", context: context)
                } catch {
                    door.logout(token: login.token)
                    throw error
                }
                return LoginAnswer(token: login.token, role: login.role.rawValue, name: login.name, expiresAt: login.expiresAt)
            case let .wrongPIN(left):
                await auditDoor(subject: subject, action: "login", outcome: "refused", note: "wrong PIN for account '\(body.account)' (\(left) attempts left)",
                          context: context)
                throw APIProblem(.unauthorized, code: "wrong-pin", title: "账号或密码错误",
                                 detail: "wrong account or PIN; \(left) attempts left before the staff door locks",
                                 extensions: ["attemptsLeft": .int(left)])
            case let .locked(lock, justNow):
                let until = lock.until
                if justNow {
                    let what = switch lock.scope {
                    case .door: "the whole staff door: too many wrong PINs at the door"
                    case let .account(name): "account '\(name)': too many wrong PINs in a row"
                    }
                    await auditDoor(subject: lock.scope == .door ? "staff:door" : subject, action: "lockout", outcome: "locked",
                              note: "\(what); locked until \(ISO8601DateFormatter().string(from: until))", context: context)
                }
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
        staff.post("logout") { request, context -> HTTPResponse.Status in
            let login = try context.staff()
            door.logout(token: login.token)
            return .noContent
        }

        staff.get("alerts") { request, _ -> [Alert] in
            return await alerts()
        }

        staff.post("printers/{id}/restock") { request, context -> RestockReport in
            let login = try context.staff()
            let id = try context.parameters.require("id")
            guard let printer = printers.first(where: { $0.binding.id == id }) else {
                throw APIProblem.notFound("no CUPS printer '\(id)' (printers: \(printers.map(\.binding.id).joined(separator: ", ")))")
            }
            try await audit(login, subject: "printer:\(id)", action: "restock", outcome: "requested", context: context)
            do {
                let report = try await printer.restock()
                try? await audit(login, subject: "printer:\(id)", action: "restock", note: "resumed \(report.resumed.count), reprinted \(report.reprinted.count)", context: context)
                await publishStatus(of: printer)
                return report
            } catch {
                try? await audit(login, subject: "printer:\(id)", action: "restock", outcome: "failed", note: "\(error)", context: context)
                throw APIProblem(.serviceUnavailable, code: "restock-failed", title: "操作失败，请检查打印机", detail: "\(error)")
            }
        }

        staff.post("devices/{id}/reset") { request, context -> ResetAnswer in
            let login = try context.staff()
            let id = try context.parameters.require("id")
            guard let device = devices.first(where: { $0.binding.id == id }) else {
                throw APIProblem.notFound("no device '\(id)' (devices: \(devices.map(\.binding.id).joined(separator: ", ")))")
            }
            guard let resettable = device as? any ResettableDevice else {
                throw APIProblem(.conflict, code: "not-resettable", title: "该设备不支持复位",
                                 detail: "device '\(id)' (\(device.binding.driver.rawValue)) cannot be reset from here")
            }
            try await audit(login, subject: "device:\(id)", action: "reset", outcome: "requested", context: context)
            do {
                let status = try await resettable.reset()
                try? await audit(login, subject: "device:\(id)", action: "reset", note: "now \(status.status.rawValue)", context: context)
                events.publish(.deviceStatus, status)
                return ResetAnswer(device: id, status: status)
            } catch {
                try? await audit(login, subject: "device:\(id)", action: "reset", outcome: "failed", note: "\(error)", context: context)
                throw APIProblem(.serviceUnavailable, code: "reset-failed", title: "复位失败，请联系技术人员", detail: "\(error)")
            }
        }

        staff.get("maintenance") { request, _ -> MaintenanceMode.State in
            return maintenance.current
        }
        staff.post("maintenance") { request, context -> MaintenanceMode.State in
            let login = try context.staff()
            let body = try await request.decodeJSON(MaintenanceBody.self, context: context)
            if let message = body.message, message.trimmingCharacters(in: .whitespaces).isEmpty || message.count > 100 {
                throw APIProblem.invalid("message must be 1–100 characters")
            }
            // The switch is recorded first: a switch that cannot be audited is not made.
            try await audit(login, subject: "kiosk:maintenance", action: body.on ? "maintenance-on" : "maintenance-off", note: body.message, context: context)
            let state: MaintenanceMode.State
            do {
                state = try maintenance.set(on: body.on, message: body.message)
            } catch {
                context.logger.error("maintenance switch not saved", metadata: ["error": "\(error)"])
                state = maintenance.current
            }
            return state
        }

        staff.post("filings/{number}/reprint") { request, context -> PrintOutcome in
            let login = try context.staff()
            let number = try context.parameters.require("number")
            // Optional body {"duplicate": false}: reprint only a slip that did not come out.
            let body = try await request.decodeJSON(ReprintBody.self, context: context, emptyAs: ReprintBody(duplicate: nil))
            let jobID = try await desk.latestPrintJobID(reference: number)
            guard let jobID, let job = try? desk.store.printJob(id: jobID),
                  let printer = printers.first(where: { $0.binding.id == job.printerId }) else {
                throw APIProblem.notFound("no printed slip for filing \(number)")
            }
            try await audit(login, subject: "filing:\(number)", action: "reprint", outcome: "requested", note: "job \(jobID)", context: context)
            do {
                let outcome = try await printer.reprint(jobId: jobID, duplicate: body.duplicate ?? true)
                try? await audit(login, subject: "filing:\(number)", action: "reprint", note: "job \(jobID) → job \(outcome.jobId) \(outcome.state.rawValue)", context: context)
                return outcome
            } catch let error as PrintError {
                if case .refused = error {
                    throw APIProblem(.conflict, code: "reprint-refused", title: "该凭条正在打印，请稍候", detail: error.description)
                }
                throw APIProblem(.serviceUnavailable, code: "reprint-failed", title: "补打失败，请检查打印机", detail: error.description)
            }
        }

        // 差评 follow-up (差评核实、整改、反馈): the open ones (or all with ?all=true), and one step at a time.
        staff.get("rectifications") { request, _ -> [RectificationSummary] in
            let all: Bool
            switch request.uri.queryParameters.get("all") {
            case nil, "false": all = false
            case "true": all = true
            case let other?: throw APIProblem.invalid("all must be true or false (got '\(other)')")
            }
            let today = desk.today()
            return try await desk.rectifications(includeClosed: all)
                .map { RectificationSummary($0, today: today) }
        }
        staff.post("rectifications/{id}/move") { request, context -> RectificationSummary in
            let login = try context.staff()
            guard let id = Int64(try context.parameters.require("id")) else { throw APIProblem.notFound("no such rectification") }
            let body = try await request.decodeJSON(RectificationMoveBody.self, context: context, limit: 4096)
            guard let next = RectificationStatus(rawValue: body.to) else {
                throw APIProblem.invalid("to must be one of \(RectificationStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let note = body.note, note.trimmingCharacters(in: .whitespaces).isEmpty || note.count > 500 {
                throw APIProblem.invalid("note must be 1–500 characters")
            }
            // The step, its audit record (by this staff member) and its outbox row are one transaction.
            let moved = try await desk.moveRectification(id: id, to: next, by: login.role == .technician ? .technician : .staff,
                                                   note: body.note, staffName: login.name)
            return RectificationSummary(moved, today: desk.today())
        }

        technician.get("outbox") { request, _ -> OutboxReport in
            do {
                return try await OutboxLedger(store: desk.store).report(now: desk.clock.now(), rowLimit: 100)
            } catch {
                throw APIProblem(.serviceUnavailable, code: "store", title: "暂时无法读取上报队列", detail: "\(error)")
            }
        }

        staff.post("outbox/retry") { request, context -> OutboxRetried in
            let login = try context.staff()
            let body = try await request.decodeJSON(OutboxRetryBody.self, context: context)
            let ledger = OutboxLedger(store: desk.store)
            try await audit(login, subject: "outbox", action: "retry", outcome: "requested",
                      note: body.id.map { "row \($0)" } ?? "all rows\(body.includeRejected == true ? " incl. rejected" : "")", context: context)
            let retried: Int
            do {
                switch (body.id, body.all ?? false) {
                case let (id?, false):
                    guard try await ledger.retry(id: id, now: desk.clock.now()) else { throw APIProblem.notFound("no undelivered outbox row \(id)") }
                    retried = 1
                case (nil, true):
                    retried = try await ledger.retryAll(now: desk.clock.now(), includeRejected: body.includeRejected ?? false)
                default:
                    throw APIProblem.invalid("send {\"id\": N} for one row or {\"all\": true} for every waiting row")
                }
            } catch let problem as APIProblem {
                throw problem
            } catch {
                throw APIProblem(.serviceUnavailable, code: "store", title: "暂时无法读取上报队列", detail: "\(error)")
            }
            try? await audit(login, subject: "outbox", action: "retry", note: body.id.map { "row \($0)" } ?? "all rows\(body.includeRejected == true ? " incl. rejected" : "") (\(retried))",
                       context: context)
            return OutboxRetried(retried: retried)
        }

        technician.get("diagnostics") { request, _ -> Diagnostics in
            let counts = try? await desk.counts()
            return Diagnostics(version: version, kioskId: kioskID, uptimeSeconds: desk.clock.now().timeIntervalSince(startedAt),
                               devices: board.snapshot?.reports ?? [], sessions: sessions.count, maintenance: maintenance.current,
                               store: .init(filings: counts?.filingsByStatus.values.reduce(0, +) ?? 0, drafts: counts?.openDrafts ?? 0,
                                            printJobs: counts?.printJobs ?? 0),
                               disk: diskUsage())
        }
    }

    // MARK: helpers

    /// Appends a staff action to the audit chain. Fails closed: when the record cannot be written
    /// (a full disk, a store gone away) this throws a 503 and the caller must not act.
    func audit(_ login: StaffDoor.Login, subject: String, action: String, outcome: String = "done", note: String? = nil,
               context: KioskRequestContext) async throws(APIProblem) {
        do {
            try await desk.recordStaffAction(name: login.name, technician: login.role == .technician, subject: subject, action: action,
                                       outcome: outcome, note: note)
        } catch {
            context.logger.error("staff action refused: it cannot be audited", metadata: ["action": "\(action)", "error": "\(error)"])
            throw APIProblem(.serviceUnavailable, code: "audit-unavailable", title: "系统暂时无法记录操作，请联系技术人员",
                             detail: "the audit record of '\(action)' could not be written (\(error)); the action was not done")
        }
        context.logger.notice("staff action", metadata: ["staff": "\(login.name)", "role": "\(login.role.rawValue)", "action": "\(action)",
                                                         "subject": "\(subject)", "outcome": "\(outcome)"])
    }

    /// Records a refused login or a lockout (nobody is logged in, so nobody's name is the actor).
    func auditDoor(subject: String, action: String, outcome: String, note: String, context: KioskRequestContext) async {
        do {
            try await desk.recordStaffAction(name: "unknown", technician: false, subject: subject, action: action, outcome: outcome, note: note)
        } catch {
            context.logger.error("staff door event not audited", metadata: ["error": "\(error)"])
        }
        context.logger.warning("staff door", metadata: ["action": "\(action)", "outcome": "\(outcome)", "note": "\(note)"])
    }

    func publishStatus(of device: any KioskDevice) async {
        events.publish(.deviceStatus, await device.checkStatus())
    }

    /// What needs attention now: devices, held slips, maintenance, the outbox, red cards.
    func alerts(now: Date? = nil) async -> [Alert] {
        let now = now ?? desk.clock.now()
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
        if let reading = disk?.reading(), reading.state == "full" || reading.state == "low" {
            let full = reading.state == "full"
            alerts.append(Alert(code: full ? "disk-full" : "disk-low", severity: full ? "critical" : "warning", source: "disk",
                                title: full ? "数据盘空间已满，无法保存办件和材料，请立即联系技术人员" : "数据盘空间即将用完，请联系技术人员清理",
                                detail: "\(DataDisk.megabytes(reading.freeBytes)) free on the data directory's file system (reserve \(DataDisk.megabytes(reading.reserveBytes)))"
                                    + (full ? "; captures, filings, tickets and staff actions are refused until space is freed" : ""),
                                action: "maintenance", since: nil))
        }
        for lock in door.recentLockouts(now: now) {
            let holding = lock.until > now
            let (code, title, detail): (String, String, String) = switch lock.scope {
            case .door: ("staff-door-locked", holding ? "工作人员登录已被锁定（多次密码错误）" : "工作人员登录曾被锁定（多次密码错误）",
                         "the staff door locked after too many wrong PINs, until \(lock.until)")
            case let .account(name): ("staff-account-locked", holding ? "账号 \(name) 已被锁定（连续密码错误）" : "账号 \(name) 曾被锁定（连续密码错误）",
                                      "account '\(name)' locked after wrong PINs in a row, until \(lock.until)")
            }
            alerts.append(Alert(code: code, severity: holding ? "critical" : "warning", source: "staff-door", title: title,
                                detail: detail + "; if nobody on staff did this, someone is guessing PINs", action: nil, since: lock.since))
        }
        let state = maintenance.current
        if state.on {
            alerts.append(Alert(code: "maintenance", severity: state.automatic ? "critical" : "info", source: "maintenance",
                                title: "自助终端处于维护模式", detail: state.reasons.joined(separator: "; "), action: nil, since: state.since))
        }
        if let outbox = try? await OutboxLedger(store: desk.store).report(now: now, rowLimit: 0) {
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
        if let overdue = try? await desk.overdueRectifications(), !overdue.isEmpty {
            alerts.append(Alert(code: "rectification-overdue", severity: "warning", source: "supervision",
                                title: "有 \(overdue.count) 条差评整改已超过办理期限",
                                detail: "rectifications past their deadline: " + overdue.prefix(5).map { "#\($0.id) (\($0.status.rawValue), due \($0.deadline))" }.joined(separator: ", ")
                                    + "; move them with POST /api/v1/staff/rectifications/{id}/move or `kioskctl rectifications move`",
                                action: nil, since: nil))
        }
        if let due = try? await desk.deferralsDueSoon(), !due.isEmpty {
            // A working day before the catalogue's consequence applies to a 容缺 filing (退件 / 不予受理).
            let filings = Set(due.map(\.filingNumber)).count
            alerts.append(Alert(code: "deferral-due", severity: due.contains(where: \.lapsed) ? "critical" : "warning", source: "supervision",
                                title: "有 \(filings) 件容缺受理办件的补交材料即将到期，逾期将按退件或不予受理处理",
                                detail: "deferred materials due by the next working day: " + due.prefix(5).map {
                                    "\($0.filingNumber) \($0.materialName) (due \($0.deadline), then \($0.consequence.rawValue)\($0.lapsed ? ", past" : ""))"
                                }.joined(separator: ", ") + "; remind the applicant or record the material at a window",
                                action: nil, since: nil))
        }
        if let notices = try? await desk.supervisionNotices(limit: 20), !notices.isEmpty {
            alerts.append(Alert(code: "red-card", severity: "warning", source: "supervision",
                                title: "有 \(notices.count) 件办件超期2个工作日以上（红灯督办）",
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
extension RectificationSummary: ResponseEncodable {}

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

/// The staff door on a route group: the bearer token checked against the staff door for the
/// group's role, once, before any staff route runs; the login handed on in `context.staffLogin`.
/// 401 without a token or with an expired one, 403 with a role too low.
struct StaffLoginMiddleware: RouterMiddleware {
    let door: StaffDoor
    let needs: StaffRole

    func handle(_ request: Request, context: KioskRequestContext,
                next: (Request, KioskRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        do {
            context.staffLogin = try door.authorize(request.headers[.authorization], needs: needs)
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
        return try await next(request, context)
    }
}

extension KioskRequestContext {
    /// The staff member the group's middleware let in.
    func staff() throws -> StaffDoor.Login {
        guard let login = staffLogin else {
            throw APIProblem(.unauthorized, code: "login-required", title: "请先登录", detail: "this route needs a staff login")
        }
        return login
    }
}
