import ArgumentParser
import DeviceKit
import Foundation
import KioskConfig
import Workflow

/// `kioskctl pad …`: evaluation pad diagnostics for technicians (the pad itself, not kioskd's prompts).
struct PadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pad", abstract: "Evaluation pad (好差评评价器) diagnostics.",
        subcommands: [Watch.self, Test.self, Record.self, Replay.self])

    /// Which pad to open.
    struct PadOptions: ParsableArguments {
        @Option(name: .long, help: "Pad profile name from devices/evalpads/ (e.g. generic-hid-5key).")
        var profile: String
        @Option(name: .long, help: "Input device of a keyboard-mode pad (e.g. /dev/input/event3).")
        var path: String?
        @Option(name: .long, help: "Device profiles directory.")
        var devices = "devices"

        func open() throws(CommandFailure) -> (any PadConnection, EvaluationPadProfile) {
            let loaded: EvaluationPadProfile
            do {
                loaded = try EvaluationPadProfile.load(name: profile, profilesDirectory: devices)
            } catch {
                throw CommandFailure(exitCode: 1, message: "profile '\(profile)': \(error.errors.map(\.description).joined(separator: "; "))")
            }
            if loaded.transport == .evdev && path == nil {
                throw CommandFailure(exitCode: 1, message: "profile \(profile) is a keyboard-mode pad: give --path /dev/input/eventN")
            }
            do { return (try loaded.openConnection(path: path), loaded) } catch { throw CommandFailure(exitCode: 1, message: "\(error)") }
        }
    }

    static func levelName(_ level: Int) -> String { EvaluationLevel(rawValue: level)?.chineseName ?? "?" }

    /// `kioskctl pad watch`: prints each key as its level and Chinese name.
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print each key press of the pad as its level and name.",
            discussion: """
                Bounces (the same key again within the profile's debounce window) are shown and marked; \
                held keys print once (--all shows repeats and releases too). --raw prints what the pad \
                sends before the profile's mapping (HID reports in hex, evdev key names), to write a new \
                model's profile. Stops after --count presses (lines with --raw) or --seconds. \
                Exit status: 0 done; 1 the pad cannot be opened or was unplugged.
                """)

        @OptionGroup var pad: PadOptions
        @Option(name: .long, help: "Stop after this many presses (bounces included).")
        var count: Int?
        @Option(name: .long, help: "Stop after this many seconds.")
        var seconds: Double?
        @Flag(name: .long, help: "One JSON object per line.")
        var json = false
        @Flag(name: .long, help: "Also print repeats and releases.")
        var all = false
        @Flag(name: .long, help: "Print what the pad sends before the mapping (HID reports, evdev key codes).")
        var raw = false

        func run() async throws {
            try CommandFailure.exitOnFailure("pad") {
                let (connection, profile) = try pad.open()
                defer { connection.close() }
                if !json { Console.out("watching \(profile.name) on \(connection.description); press keys (Ctrl-C stops)") }
                var filter = PadBounceFilter(window: .milliseconds(profile.debounceMilliseconds ?? 300))
                let clock = ContinuousClock()
                let end = seconds.map { clock.now + .milliseconds(Int($0 * 1000)) }
                if raw {
                    guard let rawConnection = connection as? any RawPadConnection else {
                        throw CommandFailure(exitCode: 1, message: "\(connection.description) cannot show raw input")
                    }
                    var lines = 0
                    while count.map({ lines < $0 }) ?? true, end.map({ clock.now < $0 }) ?? true {
                        let read: [String]
                        do {
                            read = try rawConnection.readRaw(timeout: .milliseconds(250))
                        } catch {
                            throw CommandFailure(exitCode: 1, message: "\(error)")
                        }
                        for line in read.prefix(count.map { $0 - lines } ?? read.count) {
                            Console.out(json ? #"{"raw":"\#(line)"}"# : line)
                            lines += 1
                        }
                    }
                    return
                }
                var presses = 0
                while count.map({ presses < $0 }) ?? true, end.map({ clock.now < $0 }) ?? true {
                    let keys: [PadKeyEvent]
                    do {
                        keys = try connection.readKeys(timeout: .milliseconds(250))
                    } catch {
                        throw CommandFailure(exitCode: 1, message: "\(error)")
                    }
                    for key in keys {
                        let bounce = key.action == .press && filter.isBounce(level: key.level, at: clock.now)
                        if key.action == .press { presses += 1 } else if !all { continue }
                        let name = PadCommand.levelName(key.level)
                        if json {
                            Console.out(#"{"level":\#(key.level),"levelName":"\#(name)","action":"\#(key.action.rawValue)","bounce":\#(bounce)}"#)
                        } else {
                            let action = key.action == .press ? "" : " (\(key.action == .repeat ? "按住" : "松开"))"
                            Console.out("\(key.level) \(name)\(action)\(bounce ? " (抖动，不计)" : "")")
                        }
                        if let count, presses >= count { break }
                    }
                }
            }
        }
    }

    /// `kioskctl pad test`: asks for each key in turn and reports which worked.
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Interactive check: press each key in turn, from 非常满意 to 非常不满意.",
            discussion: """
                For each level the technician is asked to press its key within --timeout seconds; \
                another key is reported and the wait goes on. A pad whose profile has output reports \
                shows its prompt signal during the test. Exit status: 0 every key worked; \
                1 the pad cannot be opened, was unplugged, or refused an output report; 2 some key did not work (named).
                """)

        @OptionGroup var pad: PadOptions
        @Option(name: .long, help: "Seconds to wait for each key.")
        var timeout: Double = 10

        func validate() throws {
            guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        }

        func run() async throws {
            try CommandFailure.exitOnFailure("pad") {
                let (connection, profile) = try pad.open()
                defer { connection.close() }
                Console.out("测试评价器 \(profile.name)（\(connection.description)）")
                // Light the pad's "please rate" signal (LED / beep) if its profile has one, as kioskd does.
                do {
                    try connection.signal(.prompt)
                } catch {
                    throw CommandFailure(exitCode: 1, message: "the pad's prompt output report failed: \(error)")
                }
                var failed: [Int] = []
                let clock = ContinuousClock()
                for level in [5, 4, 3, 2, 1] {
                    Console.out("请按「\(PadCommand.levelName(level))」键（\(Int(timeout)) 秒内）…")
                    let end = clock.now + .milliseconds(Int(timeout * 1000))
                    var ok = false
                    var wrongShown: Set<Int> = []
                    waiting: while clock.now < end {
                        let keys: [PadKeyEvent]
                        do {
                            keys = try connection.readKeys(timeout: min(.milliseconds(250), end - clock.now))
                        } catch {
                            throw CommandFailure(exitCode: 1, message: "\(error)")
                        }
                        for key in keys where key.action == .press {
                            if key.level == level {
                                ok = true
                                break waiting
                            }
                            if wrongShown.insert(key.level).inserted {
                                Console.out("  收到「\(PadCommand.levelName(key.level))」，不是要按的键")
                            }
                        }
                    }
                    Console.out(ok ? "  ✓ \(level) \(PadCommand.levelName(level)) 正常" : "  ✗ \(level) \(PadCommand.levelName(level)) 未收到")
                    if !ok { failed.append(level) }
                }
                do {
                    try connection.signal(.idle)
                } catch {
                    throw CommandFailure(exitCode: 1, message: "the pad's idle output report failed: \(error)")
                }
                if failed.isEmpty {
                    Console.out("全部 5 个键正常")
                } else {
                    throw CommandFailure(exitCode: 2, message: "keys that did not work: "
                                     + failed.map { "\($0) \(PadCommand.levelName($0))" }.joined(separator: ", "))
                }
            }
        }
    }
}
