import ArgumentParser
import Foundation
import FrontDesk
import KioskServices
import IDCard
import KioskConfig
import Logging
import Store
import Workflow

/// Options of the commands that work on the kiosk's filings, queue and audit trail.
struct DeskOptions: ParsableArguments {
    @OptionGroup var config: ConfigOptions
    @Option(name: .long, help: "Data directory (default: kiosk.yaml's dataDirectory).")
    var data: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    /// The configuration and the front desk on the kiosk's store (exit 74 if the store cannot open,
    /// or is missing and the command does not write: `creating` only for commands that may make it).
    func desk(creating: Bool = false) throws -> FrontDesk {
        let configuration = try loadConfiguration(config)
        let store = try openKioskStore(data: data, configuration: configuration, creating: creating)
        // Hall mode: the queue commands work on the hall's shared queue (kiosk.yaml's hall.url).
        let hallLink = try HallLink.make(for: configuration.settings, logger: Logger(label: "kioskctl", factory: { _ in SwiftLogNoOpLogHandler() }))
        return FrontDesk(configuration: configuration, store: store, hallLink: hallLink)
    }
}

/// Runs a front-desk call; a refusal prints its reason and exits 2, a store failure exits 74.
func deskCall<T>(_ body: () async throws(FrontDeskError) -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        Console.err("\(error)")
        switch error {
        case .storage, .diskFull: throw ExitCode(74)
        default: break
        }
        if case .hallUnavailable = error { throw ExitCode(69) }
        throw ExitCode(2)
    }
}

/// `kioskctl audit verify|show`: the hash-chained audit trail.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Check or read the audit trail (全过程留痕).",
                                                    subcommands: [Verify.self, Show.self], defaultSubcommand: Verify.self)

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the hash chain. Exit 0 intact, 3 broken (tampering or damage), 74 store unreadable.")
        @OptionGroup var options: DeskOptions

        func run() async throws {
            let frontDesk = try options.desk()
            let verification = try await deskCall { () async throws(FrontDeskError) in try await frontDesk.verifyAudit() }
            if options.json {
                struct Out: Encodable { var intact: Bool; var records: Int?; var brokenAt: Int64?; var reason: String? }
                switch verification {
                case let .intact(n): Console.json(Out(intact: true, records: n))
                case let .broken(at, reason): Console.json(Out(intact: false, brokenAt: at, reason: reason))
                }
            } else {
                Console.out(verification.description)
            }
            if !verification.isIntact { throw ExitCode(3) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the audit records of a filing (by number) or another subject.")
        @OptionGroup var options: DeskOptions
        @Argument(help: "A filing number, or a subject such as rectification:3.") var subject: String

        func run() async throws {
            let key = subject.contains(":") ? subject : "filing:\(subject)"
            let frontDesk = try options.desk()
            let records = try await deskCall { () async throws(FrontDeskError) in try await frontDesk.auditTrail(subject: key) }
            if records.isEmpty {
                Console.err("no audit records for \(key)")
                throw ExitCode(2)
            }
            if options.json { Console.json(records); return }
            for r in records {
                let at = Date(timeIntervalSince1970: Double(r.atMilliseconds) / 1000).formatted(.iso8601)
                Console.out("#\(r.sequence) \(at) \(r.actor.rawValue.padded(8)) \(r.event.padded(20)) \(r.from ?? "-") → \(r.to)"
                    + (r.reason.map { "  (\($0))" } ?? ""))
            }
        }
    }
}

