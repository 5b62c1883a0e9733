import Foundation
import KioskTestSupport
import Testing

/// `kioskctl doctor` on a demo-like kiosk (a private cupsd with both queues, a store, an official
/// calendar for this year and the next) and on the same kiosk with one thing broken at a time:
/// each is found, with its action, and the exit code says how bad it is.
@Suite struct DoctorTests {
    struct Finding: Decodable {
        var check: String
        var level: String
        var status: String
        var en: String
        var zh: String
        var actionEn: String?
        var actionZh: String?
    }

    struct Report: Decodable {
        var kioskId: String?
        var findings: [Finding]
        var problems: Int
        var warnings: Int
        var exitCode: Int
        func finding(_ check: String) -> Finding? { findings.first { $0.check == check } }
    }

    /// A kiosk like the demo: the shipped configuration with only `years` in its calendar (official).
    static func kiosk(calendarYears: [Int]) throws -> (ConfigFixture, TemporaryDirectory) {
        let fixture = try ConfigFixture()
        let calendar = fixture.directory + "/calendar"
        for name in try FileManager.default.contentsOfDirectory(atPath: calendar) { try FileManager.default.removeItem(atPath: calendar + "/" + name) }
        for year in calendarYears {
            try fixture.write("calendar/\(year).yaml", "year: \(year)\nstatus: official\nsource: test\nholidays: []\n")
        }
        return (fixture, try TemporaryDirectory("doctor-data"))
    }

