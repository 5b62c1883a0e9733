import ArgumentParser
import DeviceKit
import Foundation
import KioskConfig
import Logging
import Printing
import Slips
import Store

/// `kioskctl printer …`: the hall's printers, their jobs and counters, restock and reprint. Works on
/// the kiosk's store and CUPS directly, whether kioskd runs or not (the store keeps the two apart).
struct PrinterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "printer", abstract: "Printers: status, test page, restock, reprint, jobs.",
        subcommands: [List.self, Status.self, Test.self, Restock.self, Reprint.self, Jobs.self], defaultSubcommand: Status.self)

    struct Options: ParsableArguments {
        @OptionGroup var config: ConfigOptions
        @Option(name: .long, help: "Data directory (default: kiosk.yaml's dataDirectory).")
        var data: String?
        @Flag(name: .long, help: "Print JSON.") var json = false
    }

    /// The configuration, the store and the printers built as kioskd builds them.
    struct Context {
        let configuration: KioskConfiguration
        let store: KioskStore
        let printers: [SlipPrinter]
        let bindings: [DeviceBinding]

        /// `creating`: the command prints (test page, restock) and may create a missing store; the
        /// others only read it and refuse a missing one.
        init(_ options: Options, creating: Bool = false) throws {
            configuration = try loadConfiguration(options.config)
            store = try openKioskStore(data: options.data, configuration: configuration, creating: creating)
            bindings = configuration.settings.devices.filter { $0.kind == .receiptPrinter || $0.kind == .ticketPrinter }
            var printers: [SlipPrinter] = []
            for binding in bindings where binding.driver == .cups {
                do {
                    printers.append(try SlipPrinter(binding: binding, profilesDirectory: configuration.profilesDirectory, store: store,
                                                    kioskId: configuration.settings.kiosk.id, logger: Logger(label: "kioskctl")))
                } catch {
                    for diagnostic in error.diagnostics { Console.err("\(diagnostic)") }
                }
            }
            self.printers = printers
        }

        func printer(_ name: String) throws -> SlipPrinter {
            if let printer = printers.first(where: { $0.binding.id == name }) { return printer }
            if bindings.contains(where: { $0.id == name }) {
                Console.err("printer '\(name)' is not a CUPS printer here (simulated: it prints only inside kioskd; or its profile failed to load)")
            } else {
                Console.err("no printer '\(name)'; printers: \(bindings.map(\.id).joined(separator: ", "))")
            }
            throw ExitCode(2)
        }

        func printer(ofJob id: Int64) async throws -> SlipPrinter {
            guard let job = try await store.printJob(id: id) else {
                Console.err("no print job \(id) (see `kioskctl printer jobs`)")
                throw ExitCode(2)
            }
            return try printer(job.printerId)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the configured printers and their profiles.")
        @OptionGroup var options: Options

        func run() async throws {
            let context = try Context(options)
            struct Row: Encodable { var id, kind, driver: String; var queue, server, profile, profileName: String? }
            let rows = context.bindings.map { b -> Row in
                let printer = context.printers.first { $0.binding.id == b.id }
                return Row(id: b.id, kind: b.kind.rawValue, driver: b.driver.rawValue, queue: printer.map { _ in b.queue ?? b.id },
                           server: printer.map { _ in b.server ?? "CUPS_SERVER / default" }, profile: printer?.profileName,
                           profileName: printer?.profile.name)
            }
            if options.json { return Console.json(rows) }
            for r in rows {
                Console.out("\(r.id.padded(10)) \(r.kind.padded(14)) \(r.driver.padded(9)) queue=\(r.queue ?? "-") server=\(r.server ?? "-") profile=\(r.profile ?? "-") \(r.profileName ?? "")")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Printer state, paper, roll counters and failures; exit 1 if a printer cannot print.")
        @OptionGroup var options: Options
        @Argument(help: "Printer id (default: all).") var name: String?

        func run() async throws {
            let context = try Context(options)
            let printers = try name.map { [try context.printer($0)] } ?? context.printers
            struct Row: Encodable { var status: DeviceStatusReport; var counters: PrinterCounters; var estimatedRemainingMillimetres: Double? }
            var rows: [Row] = []
            for printer in printers {
                let report = await printer.checkStatus()
                let counters = try await printer.counters()
                let remaining = counters.rollStartedAt == nil ? nil
                    : max(0, Double(printer.profile.paper.rollLengthMillimetres) - counters.rollPaperMillimetres)
                rows.append(Row(status: report, counters: counters, estimatedRemainingMillimetres: remaining))
            }
            if options.json {
                Console.json(rows)
            } else {
                for row in rows {
                    let r = row.status, c = row.counters
                    Console.out("\(r.id): \(r.status.rawValue), paper \(r.paper?.rawValue ?? "-")\(r.action.map { " [action: \($0.rawValue)]" } ?? "")\(r.detail.map { " — \($0)" } ?? "")")
                    let remaining = row.estimatedRemainingMillimetres.map { String(format: "%.1f m", $0 / 1000) } ?? "unknown (no restock recorded)"
                    Console.out("  this roll: \(c.rollSlips) slips, \(c.rollCuts) cuts, \(String(format: "%.2f", c.rollPaperMillimetres / 1000)) m fed, estimated left \(remaining)")
                    Console.out("  lifetime:  \(c.totalSlips) slips, \(c.totalCuts) cuts, \(String(format: "%.2f", c.totalPaperMillimetres / 1000)) m fed, \(c.restocks) restocks")
                    if !c.failures.isEmpty {
                        Console.out("  failures:  " + c.failures.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                    }
                }
            }
            if !rows.allSatisfy({ $0.status.isHealthy }) { throw ExitCode(1) }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a test page (every character class, sizes, a QR) and wait for it.",
            discussion: "Exit codes: 0 printed, 1 not printed (held, waiting for paper, failed; the reason is shown), 2 usage.")
        @OptionGroup var options: Options
        @Argument(help: "Printer id.") var name: String
        @Option(name: .long, help: "Seconds to wait for the page to complete.") var wait: Double = 15

        func run() async throws {
            let context = try Context(options, creating: true)
            let printer = try context.printer(name)
            let settings = context.configuration.settings
            let page = PrinterTestPage(printerId: name, profileName: printer.profileName, printedAt: kioskctlClock.now(),
                                       softwareVersion: OneWindowVersion.current,
                                       qrPayload: settings.kiosk.publicBaseURL + "/p/TEST-\(settings.kiosk.id)")
            let outcome = try await printer.print(page.document(context: SlipContext(settings)), reference: "test-page",
                                                  waitUpTo: .milliseconds(Int(wait * 1000)))
            try report(outcome, json: options.json)
        }
    }

    struct Restock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "After loading a new roll or clearing a jam: resume the queue, release held jobs, reset the roll counters.",
            discussion: "The slip that was waiting prints once; held or failed slips of the last 12 hours print once. Exit 1 if CUPS refused.")
        @OptionGroup var options: Options
        @Argument(help: "Printer id.") var name: String

        func run() async throws {
            let context = try Context(options, creating: true)
            let printer = try context.printer(name)
            let report: RestockReport
            do {
                report = try await printer.restock()
            } catch {
                Console.err("restock of \(name) failed: \(error)")
                throw ExitCode(1)
            }
            // Follow what was released for a moment, so the technician sees it print.
            for id in report.resumed + report.reprinted { _ = await printer.waitForCompletion(of: id, upTo: .seconds(10)) }
            if options.json { return Console.json(report) }
            Console.out("\(name): restocked; roll counters reset (restock #\(report.counters.restocks))")
            if !report.resumed.isEmpty { Console.out("  resumed in CUPS: jobs \(report.resumed.map(String.init).joined(separator: ", "))") }
            if !report.reprinted.isEmpty { Console.out("  reprinted once: jobs \(report.reprinted.map(String.init).joined(separator: ", "))") }
            if !report.left.isEmpty {
                Console.out("  kept for an explicit `kioskctl printer reprint JOB`: jobs \(report.left.map(String.init).joined(separator: ", "))")
            }
        }
    }

    struct Reprint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a held or failed job again; a printed job only with --duplicate (marked 补打).",
            discussion: "Exit codes: 0 printed, 1 not printed or refused, 2 no such job.")
        @OptionGroup var options: Options
        @Argument(help: "Job number (see `kioskctl printer jobs`).") var job: Int64
        @Flag(name: .long, help: "Print a marked copy of a job that already printed.") var duplicate = false

        func run() async throws {
            let context = try Context(options)
            let printer = try await context.printer(ofJob: job)
            do {
                var outcome = try await printer.reprint(jobId: job, duplicate: duplicate)
                if outcome.state.isActive, let done = await printer.waitForCompletion(of: outcome.jobId, upTo: .seconds(15)) {
                    outcome = PrintOutcome(done)
                }
                try report(outcome, json: options.json)
            } catch let error as PrintError {
                Console.err("\(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Jobs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent print jobs, newest first.")
        @OptionGroup var options: Options
        @Argument(help: "Printer id (default: all).") var name: String?
        @Option(name: .long, help: "Only jobs in this state: \(PrintJobState.allCases.map(\.rawValue).joined(separator: ", ")).")
        var state: String?
        @Option(name: .long) var limit = 20

        func run() async throws {
            let context = try Context(options)
            var states: [PrintJobState]?
            if let state {
                guard let parsed = PrintJobState(rawValue: state) else {
                    Console.err("unknown state '\(state)'; states: \(PrintJobState.allCases.map(\.rawValue).joined(separator: ", "))")
                    throw ExitCode(2)
                }
                states = [parsed]
            }
            let jobs = try await context.store.printJobs(printerId: name, states: states, limit: limit)
            struct Row: Encodable {
                var id: Int64; var printer, template, state: String; var reference, reason: String?
                var cupsJobId: Int32?; var attempts: Int; var bytes: Int; var createdAt: Date; var completedAt: Date?; var reprintOf: Int64?
            }
            let rows = jobs.map {
                Row(id: $0.id, printer: $0.printerId, template: $0.template, state: $0.state.rawValue, reference: $0.reference,
                    reason: $0.reason, cupsJobId: $0.cupsJobId, attempts: $0.attempts, bytes: $0.document.count,
                    createdAt: $0.createdAt, completedAt: $0.completedAt, reprintOf: $0.reprintOf)
            }
            if options.json { return Console.json(rows) }
            if rows.isEmpty { Console.out("no print jobs") }
            for r in rows {
                Console.out("\(String(r.id).padded(6)) \(r.printer.padded(9)) \(r.template.padded(22)) \(r.state.padded(15)) cups=\(r.cupsJobId.map(String.init) ?? "-") attempts=\(r.attempts)\(r.reference.map { " ref=\($0)" } ?? "")\(r.reason.map { " — \($0)" } ?? "")")
            }
        }
    }
}

/// Prints a print outcome; exit 1 unless the slip came out.
private func report(_ outcome: PrintOutcome, json: Bool) throws {
    if json {
        Console.json(outcome)
    } else {
        Console.out("job \(outcome.jobId) on \(outcome.printerId): \(outcome.state.rawValue)\(outcome.reason.map { " — \($0)" } ?? "")")
    }
    if outcome.state != .completed { throw ExitCode(1) }
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : padding(toLength: width, withPad: " ", startingAt: 0) }
}