/// `kioskctl filings list|show|apply`: filings for staff and technicians (no personal data shown).
struct FilingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "filings", abstract: "Filings: list, show, record a step.",
                                                    subcommands: [List.self, Show.self, Apply.self], defaultSubcommand: List.self)

    struct Row: Encodable {
        var number: String
        var item: String
        var status: String
        var statusName: String
        var receivedDay: String?
        var promisedDeadline: String?
        var light: String?
        var deferred: [String]
    }

    static func row(_ f: FilingRecord, _ desk: FrontDesk) -> Row {
        Row(number: f.number ?? "-", item: desk.catalogue.item(code: f.itemCode)?.name ?? f.itemCode, status: f.status.description,
            statusName: f.status.chineseName, receivedDay: f.receivedDay?.description,
            promisedDeadline: f.promisedDeadline?.description, light: f.light?.rawValue,
            deferred: f.deferred.map { "\($0.name) by \($0.deadline)" })
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List filings, newest first.")
        @OptionGroup var options: DeskOptions
        @Option(help: "Only this status (accepted, inProgress, concluded.approved…).") var status: String?
        @Option(help: "At most this many.") var limit = 50

        func run() async throws {
            let desk = try options.desk()
            if let status, FilingStatus(status) == nil {
                Console.err("unknown status '\(status)'; one of: \(FilingStatus.all.map(\.description).joined(separator: ", "))")
                throw ExitCode(2)
            }
            let rows = try await deskCall { () async throws(FrontDeskError) in try await desk.recentFilings(status: status.flatMap(FilingStatus.init), limit: limit) }
                .map { FilingsCommand.row($0, desk) }
            if options.json { Console.json(rows); return }
            if rows.isEmpty { Console.out("no filings"); return }
            for r in rows {
                Console.out("\(r.number)  \(r.statusName.padded(14))  \(r.light.map { "[\($0)]" } ?? "".padded(9))  due \(r.promisedDeadline ?? "即办")  \(r.item)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one filing with its history.")
        @OptionGroup var options: DeskOptions
        @Argument(help: "Filing number.") var number: String

        func run() async throws {
            let desk = try options.desk()
            let filing = try await deskCall { () async throws(FrontDeskError) in try await desk.filing(number: number) }
            let progress = try await deskCall { () async throws(FrontDeskError) in try await desk.progress(token: filing.progressToken) }
            if options.json { Console.json(progress); return }
            let r = FilingsCommand.row(filing, desk)
            Console.out("\(r.number)  \(r.item)\nstatus: \(r.statusName) (\(r.status))\nreceived: \(r.receivedDay ?? "-")  due: \(r.promisedDeadline ?? "即办")  light: \(r.light ?? "-")")
            for d in r.deferred { Console.out("deferred: \(d)") }
            Console.out("progress: \(desk.progressURL(token: filing.progressToken))")
            for step in progress?.history ?? [] {
                Console.out("  \(step.at.formatted(.iso8601))  \(step.statusName)  (\(step.by))")
            }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a step a window took (accept, notifyCorrection, reject, withdraw, deliver.collected…), as staff.")
        @OptionGroup var options: DeskOptions
        @Argument(help: "Filing number.") var number: String
        @Argument(help: "Event: \(FilingEvent.all.map(\.description).joined(separator: ", ")).") var event: String
        @Option(help: "Why (kept in the audit trail).") var reason: String?

        func run() async throws {
            guard let parsed = FilingEvent(event) else {
                Console.err("unknown event '\(event)'")
                throw ExitCode(2)
            }
            let desk = try options.desk()
            let status = try await deskCall { () async throws(FrontDeskError) in try await desk.apply(parsed, toFiling: number, by: .staff, reason: reason) }
            Console.out("\(number): \(status.chineseName) (\(status))")
        }
    }
}

/// `kioskctl supervision`: recompute lights now and print the hall figures.
struct SupervisionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervision", abstract: "Electronic supervision: lights, red-light notices, 办结率 and on-time rate.")
    @OptionGroup var options: DeskOptions
    @Option(help: "First received day of the statistics period (YYYY-MM-DD).") var from: String?
    @Option(help: "Last received day of the statistics period (YYYY-MM-DD).") var to: String?

    func run() async throws {
        let desk = try options.desk()
        var period: ClosedRange<CivilDate>? = nil
        if from != nil || to != nil {
            guard let start = CivilDate(iso: from ?? "1970-01-01"), let end = CivilDate(iso: to ?? "9999-12-31"), start <= end else {
                Console.err("--from/--to must be YYYY-MM-DD with from ≤ to")
                throw ExitCode(2)
            }
            period = start...end
        }
        let sweep = try await deskCall { () async throws(FrontDeskError) in try await desk.sweepSupervision() }
        let notices = try await deskCall { () async throws(FrontDeskError) in try await desk.supervisionNotices(limit: 20) }
        let (overall, perItem) = try await deskCall { () async throws(FrontDeskError) in try await desk.statistics(period: period) }
        // 好差评 by item and month: the months the period touches (every month without one).
        let months = period.map { p in Set(stride(from: p.lowerBound.dayNumber, through: min(p.upperBound.dayNumber, p.lowerBound.dayNumber + 3660), by: 1)
            .map { String(CivilDate(dayNumber: $0).description.prefix(7)) }) }
        let ratings = try await deskCall { () async throws(FrontDeskError) in try await desk.ratingFigures(months: months) }
        struct Out: Encodable {
            var today: String; var lights: [String: Int]; var newNotices: [String]; var overall: SupervisionStatistics
            var perItem: [SupervisionStatistics]; var notices: [String]; var ratings: [RatingFigures]
        }
        let lights = Dictionary(uniqueKeysWithValues: SupervisionLight.allCases.map { ($0.rawValue, sweep.counts[$0] ?? 0) })
        if options.json {
            Console.json(Out(today: sweep.today.description, lights: lights, newNotices: sweep.newNotices, overall: overall,
                             perItem: perItem, notices: notices.map { "\($0.filingNumber) overdue \($0.overdueWorkingDays) WD" }, ratings: ratings))
            return
        }
        Console.out("today \(sweep.today): " + SupervisionLight.allCases.map { "\($0.chineseName) \(sweep.counts[$0] ?? 0)" }.joined(separator: "  "))
        func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
        Console.out("办结率 \(percent(overall.completionRate)) (\(overall.concluded)/\(overall.received))  按期办结率 \(percent(overall.onTimeRate))  黄红灯占比 \(percent(overall.yellowOrRedShare))")
        for s in perItem {
            Console.out("  \((desk.catalogue.item(code: s.itemCode!)?.name ?? s.itemCode!).padded(30)) 收件\(s.received) 办结\(s.concluded) 按期\(s.concludedOnTime) 黄红灯\(s.yellowOrRed)")
        }
        for n in notices { Console.out("红灯督办 \(n.filingNumber): 超期\(n.overdueWorkingDays)个工作日 (due \(n.promisedDeadline))") }
        if !ratings.isEmpty { Console.out("好差评（满意率 = 非常满意+满意+基本满意，差评率 = 不满意+非常不满意）") }
        for r in ratings {
            Console.out("  \(r.month) \(r.subjectName.padded(30)) 评价\(r.total) 满意率 \(percent(r.satisfactionRate)) 差评率 \(percent(r.poorRate))")
        }
    }
}

/// `kioskctl queue status|issue|call|skip|window`: the ticket queue for hall staff.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Queue tickets: waiting counts, issue, call the next, skip, assign windows.",
        subcommands: [Status.self, Issue.self, Call.self, Skip.self, Requeue.self, Window.self, Appointments.self], defaultSubcommand: Status.self)

    /// `kioskctl queue appointments import FILE.csv`: appointments staff drop in, checked in by ID card at the kiosk.
    struct Appointments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Appointments (预约) for check-in by ID card at the kiosk.",
                                                        subcommands: [Import.self])

        struct Import: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Import a CSV file (header id,idNumber,category,day,slot). Every bad line is named (FILE:LINE: error: …) and then nothing is imported (exit 1); importing the same id again updates it.")
            @OptionGroup var options: DeskOptions
            @Argument(help: "The CSV file (UTF-8), or - for standard input.") var file: String
            @Flag(help: "Check the file only; import nothing.") var dryRun = false

            func run() async throws {
                let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
                guard let data else {
                    Console.err("\(file): error: cannot read the file")
                    throw ExitCode(1)
                }
                guard let text = String(data: data, encoding: .utf8) else {
                    Console.err("\(file): error: the file is not UTF-8 text (save it as CSV UTF-8)")
                    throw ExitCode(1)
                }
                // Importing writes: the store is made when the kiosk has none yet (not for a dry run).
                let desk = try options.desk(creating: !dryRun)
                let (appointments, problems) = AppointmentCSV.parse(text, categories: Set(desk.categories.map(\.code)),
                                                                    isValidIDNumber: IDNumber.hasValidCheckCharacter)
                for problem in problems { Console.err("\(file):\(problem.line): error: \(problem.message)") }
                if !problems.isEmpty {
                    Console.err("\(problems.count) bad line(s): nothing imported; fix them and run the import again")
                    throw ExitCode(1)
                }
                if !dryRun {
                    try await deskCall { () async throws(FrontDeskError) in try await desk.importAppointments(appointments) }
                }
                let days = Set(appointments.map(\.day.description)).sorted()
                if options.json {
                    struct Out: Encodable { var imported: Int; var days: [String]; var dryRun: Bool }
                    Console.json(Out(imported: dryRun ? 0 : appointments.count, days: days, dryRun: dryRun))
                } else {
                    Console.out("\(dryRun ? "checked" : "imported") \(appointments.count) appointment(s)" + (days.isEmpty ? "" : " for \(days.joined(separator: ", "))"))
                }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "People waiting per category and the windows' categories.")
        @OptionGroup var options: DeskOptions
        func run() async throws {
            let desk = try options.desk()
            struct Row: Encodable { var category, prefix, name: String; var waiting: Int }
            var rows: [Row] = []
            for c in desk.categories {
                rows.append(Row(category: c.code, prefix: c.prefix, name: c.name,
                                waiting: try await deskCall { () async throws(FrontDeskError) in try await desk.waitingCount(category: c.code) }))
            }
            let windows = try await deskCall { () async throws(FrontDeskError) in try await desk.windows() }
            let hallWindows = desk.isHallMode ? try await deskCall { () async throws(FrontDeskError) in try await desk.serviceWindows() } : nil
            if options.json {
                struct Out: Encodable { var categories: [Row]; var windows: [String: [String]]; var hall: [ServiceWindow]? }
                Console.json(Out(categories: rows, windows: windows, hall: hallWindows))
                return
            }
            if let link = desk.hallLink { Console.out("hall queue: \(link.store.redactedURL)") }
            for r in rows { Console.out("\(r.prefix)  \(r.name.padded(14))  waiting \(r.waiting)") }
            if let hallWindows {
                for w in hallWindows {
                    Console.out("window \(w.id): \(w.categories.joined(separator: ", "))" + (w.staff.map { "  staff \($0)" } ?? "  (nobody signed in)")
                                + (w.paused ? "  PAUSED: \(w.pauseReason ?? "")" : ""))
                }
            } else {
                for (w, cats) in windows.sorted(by: { $0.key < $1.key }) { Console.out("window \(w): \(cats.joined(separator: ", "))") }
            }
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a ticket in a category (without an ID card).")
        @OptionGroup var options: DeskOptions
        @Argument(help: "Category code.") var category: String
        func run() async throws {
            let desk = try options.desk(creating: true)
            // The same use case as the screen's ticket button (a card holder's appointment would check in there).
            let t = try await deskCall { () async throws(FrontDeskError) in try await TicketCounter(desk: desk).ticket(category: category, applicant: nil) }
            Console.out("\(t.number) (\(t.categoryName)), \(t.waitingAhead) ahead, id \(t.id)")
        }
    }

    struct Call: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Call the next ticket to a window (the previous one there is served).")
        @OptionGroup var options: DeskOptions
        @Argument(help: "Window.") var window: String
        func run() async throws {
            let desk = try options.desk(creating: true)
            guard let t = try await deskCall({ () async throws(FrontDeskError) in try await desk.callNext(window: window) }) else {
                Console.out("nobody waiting for window \(window)")
                return
            }
            Console.out("请 \(t.number) 号到 \(window) 号窗口办理 (id \(t.id))")
        }
    }

    struct Skip: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a called ticket as not shown up (过号).")
        @OptionGroup var options: DeskOptions
        @Argument(help: "Ticket id (printed by call/issue).") var id: Int64
        func run() async throws {
            let desk = try options.desk(creating: true)
            let t = try await deskCall { () async throws(FrontDeskError) in try await desk.finishTicket(id: id, as: .skipped) }
            Console.out("\(t.number): \(t.state.chineseName)")
        }
    }

    struct Requeue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a skipped ticket (过号) back in the queue within the hall's grace (hall mode).")
        @OptionGroup var options: DeskOptions
        @Argument(help: "Ticket number, e.g. A007.") var number: String
        func run() async throws {
            let desk = try options.desk(creating: true)
            let t = try await deskCall { () async throws(FrontDeskError) in try await desk.requeue(number: number) }
            Console.out("\(t.number): \(t.state.chineseName), \(t.waitingAhead) ahead")
        }
    }

    struct Window: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the categories a window serves (潮汐窗口).")
        @OptionGroup var options: DeskOptions
        @Argument(help: "Window.") var window: String
        @Argument(help: "Category codes.") var categories: [String]
        func run() async throws {
            let desk = try options.desk(creating: true)
            try await deskCall { () async throws(FrontDeskError) in try await desk.assignWindow(window, categories: categories) }
            Console.out("window \(window): \(categories.joined(separator: ", "))")
        }
    }
}

