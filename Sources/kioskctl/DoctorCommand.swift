import ArgumentParser
import DeviceKit
import Foundation
import KioskConfig
import Logging
import Printing
import Slips
import Store
import Workflow

/// `kioskctl doctor`: everything a remote technician needs to know, at UnifiedPOS's three levels —
/// internal (configuration, calendar coverage, store integrity, disk, clock, CUPS), external (each
/// device opened and asked; a test print with `--print`) and interactive (`--interactive`) — in
/// Chinese and English with the action for each problem, `--json`, and `--bundle` for support.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the whole kiosk and say what to do about each problem (中文/English).",
        discussion: """
            Exit 0: everything ok. 1: warnings only (the kiosk serves; something needs attention soon). \
            2: at least one problem (something does not work). 64: wrong options. With --bundle the same \
            exit codes; the bundle is written in every case.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(name: .long, help: "Data directory (default: kiosk.yaml's dataDirectory).") var data: String?
    @Flag(name: .long, help: "Also print a test page on every CUPS printer.") var print = false
    @Flag(name: .long, help: "Also ask for a card on the reader and each key of the pad (a technician on site).") var interactive = false
    @Option(name: .long, help: "Seconds to wait for each interactive step.") var wait: Double = 30
    @Option(name: .long, help: "Weeks ahead the working-day calendar must cover.") var weeks = 8
    @Flag(name: .long, help: "Print the report as JSON.") var json = false
    @Option(name: .long, help: "Also write a support bundle (report, logs, counters, configuration without secrets; no personal data).")
    var bundle: String?
    @Option(name: .long, help: "A log file to add to the bundle (repeatable; default: kioskd's journal when journalctl is there).")
    var log: [String] = []

    func validate() throws {
        if let bundle, !bundle.hasSuffix(".tar.gz") { throw ValidationError("--bundle must name a .tar.gz file") }
        guard weeks > 0, weeks <= 104 else { throw ValidationError("--weeks must be 1–104") }
    }

    func run() async throws {
        var doctor = Doctor(configDirectory: options.config, data: data, weeks: weeks, now: kioskctlClock.now())
        await doctor.runInternal()
        await doctor.runExternal(print: print)
        if interactive { await doctor.runInteractive(wait: .milliseconds(Int(wait * 1000))) }
        let report = doctor.report
        if json { Console.json(report) } else { Console.out(report.text) }
        if let bundle {
            do {
                try await SupportBundle.write(to: bundle, report: report, doctor: doctor, logFiles: log)
                if !json { Console.out("support bundle: \(bundle)") }
            } catch {
                Console.err("kioskctl doctor: cannot write the bundle \(bundle): \(error)")
                throw ExitCode(max(report.exitCode, 2))
            }
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

/// The checks, in order; each appends its findings.
struct Doctor {
    let configDirectory: String
    let dataOverride: String?
    let weeks: Int
    let now: Date
    var findings: [DoctorFinding] = []
    var configuration: KioskConfiguration?
    var store: KioskStore?

    init(configDirectory: String, data: String?, weeks: Int, now: Date) {
        self.configDirectory = configDirectory
        dataOverride = data
        self.weeks = weeks
        self.now = now
    }

    var dataDirectory: String? { dataOverride ?? configuration?.dataDirectory }

    var report: DoctorReport {
        DoctorReport(kioskId: configuration?.settings.kiosk.id, version: OneWindowVersion.current, checkedAt: now, findings: findings)
    }

    mutating func add(_ finding: DoctorFinding) { findings.append(finding) }

    mutating func problem(_ check: String, _ level: DoctorFinding.Level, en: String, zh: String, actionEn: String, actionZh: String,
                          warning: Bool = false) {
        add(DoctorFinding(check: check, level: level, status: warning ? .warning : .problem, en: en, zh: zh, actionEn: actionEn, actionZh: actionZh))
    }

    // MARK: internal

    mutating func runInternal() async {
        checkConfiguration()
        guard let configuration else {
            for check in ["calendar", "store", "disk", "clock", "cups"] {
                add(DoctorFinding(check: check, level: .internal, status: .skipped, en: "not checked: the configuration cannot be read",
                                  zh: "未检查：配置无法读取"))
            }
            return
        }
        checkCalendar(configuration)
        checkStore(configuration)
        checkDisk(configuration)
        checkClock()
        await checkCUPS(configuration)
    }

    mutating func checkConfiguration() {
        do {
            let loaded = try ConfigLoader.load(directory: configDirectory, clock: kioskctlClock)
            configuration = loaded
            let warnings = loaded.warnings.filter { $0.severity == .warning }
            if warnings.isEmpty {
                add(.ok("config", .internal, en: "configuration \(configDirectory) is valid", zh: "配置有效"))
            } else {
                problem("config", .internal, en: "configuration valid with \(warnings.count) warning(s): "
                            + warnings.prefix(3).map { "\($0)" }.joined(separator: "; "),
                        zh: "配置有效，但有 \(warnings.count) 项提示", actionEn: "read `kioskctl config check` and fix each warning",
                        actionZh: "运行 kioskctl config check，逐条处理提示", warning: true)
            }
        } catch {
            let errors = error.diagnostics.filter { $0.severity == .error }
            problem("config", .internal, en: "configuration \(configDirectory) has \(errors.count) error(s): "
                        + errors.prefix(3).map { "\($0)" }.joined(separator: "; "),
                    zh: "配置有 \(errors.count) 处错误，kioskd 无法启动",
                    actionEn: "fix each file and line shown (`kioskctl config check --config \(configDirectory)` lists them), then restart kioskd",
                    actionZh: "按提示的文件和行号修正配置（kioskctl config check 列出全部），然后重启 kioskd")
        }
    }

    mutating func checkCalendar(_ configuration: KioskConfiguration) {
        let timeZone = TimeZone(identifier: configuration.settings.kiosk.timeZone) ?? TimeZone(identifier: "Asia/Shanghai")!
        let today = CivilDate.today(in: timeZone, now: now)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let end = calendar.date(byAdding: .day, value: weeks * 7, to: now) ?? now
        let last = CivilDate.today(in: timeZone, now: end)
        let years = Array(today.year...last.year)
        let statuses = Dictionary(configuration.holidayYears.map { ($0.year, $0.status) }, uniquingKeysWith: { a, _ in a })
        let missing = years.filter { statuses[$0] == nil }
        let provisional = years.filter { statuses[$0] == .provisional }
        let window = "\(today) – \(last) (\(weeks) weeks)"
        if !missing.isEmpty {
            problem("calendar", .internal,
                    en: "the working-day calendar does not cover \(missing.map(String.init).joined(separator: ", ")) within \(window): deadlines there count weekends only",
                    zh: "工作日历未覆盖 \(missing.map(String.init).joined(separator: "、")) 年（未来 \(weeks) 周内），承诺期限将只按周末计算",
                    actionEn: "add calendar/\(missing[0]).yaml from the State Council's holiday notice to \(configDirectory) and restart kioskd",
                    actionZh: "按国务院办公厅放假通知添加 calendar/\(missing[0]).yaml，然后重启 kioskd")
        } else if !provisional.isEmpty {
            problem("calendar", .internal,
                    en: "the calendar for \(provisional.map(String.init).joined(separator: ", ")) within \(window) is provisional (not the published notice)",
                    zh: "\(provisional.map(String.init).joined(separator: "、")) 年日历为推算版本，尚非正式通知",
                    actionEn: "replace calendar/\(provisional[0]).yaml with the published arrangement and set `status: official`",
                    actionZh: "通知发布后替换 calendar/\(provisional[0]).yaml 并设 status: official", warning: true)
        } else {
            add(.ok("calendar", .internal, en: "the calendar covers \(window) with official years", zh: "工作日历覆盖未来 \(weeks) 周"))
        }
    }

    mutating func checkStore(_ configuration: KioskConfiguration) {
        guard let directory = dataDirectory else { return }
        let file = directory + "/" + KioskStore.fileName
        guard FileManager.default.fileExists(atPath: file) else {
            problem("store", .internal, en: "no store at \(file): kioskd has not run with this data directory",
                    zh: "数据目录中没有数据库（kioskd 尚未在此运行过）",
                    actionEn: "start kioskd (systemctl start onewindow-kioskd), or give the kiosk's data directory with --data",
                    actionZh: "启动 kioskd，或用 --data 指定本机的数据目录", warning: true)
            return
        }
        do {
            let opened = try KioskStore.open(directory: directory)
            let check = try opened.quickCheck()
            store = opened
            if check == ["ok"] {
                add(.ok("store", .internal, en: "store \(file): quick_check ok", zh: "数据库完整性检查通过"))
            } else {
                problem("store", .internal, en: "store \(file) fails quick_check: \(check.prefix(3).joined(separator: "; "))",
                        zh: "数据库损坏", actionEn: Self.restoreActionEn, actionZh: Self.restoreActionZh)
            }
        } catch let error as StoreError where error.code == .corrupt {
            problem("store", .internal, en: "store \(file) is corrupt: \(error.message)", zh: "数据库损坏，kioskd 拒绝在其上运行",
                    actionEn: Self.restoreActionEn, actionZh: Self.restoreActionZh)
        } catch {
            problem("store", .internal, en: "store \(file) cannot be opened: \(error)", zh: "数据库无法打开",
                    actionEn: "check the data directory's owner, permissions and free space", actionZh: "检查数据目录的属主、权限和剩余空间")
        }
    }

    static let restoreActionEn = "stop kioskd, move kiosk.sqlite and its -wal/-shm aside for analysis, `kioskctl restore` the latest backup, start kioskd"
    static let restoreActionZh = "停止 kioskd，将 kiosk.sqlite 及 -wal/-shm 移走留存，用 kioskctl restore 恢复最近的备份，再启动 kioskd"

    mutating func checkDisk(_ configuration: KioskConfiguration) {
        guard let directory = dataDirectory else { return }
        var stats = statvfs()
        var probe = directory
        while !FileManager.default.fileExists(atPath: probe), probe != "/" { probe = (probe as NSString).deletingLastPathComponent }
        guard statvfs(probe, &stats) == 0 else {
            problem("disk", .internal, en: "cannot read the free space of \(probe)", zh: "无法读取磁盘剩余空间",
                    actionEn: "check that the data disk is mounted", actionZh: "检查数据盘是否已挂载")
            return
        }
        let free = Int64(stats.f_bavail) * Int64(stats.f_frsize)
        let reserve = Int64(configuration.settings.materials?.reserveMegabytes ?? 32) * 1024 * 1024
        let mb = { (bytes: Int64) in "\(bytes / 1_048_576) MB" }
        if free < reserve {
            problem("disk", .internal, en: "data disk full: \(mb(free)) free, under the \(mb(reserve)) reserve: captures and filings are refused",
                    zh: "数据盘已满（剩余 \(mb(free))），拍照和提交将被拒绝",
                    actionEn: "free space on the data disk (old logs, core dumps); `kioskctl outbox` shows pages waiting for the platform",
                    actionZh: "清理数据盘（旧日志、core 文件）；kioskctl outbox 查看待上报的材料")
        } else if free < 2 * reserve {
            problem("disk", .internal, en: "data disk low: \(mb(free)) free (reserve \(mb(reserve)))", zh: "数据盘空间不足（剩余 \(mb(free))）",
                    actionEn: "free space on the data disk soon", actionZh: "尽快清理数据盘", warning: true)
        } else {
            add(.ok("disk", .internal, en: "data disk: \(mb(free)) free", zh: "数据盘剩余 \(mb(free))"))
        }
    }

    mutating func checkClock() {
        let year = Calendar(identifier: .gregorian).component(.year, from: now)
        if year < 2025 {
            problem("clock", .internal, en: "the system clock says \(now.formatted(.iso8601)): it was reset (RTC battery?)",
                    zh: "系统时间错误（\(year) 年），可能是主板电池失效",
                    actionEn: "set the time (timedatectl set-ntp true; check NTP reaches a server) and replace the RTC battery",
                    actionZh: "校准时间（启用 NTP 同步），并更换主板电池")
            return
        }
        if let store, let last = try? store.lastHeartbeat(), last.timeIntervalSince(now) > 300 {
            problem("clock", .internal,
                    en: "the clock went back: kioskd wrote at \(last.formatted(.iso8601)), \(Int(last.timeIntervalSince(now) / 60)) min after now",
                    zh: "系统时间被回拨（数据库中有晚于当前时间的记录）",
                    actionEn: "check NTP (timedatectl status); deadlines and sessions follow the clock",
                    actionZh: "检查 NTP 时间同步（timedatectl status）；办理时限依赖系统时间")
            return
        }
        add(.ok("clock", .internal, en: "clock \(now.formatted(.iso8601)) is plausible", zh: "系统时间正常"))
    }

    mutating func checkCUPS(_ configuration: KioskConfiguration) async {
        let bindings = configuration.settings.devices.filter { $0.driver == .cups }
        guard !bindings.isEmpty else {
            add(DoctorFinding(check: "cups", level: .internal, status: .skipped, en: "no CUPS printer configured", zh: "未配置 CUPS 打印机"))
            return
        }
        var seen: Set<String> = []
        for binding in bindings {
            let server = CUPSProbe.server(for: binding)
            let name = CUPSProbe.display(server)
            guard seen.insert(name).inserted else { continue }
            let queue = binding.queue ?? binding.id
            var unreachable = false
            do { _ = try CUPSProbe.queryQueue(queue, server: server) } catch {
                if case .serverUnreachable = error { unreachable = true }
            }
            switch unreachable {
            case true:
                problem("cups", .internal, en: "CUPS server \(name) is not reachable: no slip can print",
                        zh: "打印服务（CUPS）无法连接，凭条无法打印",
                        actionEn: "start cupsd (systemctl start cups) and check CUPS_SERVER or the printers' server: in kiosk.yaml",
                        actionZh: "启动打印服务（systemctl start cups），检查 kiosk.yaml 中打印机的 server 设置")
            default:
                add(.ok("cups", .internal, en: "CUPS server \(name) answers", zh: "打印服务（CUPS）可连接"))
            }
        }
    }

    // MARK: external

    mutating func runExternal(print: Bool) async {
        guard let configuration else { return }
        let devices = DeviceFactory.makeDevices(for: configuration.settings.devices, profilesDirectory: configuration.profilesDirectory,
                                                logger: Logger(label: "kioskctl-doctor"))
        for case let reader as IDCardReaderService in devices { await reader.pollOnce() }
        for case let pad as EvaluationPadDevice in devices { await pad.pollOnce() }
        for report in await DeviceMonitor.checkAll(devices) {
            let what = "\(report.id) (\(report.kind.rawValue), \(report.driver.rawValue))"
            if report.isHealthy {
                let paper = report.paper.map { ", paper \($0.rawValue)" } ?? ""
                add(.ok("device:\(report.id)", .external, en: "\(what) is \(report.status.rawValue)\(paper)", zh: "\(Self.kindZh(report.kind)) \(report.id) 正常"))
            } else {
                let (en, zh) = Self.action(report.action, status: report.status)
                problem("device:\(report.id)", .external,
                        en: "\(what) is \(report.status.rawValue)" + (report.paper.map { ", paper \($0.rawValue)" } ?? "") + (report.detail.map { ": \($0)" } ?? ""),
                        zh: "\(Self.kindZh(report.kind)) \(report.id) 异常（\(report.status.rawValue)）", actionEn: en, actionZh: zh,
                        warning: report.status == .busy)
            }
        }
        if print { await testPrints(configuration) }
    }

    mutating func testPrints(_ configuration: KioskConfiguration) async {
        guard let store else {
            add(DoctorFinding(check: "print", level: .external, status: .skipped, en: "no test print: the store is not usable", zh: "未试打印：数据库不可用"))
            return
        }
        let settings = configuration.settings
        for binding in settings.devices where binding.driver == .cups {
            do {
                let printer = try SlipPrinter(binding: binding, profilesDirectory: configuration.profilesDirectory, store: store,
                                              kioskId: settings.kiosk.id, logger: Logger(label: "kioskctl-doctor"))
                let page = PrinterTestPage(printerId: binding.id, profileName: printer.profileName, printedAt: now,
                                           softwareVersion: OneWindowVersion.current,
                                           qrPayload: settings.kiosk.publicBaseURL + "/p/TEST-\(settings.kiosk.id)")
                let outcome = try await printer.print(page.document(context: SlipContext(settings)), reference: "doctor-test-page",
                                                      waitUpTo: .seconds(15))
                if outcome.state == .completed {
                    add(.ok("print:\(binding.id)", .external, en: "test page printed on \(binding.id)", zh: "\(binding.id) 试打印成功"))
                } else {
                    problem("print:\(binding.id)", .external, en: "test page on \(binding.id) not printed: \(outcome.state.rawValue) \(outcome.reason ?? "")",
                            zh: "\(binding.id) 试打印失败", actionEn: "check paper and cover, then `kioskctl printer restock \(binding.id)`",
                            actionZh: "检查纸卷和盖板，然后运行 kioskctl printer restock \(binding.id)")
                }
            } catch {
                problem("print:\(binding.id)", .external, en: "test page on \(binding.id) not printed: \(error)", zh: "\(binding.id) 试打印失败",
                        actionEn: "check the printer's binding and profile (`kioskctl printer status \(binding.id)`)",
                        actionZh: "检查该打印机的配置（kioskctl printer status \(binding.id)）")
            }
        }
    }

    static func kindZh(_ kind: DeviceKind) -> String {
        switch kind {
        case .idCardReader: "身份证读卡器"
        case .documentCamera: "高拍仪"
        case .receiptPrinter: "凭条打印机"
        case .ticketPrinter: "排队票打印机"
        case .evaluationPad: "评价器"
        }
    }

    static func action(_ action: TechnicianAction?, status: DeviceStatus) -> (String, String) {
        switch action {
        case .reset: ("reset the device: unplug and plug it in again, or power-cycle it", "重新插拔或重启该设备")
        case .clear: ("clear the condition: load paper, clear the jam, remove the card, close the cover", "排除故障：装纸、清除卡纸、取出卡片、关好盖板")
        case .configuration: ("check the device's binding in kiosk.yaml (queue, port, model profile) and that it is plugged in",
                              "检查 kiosk.yaml 中该设备的配置（队列、端口、型号）以及设备是否连接")
        case .maintenance: ("the device needs repair or replacement: call maintenance", "设备需要维修或更换，请报修")
        case nil: status == .busy ? ("wait and check again (kioskd may hold the device)", "稍后再检查（kioskd 可能正在使用该设备）")
                                  : ("see the detail and `kioskctl devices status`", "查看详情并运行 kioskctl devices status")
        }
    }

    // MARK: interactive

    mutating func runInteractive(wait: Duration) async {
        guard let configuration else { return }
        let devices = DeviceFactory.makeDevices(for: configuration.settings.devices, profilesDirectory: configuration.profilesDirectory,
                                                logger: Logger(label: "kioskctl-doctor"))
        if let reader = devices.compactMap({ $0 as? IDCardReaderService }).first {
            Console.err("请放置身份证 — place an ID card on the reader (\(wait.components.seconds) s)…")
            let clock = ContinuousClock()
            let deadline = clock.now + wait
            var read = false
            while clock.now < deadline {
                await reader.pollOnce()
                if reader.currentCard != nil { read = true; break }
                try? await Task.sleep(for: .milliseconds(300))
            }
            if read {
                add(.ok("card", .interactive, en: "a card was read (its data is not shown)", zh: "读卡成功（不显示卡内信息）"))
            } else {
                problem("card", .interactive, en: "no card was read within \(wait.components.seconds) s", zh: "未读到身份证",
                        actionEn: "check the card lies flat on the reader; reset the reader; `kioskctl idcard read`",
                        actionZh: "确认身份证平放在读卡区；重新插拔读卡器；运行 kioskctl idcard read")
            }
        }
        if let binding = configuration.settings.devices.first(where: { $0.kind == .evaluationPad }) {
            checkPadKeys(binding, profilesDirectory: configuration.profilesDirectory, wait: wait)
        }
    }

    /// Asks for each key of the pad in turn, from 非常满意 to 非常不满意.
    mutating func checkPadKeys(_ binding: DeviceBinding, profilesDirectory: String, wait: Duration) {
        guard binding.driver == .hid || binding.driver == .evdev, let profileName = binding.profile else {
            add(DoctorFinding(check: "pad", level: .interactive, status: .skipped,
                              en: "the pad is \(binding.driver.rawValue): its keys are pressed through kioskd's simulator, not here",
                              zh: "评价器为模拟设备，不做按键检查"))
            return
        }
        let connection: any PadConnection
        do {
            connection = try EvaluationPadProfile.load(name: profileName, profilesDirectory: profilesDirectory).openConnection(path: binding.path)
        } catch {
            problem("pad", .interactive, en: "the pad cannot be opened: \(error)", zh: "评价器无法打开",
                    actionEn: "stop kioskd (it holds the pad), check the cable, then run doctor --interactive again",
                    actionZh: "先停止 kioskd（它占用评价器），检查连线后重试")
            return
        }
        defer { connection.close() }
        var missing: [Int] = []
        let clock = ContinuousClock()
        for level in [5, 4, 3, 2, 1] {
            Console.err("请按「\(EvaluationLevel(rawValue: level)?.chineseName ?? "?")」键 — press key \(level) (\(wait.components.seconds) s)…")
            let end = clock.now + wait
            var pressed = false
            waiting: while clock.now < end {
                guard let keys = try? connection.readKeys(timeout: min(.milliseconds(250), end - clock.now)) else { break }
                for key in keys where key.action == .press && key.level == level {
                    pressed = true
                    break waiting
                }
            }
            if !pressed { missing.append(level) }
        }
        if missing.isEmpty {
            add(.ok("pad", .interactive, en: "all five keys of the pad work", zh: "评价器 5 个按键全部正常"))
        } else {
            problem("pad", .interactive, en: "keys not received: \(missing.map(String.init).joined(separator: ", "))",
                    zh: "评价器按键无响应：\(missing.map { EvaluationLevel(rawValue: $0)?.chineseName ?? "\($0)" }.joined(separator: "、"))",
                    actionEn: "check the key mapping with `kioskctl pad watch --raw`; replace the pad if a key is dead",
                    actionZh: "用 kioskctl pad watch --raw 检查按键映射；按键损坏请更换评价器")
        }
    }
}
