import ArgumentParser
import DeviceFixtures
import DeviceKit
import Foundation
import KioskConfig

/// A field capture of a HID evaluation pad (`kioskctl pad record`): the raw input reports with
/// their times, replayed by `kioskctl pad replay` under umockdev (format in devices/README.md).
struct PadCapture: Codable {
    static let formatName = "onewindow-pad-capture/1"
    struct Report: Codable {
        var atMilliseconds: Int
        var report: String
    }
    var format: String
    var profile: String
    var recordedOn: String
    var reports: [Report]
    /// `unplugged` when the pad was pulled out during the recording (the replay ends the same way).
    var ended: String
}

extension PadCommand {
    /// `kioskctl pad record`: the pad's raw reports into a fixture, for a new model's test.
    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a HID pad's raw input reports into a replay fixture.",
            discussion: """
                The pad is opened with its (draft) profile; every input report is kept as it came, with \
                its time, until --count reports, --seconds, or the pad is unplugged. A pad's reports \
                carry no personal data (which key, not who). A keyboard-mode pad is recorded with \
                `umockdev-record --evemu-events /dev/input/eventN` instead. Exit status: 0 written; \
                1 the pad cannot be opened, or it is a keyboard-mode pad.
                """)

        @OptionGroup var pad: PadOptions
        @Option(name: [.short, .long], help: "Fixture file to write (e.g. devices/evalpads/<model>.capture.json).")
        var output: String
        @Option(name: .long, help: "Stop after this many reports.") var count: Int = 20
        @Option(name: .long, help: "Stop after this many seconds.") var seconds: Double = 60

        func run() async throws {
            try CommandFailure.exitOnFailure("pad record") {
                let (connection, profile) = try pad.open()
                defer { connection.close() }
                guard profile.transport == .hid, let raw = connection as? any RawPadConnection else {
                    throw CommandFailure(exitCode: 1, message: "\(pad.profile) is a keyboard-mode pad: record it with umockdev-record --evemu-events")
                }
                Console.err("请依次按评价器的键 / press the pad's keys (\(count) reports or \(Int(seconds)) s)…")
                let clock = ContinuousClock()
                let start = clock.now
                let end = start + .milliseconds(Int(seconds * 1000))
                var reports: [PadCapture.Report] = []
                var ended = "stopped"
                while reports.count < count, clock.now < end {
                    do throws(PadTransportError) {
                        for line in try raw.readRaw(timeout: .milliseconds(250)) where line.hasPrefix("report ") {
                            let elapsed = clock.now - start
                            reports.append(.init(atMilliseconds: Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000),
                                                 report: line.dropFirst(7).replacingOccurrences(of: " ", with: "")))
                        }
                    } catch {
                        guard error == .deviceGone else { throw CommandFailure(exitCode: 1, message: "\(error)") }
                        ended = "unplugged"
                        break
                    }
                }
                let capture = PadCapture(format: PadCapture.formatName, profile: pad.profile, recordedOn: connection.description,
                                         reports: reports, ended: ended)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                do {
                    let url = URL(fileURLWithPath: output)
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try (encoder.encode(capture) + Data("\n".utf8)).write(to: url, options: .atomic)
                } catch {
                    throw CommandFailure(exitCode: 1, message: "cannot write \(output): \(error.localizedDescription)")
                }
                Console.out("recorded \(reports.count) reports on \(connection.description)\(ended == "unplugged" ? ", then the unplug" : "") → \(output)")
            }
        }
    }

    /// `kioskctl pad replay FIXTURE`: the reports to the real libusb driver under umockdev.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay a recorded pad fixture to the real driver under umockdev and print the keys it decodes.",
            discussion: """
                The pad is emulated below libusb from its profile's descriptors and the recorded \
                reports (one interrupt URB each, and the unplug if one was recorded); every report the \
                driver reads must be the recorded one. Exit status: 0 replayed; 1 umockdev, the \
                profile or the emulated pad unusable; 3 a report differs; 5 not a valid fixture.
                """)

        @Argument(help: "A fixture written by `kioskctl pad record`.") var fixture: String
        @Option(name: .long, help: "Device profiles directory.") var devices = "devices"
        @Flag(name: .long, help: "One JSON object per key event.") var json = false
        @Flag(name: .long, help: .hidden) var emulated = false

        func run() async throws {
            try CommandFailure.exitOnFailure("pad replay") {
                let capture: PadCapture
                do {
                    capture = try JSONDecoder().decode(PadCapture.self, from: Data(contentsOf: URL(fileURLWithPath: fixture)))
                } catch {
                    throw CommandFailure(exitCode: 5, message: "cannot read \(fixture): \(error)")
                }
                let reports = capture.reports.map { SAMCapture.bytes(hex: $0.report) }
                guard capture.format == PadCapture.formatName, !reports.isEmpty, !reports.contains(where: { $0 == nil }) else {
                    throw CommandFailure(exitCode: 5, message: "\(fixture) is not an \(PadCapture.formatName) file with reports in hex")
                }
                let profile: EvaluationPadProfile
                do throws(ConfigError) { profile = try EvaluationPadProfile.load(name: capture.profile, profilesDirectory: devices) } catch {
                    throw CommandFailure(exitCode: 1, message: "profile '\(capture.profile)': \(error.errors.map(\.description).joined(separator: "; "))")
                }
                guard let hid = profile.hid else { throw CommandFailure(exitCode: 1, message: "profile \(capture.profile) has no hid: section") }
                let bytes = reports.compactMap { $0 }
                if emulated {
                    try replayInside(bytes, hid: hid, profile: profile)
                } else {
                    try runUnderUMockdev(bytes, hid: hid, unplugged: capture.ended == "unplugged")
                }
            }
        }

        func runUnderUMockdev(_ reports: [[UInt8]], hid: EvaluationPadProfile.HID, unplugged: Bool) throws {
            let umockdevRun = try executable("umockdev-run", package: "umockdev")
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("kioskctl-pad-replay-\(getpid())")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let description = work.appendingPathComponent("pad.umockdev")
            let script = work.appendingPathComponent("pad.ioctl")
            try Data(EvaluationPadFixtures.hidDescription(hid).utf8).write(to: description)
            try Data(EvaluationPadFixtures.hidIoctl(hid, reports: reports, unplug: unplugged).utf8).write(to: script)
            let node = String(format: "/dev/bus/usb/%03d/%03d", EvaluationPadFixtures.hidBus, EvaluationPadFixtures.hidDevice)
            let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: umockdevRun)
            process.arguments = ["-d", description.path, "-i", "\(node)=\(script.path)", "--",
                                 me, "pad", "replay", fixture, "--devices", devices, "--emulated"] + (json ? ["--json"] : [])
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw ExitCode(process.terminationStatus) }
        }

        func replayInside(_ reports: [[UInt8]], hid: EvaluationPadProfile.HID, profile: EvaluationPadProfile) throws {
            let connection: LibUSBPadConnection
            do { connection = try LibUSBPadConnection(profile: profile) } catch {
                throw CommandFailure(exitCode: 1, message: "the emulated pad: \(error)")
            }
            defer { connection.close() }
            var decoder = HIDReportDecoder(keys: hid.keys)
            if !json { Console.out("replaying \(reports.count) reports through \(connection.description)") }
            for (i, expected) in reports.enumerated() {
                let lines: [String]
                do { lines = try connection.readRaw(timeout: .milliseconds(1000)) } catch {
                    throw CommandFailure(exitCode: 3, message: "report \(i + 1): \(error)")
                }
                guard let line = lines.first, let got = SAMCapture.bytes(hex: line.dropFirst(7).replacingOccurrences(of: " ", with: "")),
                      got == expected else {
                    throw CommandFailure(exitCode: 3, message: "report \(i + 1) is not the recorded one")
                }
                for key in decoder.decode(got) {
                    let name = PadCommand.levelName(key.level)
                    Console.out(json ? #"{"level":\#(key.level),"levelName":"\#(name)","action":"\#(key.action.rawValue)"}"#
                                     : "\(key.level) \(name) \(key.action.rawValue)")
                }
            }
        }
    }
}