/// `kioskctl catalogue list|guide`: the items and the one-time notice (一次性告知) of each.
struct CatalogueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "catalogue", abstract: "Service items, bundles and their one-time notices.",
                                                    subcommands: [List.self, Guide.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List items and bundles.")
        @OptionGroup var config: ConfigOptions
        func run() async throws {
            let configuration = try loadConfiguration(config)
            for item in configuration.items {
                Console.out("\(item.implementationCode)  \(item.caseType == .immediate ? "即办" : "承诺\(item.promisedTimeLimit.value)\(item.promisedTimeLimit.unit.chineseName)")  \(item.supportsKiosk ? "" : "[窗口] ")\(item.name)")
            }
            for bundle in configuration.bundles { Console.out("\(bundle.code)  一件事  \(bundle.name)") }
        }
    }

    struct Guide: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the one-time notice of an item or bundle.")
        @OptionGroup var config: ConfigOptions
        @Argument(help: "Implementation code of an item, or a bundle code.") var code: String
        @Flag(name: .long, help: "Print JSON.") var json = false
        func run() async throws {
            let configuration = try loadConfiguration(config)
            let catalogue = configuration.catalogue
            let subject: FilingSubject = catalogue.bundle(code: code) != nil ? .bundle(code) : .item(code)
            let guide: ServiceGuide
            do { guide = try ServiceGuide(subject: subject, catalogue: catalogue) } catch {
                Console.err("\(error)")
                throw ExitCode(2)
            }
            if json { Console.json(guide); return }
            Console.out("【一次性告知】\(guide.title)")
            for item in guide.items {
                Console.out("\(item.name)（\(item.itemType)，\(item.caseType)）\n  实施主体：\(item.implementingBody)\n  承诺时限：\(item.promisedTimeLimit)；法定时限：\(item.statutoryTimeLimit)\n  收费：\(item.fees.joined(separator: "；"))\n  咨询电话：\(item.consultationPhone)")
                for c in item.acceptanceConditions { Console.out("  受理条件：\(c)") }
                for (i, step) in item.processFlow.enumerated() { Console.out("  流程\(i + 1)：\(step)") }
            }
            Console.out("申请材料：")
            for m in guide.materials {
                Console.out("  \(m.code) \(m.name)（\(m.need)，\(m.source)，\(m.pages)页）\(m.deferral.map { "；容缺：\($0)" } ?? "")\(m.forItems.map { "；用于：\($0.joined(separator: "、"))" } ?? "")")
            }
        }
    }
}

