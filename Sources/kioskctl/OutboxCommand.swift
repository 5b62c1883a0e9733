import ArgumentParser
import Foundation
import FrontDesk
import Upstream

/// `kioskctl outbox [status] | retry`: how far behind the kiosk is upstream, and retrying now.
/// Works on the store directly, whether kioskd runs or not (outcomes are conditional updates).
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "What has not reached the provincial platform yet; retry now.",
        subcommands: [Status.self, Retry.self], defaultSubcommand: Status.self)

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Depth, oldest age, stuck and rejected rows (with the platform's reasons), the oldest undelivered rows.",
            discussion: "Exit 0 when nothing is stuck or rejected, 1 when something needs a person (stuck or rejected rows), 74 store unreadable.")
        @OptionGroup var options: DeskOptions
        @Option(name: .long, help: "How many undelivered rows to list.") var limit = 20

        func run() async throws {
            let desk = try options.desk()
            let report: OutboxReport
            do { report = try await OutboxLedger(store: desk.store).report(now: kioskctlClock.now(), rowLimit: limit) } catch {
                Console.err("\(error)")
                throw ExitCode(74)
            }
            if options.json {
                Console.json(report)
            } else {
                Console.out(Self.text(report))
            }
            if report.needsAttention { throw ExitCode(1) }
        }

        static func text(_ r: OutboxReport) -> String {
            var lines: [String] = []
            let age = r.oldestAgeSeconds.map { " (oldest \(Self.duration($0)))" } ?? ""
            lines.append("undelivered: \(r.depth)\(age) — pending \(r.pending), stuck \(r.stuck), rejected \(r.rejected); delivered \(r.delivered)")
            if let at = r.lastSuccessAt { lines.append("last delivery: \(at.formatted(.iso8601))") }
            if let at = r.lastFailureAt { lines.append("last failure:  \(at.formatted(.iso8601)) \(r.lastError ?? "")") }
            if let at = r.nextAttemptAt { lines.append("next attempt:  \(at.formatted(.iso8601))") }
            for rejection in r.rejections {
                lines.append("REJECTED row \(rejection.id) \(rejection.kind) \(rejection.subject): \(rejection.reason)"
                             + (rejection.blockedRows > 0 ? " — holds back \(rejection.blockedRows) later row(s); fix, then `kioskctl outbox retry \(rejection.id)`" : ""))
            }
            if !r.rows.isEmpty {
                lines.append("")
                lines.append(String(format: "%-8@ %-13@ %-9@ %8@  %@", "ID" as NSString, "KIND" as NSString, "STATE" as NSString,
                                    "ATTEMPTS" as NSString, "SUBJECT / LAST ERROR" as NSString))
                for row in r.rows {
                    let subject = row.kind == .page ? "page \(row.subject.prefix(12))… of \(row.orderKey)" : row.subject
                    lines.append(String(format: "%-8lld %-13@ %-9@ %8ld  %@", row.id, row.kind.rawValue as NSString, row.state.rawValue as NSString,
                                        row.attempts, ([subject] + [row.lastError].compactMap { $0 }).joined(separator: " — ") as NSString))
                }
            }
            return lines.joined(separator: "\n")
        }

        static func duration(_ seconds: Double) -> String {
            let s = Int(seconds)
            if s < 120 { return "\(s) s" }
            if s < 7200 { return "\(s / 60) min" }
            return "\(s / 3600) h \(s % 3600 / 60) min"
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make rows due now: one row by ID (a rejected one too), or --all pending and stuck rows.",
            discussion: """
                A rejected row goes back to pending only when named by its ID, or with --all --include-rejected: the platform \
                refused it once, so look at its reason first. kioskd picks the rows up within a second.
                Exit 0 done, 2 no such undelivered row (or neither ID nor --all given), 74 store unreadable.
                """)
        @OptionGroup var options: DeskOptions
        @Argument(help: "The outbox row's ID (from `kioskctl outbox`).") var id: Int64?
        @Flag(name: .long, help: "Every pending and stuck row.") var all = false
        @Flag(name: .long, help: "With --all: rejected rows too.") var includeRejected = false

        func run() async throws {
            guard (id == nil) != !all, !includeRejected || all else {
                Console.err("give one row ID, or --all (optionally with --include-rejected)")
                throw ExitCode(2)
            }
            let desk = try options.desk()
            let ledger = OutboxLedger(store: desk.store)
            let count: Int
            do {
                if let id {
                    count = try await ledger.retry(id: id, now: kioskctlClock.now()) ? 1 : 0
                } else {
                    count = try await ledger.retryAll(now: kioskctlClock.now(), includeRejected: includeRejected)
                }
            } catch {
                Console.err("\(error)")
                throw ExitCode(74)
            }
            if let id, count == 0 {
                Console.err("no undelivered outbox row \(id)")
                throw ExitCode(2)
            }
            _ = try? await desk.recordStaffAction(name: "kioskctl", technician: true, subject: "outbox", action: "retry",
                                            note: id.map { "row \($0)" } ?? (includeRejected ? "all, rejected too" : "all"))
            if options.json {
                struct Out: Encodable { var rowsMadeDue: Int }
                Console.json(Out(rowsMadeDue: count))
            } else {
                Console.out(count == 1 ? "1 row is due now" : "\(count) rows are due now")
            }
        }
    }
}