    static var thisYear: Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        return calendar.component(.year, from: Date())
    }

    /// `kioskctl doctor --json` (after a queue ticket made the store) against `cups`.
    static func doctor(_ fixture: ConfigFixture, _ data: TemporaryDirectory, cups: PrivateCUPS, makeStore: Bool = true,
                       extra: [String] = [], prepare: @escaping @Sendable () throws -> Void = {}) async throws -> (ProcessResult, Report?) {
        let kioskctl = try RepoPaths.binary("kioskctl")
        let environment = ["CUPS_SERVER": cups.server]
        return try await blocking {
            if makeStore {
                let issue = try ChildProcess.run(kioskctl, ["queue", "issue", "social-insurance", "--config", fixture.directory, "--data", data.path],
                                                 environment: environment)
                guard issue.status == 0 else { throw TestSupportError("queue issue: \(issue.stderr)") }
            }
            try prepare()
            let result = try ChildProcess.run(kioskctl, ["doctor", "--json", "--config", fixture.directory, "--data", data.path] + extra,
                                              environment: environment)
            return (result, try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8)))
        }
    }

    @Test func aHealthyKioskIsAllOkAndExitsZero() async throws {
        let (fixture, data) = try Self.kiosk(calendarYears: [Self.thisYear, Self.thisYear + 1])
        defer { fixture.remove(); data.remove() }
        let cups = try await blocking { try PrivateCUPS(queues: ["receipt", "ticket"]) }
        defer { cups.stop() }
        let (result, parsed) = try await Self.doctor(fixture, data, cups: cups)
        let report = try #require(parsed, "not JSON: \(result.stdout) \(result.stderr)")
        #expect(result.status == 0, "\(result.stdout)")
        #expect(report.exitCode == 0 && report.problems == 0 && report.warnings == 0)
        #expect(report.kioskId == "TZ01")
        let checks = Set(report.findings.map(\.check))
        #expect(checks.isSuperset(of: ["config", "calendar", "store", "disk", "clock", "cups",
                                       "device:idcard", "device:camera", "device:receipt", "device:ticket", "device:pad"]), "\(checks)")
        for finding in report.findings {
            #expect(finding.status == "ok", "\(finding.check): \(finding.en)")
            #expect(!finding.zh.isEmpty && !finding.en.isEmpty)
        }
        #expect(report.findings.filter { $0.level == "internal" }.count == 6)
        #expect(report.findings.filter { $0.level == "external" }.count == 5)

        // The text report: both languages, the exit code.
        let text = try await blocking {
            try ChildProcess.run(try RepoPaths.binary("kioskctl"), ["doctor", "--config", fixture.directory, "--data", data.path],
                                 environment: ["CUPS_SERVER": cups.server])
        }
        #expect(text.status == 0)
        #expect(text.stdout.contains("内部检查 internal") && text.stdout.contains("设备检查 external"))
        #expect(text.stdout.contains("[正常 ok] store: 数据库完整性检查通过") && text.stdout.contains("quick_check ok"))
        #expect(text.stdout.contains("— exit 0"))
    }

    @Test func aMissingPrinterIsAProblemWithItsAction() async throws {
        let (fixture, data) = try Self.kiosk(calendarYears: [Self.thisYear, Self.thisYear + 1])
        defer { fixture.remove(); data.remove() }
        let cups = try await blocking { try PrivateCUPS(queues: ["receipt"]) }
        defer { cups.stop() }
        let (result, parsed) = try await Self.doctor(fixture, data, cups: cups)
        let report = try #require(parsed, "not JSON: \(result.stdout) \(result.stderr)")
        #expect(result.status == 2)
        #expect(report.problems == 1)
        let ticket = try #require(report.finding("device:ticket"))
        #expect(ticket.status == "problem")
        #expect(ticket.en.contains("noDevice"), "\(ticket.en)")
        #expect(ticket.actionEn?.contains("kiosk.yaml") == true && ticket.actionZh?.contains("kiosk.yaml") == true)
        #expect(report.finding("device:receipt")?.status == "ok")
        #expect(report.finding("cups")?.status == "ok")
    }

    @Test func aCorruptStoreIsAProblemThatSaysRestore() async throws {
        let (fixture, data) = try Self.kiosk(calendarYears: [Self.thisYear, Self.thisYear + 1])
        defer { fixture.remove(); data.remove() }
        let cups = try await blocking { try PrivateCUPS(queues: ["receipt", "ticket"]) }
        defer { cups.stop() }
        let (result, parsed) = try await Self.doctor(fixture, data, cups: cups) {
            // Everything into the database file first (kioskctl may leave it in the WAL), then
            // overwrite pages past the header with garbage.
            let checkpoint = try ChildProcess.run(try ChildProcess.which("sqlite3", package: "sqlite3"),
                                                  [data.file("kiosk.sqlite"), "PRAGMA wal_checkpoint(TRUNCATE);"])
            guard checkpoint.status == 0 else { throw TestSupportError("checkpoint: \(checkpoint.stderr)") }
            let size = (try FileManager.default.attributesOfItem(atPath: data.file("kiosk.sqlite"))[.size] as? NSNumber)?.intValue ?? 0
            guard size > 4096 + 16_384 else { throw TestSupportError("the store is only \(size) bytes") }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: data.file("kiosk.sqlite")))
            try handle.seek(toOffset: 4096)
            try handle.write(contentsOf: Data(repeating: 0xA5, count: 16_384))
            try handle.close()
            try? FileManager.default.removeItem(atPath: data.file("kiosk.sqlite-wal"))
            try? FileManager.default.removeItem(atPath: data.file("kiosk.sqlite-shm"))
        }
        let report = try #require(parsed, "not JSON: \(result.stdout) \(result.stderr)")
        #expect(result.status == 2)
        let store = try #require(report.finding("store"))
        #expect(store.status == "problem")
        #expect(store.en.contains("corrupt"), "\(store.en)")
        #expect(store.actionEn?.contains("kioskctl restore") == true && store.actionZh?.contains("kioskctl restore") == true)
    }

    @Test func aCalendarThatEndsBeforeTheComingWeeksIsAProblem() async throws {
        let (fixture, data) = try Self.kiosk(calendarYears: [Self.thisYear - 1])
        defer { fixture.remove(); data.remove() }
        let cups = try await blocking { try PrivateCUPS(queues: ["receipt", "ticket"]) }
        defer { cups.stop() }
        let (result, parsed) = try await Self.doctor(fixture, data, cups: cups)
        let report = try #require(parsed, "not JSON: \(result.stdout) \(result.stderr)")
        #expect(result.status == 2)
        let calendar = try #require(report.finding("calendar"))
        #expect(calendar.status == "problem")
        #expect(calendar.en.contains("does not cover \(Self.thisYear)"), "\(calendar.en)")
        #expect(calendar.actionEn?.contains("calendar/\(Self.thisYear).yaml") == true)
        // The loader's own warning about the missing year shows as a config warning.
        #expect(report.finding("config")?.status == "warning")
    }

    @Test func theBundleHasLogsCountersAndConfigButNoSecretOrIDNumber() async throws {
        let (fixture, data) = try Self.kiosk(calendarYears: [Self.thisYear, Self.thisYear + 1])
        defer { fixture.remove(); data.remove() }
        let cups = try await blocking { try PrivateCUPS(queues: ["receipt", "ticket"]) }
        defer { cups.stop() }
        let work = try TemporaryDirectory("doctor-bundle")
        defer { work.remove() }
        let idNumber = "11010519491231002X"
        let pin = "739215"
        let kioskctl = try RepoPaths.binary("kioskctl")
        // A staff account (its PIN hash is a secret) and a log with a line that leaked an ID number.
        let setPin = try await blocking {
            try ChildProcess.run(kioskctl, ["staff", "set-pin", "wangfang", "--role", "staff", "--pin-stdin", "--config", fixture.directory],
                                 input: Data("\(pin)\n".utf8))
        }
        #expect(setPin.status == 0, "\(setPin.stderr)")
        let staffYAML = try fixture.read("staff.yaml")
        let hash = try #require(staffYAML.split(separator: "\n").first { $0.contains("pinHash") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces))
        try "{\"message\":\"kioskd listening\"}\n{\"message\":\"a driver bug logged \(idNumber)\"}\n"
            .write(toFile: work.file("kioskd.log"), atomically: true, encoding: .utf8)

        let bundle = work.file("support.tar.gz")
        let (result, parsed) = try await Self.doctor(fixture, data, cups: cups, extra: ["--bundle", bundle, "--log", work.file("kioskd.log")])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        #expect(parsed?.exitCode == 0)
        let untar = try await blocking { try ChildProcess.run("/usr/bin/tar", ["-xzf", bundle, "-C", work.path]) }
        #expect(untar.status == 0, "\(untar.stderr)")
        let root = work.path + "/onewindow-support"
        for file in ["doctor.json", "doctor.txt", "README.txt", "counters.json", "config/kiosk.yaml", "config/staff.yaml",
                     "config/calendar/\(Self.thisYear).yaml", "logs/1-kioskd.log"] {
            #expect(FileManager.default.fileExists(atPath: root + "/" + file), "\(file) missing from the bundle")
        }
        let counters = try String(contentsOfFile: root + "/counters.json", encoding: .utf8)
        #expect(counters.contains("\"printJobs\"") && counters.contains("\"outbox\""))
        #expect(try String(contentsOfFile: root + "/logs/1-kioskd.log", encoding: .utf8).contains("1101**********002X"))
        #expect(try String(contentsOfFile: root + "/config/staff.yaml", encoding: .utf8).contains("pinHash: \"<removed>\""))
        // No byte of any file in the bundle holds the ID number, the PIN hash or the PIN.
        for relative in FileManager.default.subpaths(atPath: root) ?? [] {
            guard let bytes = FileManager.default.contents(atPath: root + "/" + relative) else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!text.contains(idNumber), "\(relative) holds the ID number")
            #expect(!text.contains(hash), "\(relative) holds the PIN hash")
            #expect(!text.contains(pin), "\(relative) holds the PIN")
        }
    }
}
