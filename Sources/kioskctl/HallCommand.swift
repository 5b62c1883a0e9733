import ArgumentParser
import Foundation
import FrontDesk
import KioskServices

/// `kioskctl hall status`: the hall's fleet view (hall mode) — every kiosk, red first, with its
/// last heartbeat, problems and each roll's predicted restock.
struct HallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hall", abstract: "The hall's kiosks (hall mode): heartbeats, problems, restock.",
                                                    subcommands: [Status.self], defaultSubcommand: Status.self)

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every kiosk of the hall, red first, with its last heartbeat (or \"never sent\"). Exit 0; 69 hall database unreachable; 2 not in hall mode.")
        @OptionGroup var options: DeskOptions

        func run() async throws {
            let desk = try options.desk()
            let view = try await deskCall { () async throws(FrontDeskError) in try await HallFleet(desk: desk).view(now: desk.clock.now()) }
            if options.json {
                Console.json(view)
                return
            }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = desk.hallTimeZone
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
            Console.out("KIOSK     LEVEL  STATE   LAST HEARTBEAT        AGE      VERSION   OUTBOX")
            for k in view.kiosks {
                let last = k.lastHeartbeatAt.map(formatter.string(from:)) ?? "never sent"
                let age = k.secondsSinceHeartbeat.map { "\(Int($0)) s" } ?? "-"
                let outbox = k.outboxDepth.map { "\($0)" + (k.outboxOldestAgeSeconds.map { " (oldest \(Int($0 / 60)) min)" } ?? "") } ?? "-"
                Console.out("\(k.kioskID.padded(9)) \(k.level.padded(6)) \(k.state.padded(7)) \(last.padded(21)) \(age.padded(8)) \((k.version ?? "-").padded(9)) \(outbox)")
                for problem in k.problems { Console.out("    ! \(problem)") }
                for p in k.printers { Console.out("    \(p.id): \(p.estimate)") }
            }
            Console.out("\(view.kiosks.count) kiosk(s); silent after \(Int(view.silentAfterSeconds)) s without a heartbeat")
        }
    }
}