/// `kioskctl rectifications list|move`: the follow-up of each 差评 (差评核实、整改、反馈) for staff.
struct RectificationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rectifications", abstract: "差评 follow-up: list the rectifications, move one a step (verify → rectify → answer, or appeal → dismiss).",
        subcommands: [List.self, Move.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The open rectifications (all with --all), oldest first; exit 1 when one is overdue.")
        @OptionGroup var options: DeskOptions
        @Flag(help: "Closed ones too (answered, dismissed).") var all = false

        func run() async throws {
            let desk = try options.desk()
            let today = desk.today()
            let rows = try await deskCall { () async throws(FrontDeskError) in try await desk.rectifications(includeClosed: all) }
                .map { RectificationSummary($0, today: today) }
            if options.json {
                Console.json(rows)
            } else if rows.isEmpty {
                Console.out(all ? "no rectifications" : "no open rectifications")
            } else {
                for r in rows {
                    Console.out("#\(r.id) evaluation \(r.evaluationId)  \(r.statusName.padded(12)) due \(r.deadline)\(r.overdue ? "  OVERDUE 已超期" : "")"
                        + (r.note.map { "  (\($0))" } ?? ""))
                }
            }
            if rows.contains(where: \.overdue) { throw ExitCode(1) }
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a rectification: pendingVerification → rectifying | appealed; rectifying → answered; appealed → dismissed | rectifying. Exit 2 when the step is not allowed.")
        @OptionGroup var options: DeskOptions
        @Argument(help: "The rectification's id (kioskctl rectifications).") var id: Int64
        @Option(help: "The next status: rectifying, answered, appealed, dismissed.") var to: String
        @Option(help: "What was found or done (kept in the audit trail).") var note: String?
        @Option(help: "Who did it (recorded as 'by NAME'; default: kioskctl).") var by: String = "kioskctl"

        func run() async throws {
            guard let next = RectificationStatus(rawValue: to) else {
                Console.err("--to must be one of \(RectificationStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                throw ExitCode(2)
            }
            let desk = try options.desk()
            let moved = try await deskCall { () async throws(FrontDeskError) in
                try await desk.moveRectification(id: id, to: next, by: .staff, note: note, staffName: by)
            }
            if options.json {
                Console.json(RectificationSummary(moved, today: desk.today()))
            } else {
                Console.out("#\(moved.id) → \(moved.status.chineseName) (\(moved.status.rawValue)); the platform is told through the outbox")
            }
        }
    }
}
