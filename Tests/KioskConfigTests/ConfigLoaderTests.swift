import Foundation
import KioskTestSupport
import Testing
import Workflow
@testable import KioskConfig

@Suite struct ConfigLoaderTests {
    let today = CivilDate(iso: "2026-11-22")!

    /// Loads and returns the diagnostics of a configuration that must fail.
    func failures(_ fixture: ConfigFixture) -> [ConfigDiagnostic] { loadFailures(fixture, today: today) }

    @Test func theShippedConfigurationLoads() throws {
        let configuration = try ConfigLoader.load(directory: RepoPaths.defaultConfig, today: today)
        #expect(configuration.settings.kiosk.regionCode == "370481")
        #expect(configuration.items.count >= 6)
        #expect(configuration.bundles.count >= 1)
        #expect(configuration.queueCategories.count >= 2)
        #expect(configuration.calendar.covers(year: 2026))
        #expect(configuration.calendar.covers(year: 2027))
        #expect(Set(configuration.settings.devices.map(\.kind)) == Set(DeviceKind.allCases))
        // The default binds every device to its simulator or (printers) to a CUPS queue.
        #expect(configuration.settings.devices.allSatisfy { $0.driver == .simulated || $0.driver == .cups })
        // The catalogue covers the seeds' high-frequency areas with deferrable materials somewhere.
        #expect(configuration.items.contains { $0.materials.contains { $0.need == .deferrable } })
        #expect(configuration.items.contains { $0.caseType == .immediate })
        // 2026 is official; the 2026 Spring Festival make-up Saturday is a working day.
        #expect(configuration.calendar.isWorkingDay(CivilDate(iso: "2026-02-14")!))
        #expect(!configuration.calendar.isWorkingDay(CivilDate(iso: "2026-10-05")!))
    }

    @Test func aBrokenCatalogueLineIsNamedByFileAndLine() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let line = try fixture.replaceFirst("need: required", with: "need: mandatory", in: "catalogue.yaml")
        let errors = failures(fixture)
        #expect(errors.count == 1)
        let error = try #require(errors.first)
        #expect(error.file.hasSuffix("kiosk-config/catalogue.yaml"))
        #expect(error.line == line)
        #expect(error.message.contains("'mandatory'"))
        #expect(error.description.contains("catalogue.yaml:\(line):"))
    }

    @Test func aYAMLSyntaxErrorIsNamedByLine() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let line = try fixture.replaceFirst("  - id: camera\n", with: "  - id: camera\n   kind: [oops\n", in: "kiosk.yaml")
        let errors = failures(fixture)
        let error = try #require(errors.first)
        #expect(error.file.hasSuffix("kiosk.yaml"))
        #expect(error.message.contains("YAML"))
        // libyaml reports the error at or just after the broken line.
        #expect((line...line + 3).contains(error.line ?? -1))
    }

    @Test func anUnknownKeyIsAnError() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let line = try fixture.replaceFirst("  inactivityTimeoutSeconds:", with: "  inactivityTimeoutSecs: 5\n  inactivityTimeoutSeconds:", in: "kiosk.yaml")
        let error = try #require(failures(fixture).first)
        #expect(error.line == line)
        #expect(error.message.contains("unknown key 'inactivityTimeoutSecs'"))
    }

    @Test func aDuplicateKeyIsAnError() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let line = try fixture.replaceFirst("  hallName:", with: "  hallName: 重复\n  hallName:", in: "kiosk.yaml")
        let error = try #require(failures(fixture).first)
        #expect(error.line == line)  // Yams points at the first of the two
        #expect(error.message.contains("'hallName' appears twice"))
    }

    @Test func aMissingKeyIsNamed() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let text = try fixture.read("queue.yaml")
        try fixture.write("queue.yaml", text.replacingOccurrences(of: "    prefix: B\n", with: ""))
        let error = try #require(failures(fixture).first)
        #expect(error.file.hasSuffix("queue.yaml"))
        #expect(error.message.contains("missing key 'prefix'"))
        #expect(error.message.contains("categories[1]"))
    }

    @Test func semanticErrorsAreAllReportedWithTheirLines() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let regionLine = try fixture.replaceFirst("regionCode: \"370481\"", with: "regionCode: \"990481\"", in: "kiosk.yaml")
        let listenLine = try fixture.replaceFirst("listen: 127.0.0.1:8080", with: "listen: 127.0.0.1:99999", in: "kiosk.yaml")
        let driverLine = try fixture.replaceFirst("    driver: simulated\n  - id: receipt", with: "    driver: cups\n  - id: receipt", in: "kiosk.yaml")
        let prefixLine = try fixture.replaceFirst("prefix: B", with: "prefix: A", in: "queue.yaml")
        let errors = failures(fixture)
        let byLine = Dictionary(grouping: errors, by: { "\(($0.file as NSString).lastPathComponent):\($0.line ?? 0)" })
        #expect(byLine["kiosk.yaml:\(regionLine)"]?.first?.message.contains("regionCode") == true)
        #expect(byLine["kiosk.yaml:\(listenLine)"]?.first?.message.contains("listen") == true)
        #expect(byLine["kiosk.yaml:\(driverLine)"]?.first?.message.contains("cannot run a documentCamera") == true)
        #expect(byLine["queue.yaml:\(prefixLine)"]?.first?.message.contains("prefix 'A'") == true)
        // The camera bound to cups also lacks a queue: reported too, on the same device.
        #expect(errors.count == 5)
    }

    @Test func hallModeMistakesAreNamedByFileAndLine() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        // Hall mode without its database, an out-of-range grace and repeat: each named at its line.
        try fixture.replaceFirst("dataDirectory:", with: "hall:\n  store: postgres\n  skipGraceMinutes: 999\n  callRepeat: 9\ndataDirectory:", in: "kiosk.yaml")
        let text = try fixture.read("kiosk.yaml")
        func line(of needle: String) -> Int { text[..<text.range(of: needle)!.lowerBound].filter { $0 == "\n" }.count + 1 }
        let errors = failures(fixture)
        let byLine = Dictionary(grouping: errors, by: { "\(($0.file as NSString).lastPathComponent):\($0.line ?? 0)" })
        #expect(byLine["kiosk.yaml:\(line(of: "  store: postgres\n  skipGraceMinutes"))"]?.first?.message.contains("needs url") == true, "\(errors)")
        #expect(byLine["kiosk.yaml:\(line(of: "  skipGraceMinutes: 999"))"]?.first?.message.contains("skipGraceMinutes") == true)
        #expect(byLine["kiosk.yaml:\(line(of: "  callRepeat: 9"))"]?.first?.message.contains("callRepeat") == true)
        #expect(errors.count == 3)

        // A URL that is not postgres://…, and an unknown store kind.
        let bad = try ConfigFixture()
        defer { bad.remove() }
        try bad.replaceFirst("dataDirectory:", with: "hall:\n  store: postgres\n  url: mysql://x@db/hall\ndataDirectory:", in: "kiosk.yaml")
        let badURL = failures(bad)
        #expect(badURL.count == 1 && badURL[0].message.contains("postgres://user@host"), "\(badURL)")
        let kind = try ConfigFixture()
        defer { kind.remove() }
        let kindLine = try kind.replaceFirst("dataDirectory:", with: "hall:\n  store: oracle\ndataDirectory:", in: "kiosk.yaml") + 1
        #expect(failures(kind).first?.line == kindLine)

        // store: sqlite (the default) needs no server and loads.
        let single = try ConfigFixture()
        defer { single.remove() }
        try single.replaceFirst("dataDirectory:", with: "hall:\n  store: sqlite\ndataDirectory:", in: "kiosk.yaml")
        #expect(try ConfigLoader.load(directory: single.directory, today: today).settings.hall?.store == .sqlite)
    }

    @Test func aBundleNamingAnUnknownItemIsAnError() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let text = try fixture.read("bundles.yaml")
        let marker = "itemCodes:"
        let range = try #require(text.range(of: marker))
        let lineOfKey = text[..<range.lowerBound].filter { $0 == "\n" }.count + 1
        // Put an unknown code in front of the first bundle's list, in flow or block style.
        let afterKey = text[range.upperBound...]
        let patched: String
        if afterKey.hasPrefix(" [") {
            patched = text.replacingCharacters(in: range, with: "itemCodes: [\"NO-SUCH-ITEM\", ").replacingOccurrences(of: "[\"NO-SUCH-ITEM\",  [", with: "[\"NO-SUCH-ITEM\", ")
        } else {
            let indent = afterKey.dropFirst().prefix { $0 == " " }
            patched = text.replacingCharacters(in: range, with: "itemCodes:\n\(indent)- \"NO-SUCH-ITEM\"")
        }
        try fixture.write("bundles.yaml", patched)
        let errors = failures(fixture)
        let error = try #require(errors.first { $0.message.contains("NO-SUCH-ITEM") })
        #expect(error.file.hasSuffix("bundles.yaml"))
        #expect((lineOfKey...lineOfKey + 1).contains(error.line ?? -1))
    }

    @Test func aDeferralLongerThanThePromisedLimitIsAnError() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let line = try fixture.replaceFirst("withinWorkingDays: ", with: "withinWorkingDays: 400\n      x_was: ", in: "catalogue.yaml")
        // Clean the helper key back out: only the number changes.
        let text = try fixture.read("catalogue.yaml")
        let cleaned = text.replacingOccurrences(of: #"400\n\s+x_was: \d+"#, with: "400", options: .regularExpression)
        try fixture.write("catalogue.yaml", cleaned)
        let errors = failures(fixture)
        let error = try #require(errors.first)
        #expect(error.line == line)
        #expect(error.message.contains("exceeds the promised time limit"))
    }

    @Test func aCatchAllMaterialIsRefused() {
        #expect(Validator.isCatchAll("其他材料"))
        #expect(Validator.isCatchAll("其他相关材料"))
        #expect(Validator.isCatchAll("身份证明等材料"))
        #expect(!Validator.isCatchAll("居民身份证"))
    }

    @Test func aMissingCalendarYearIsAWarningNotASilence() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        try FileManager.default.removeItem(atPath: fixture.path("calendar/2027.yaml"))
        let configuration = try ConfigLoader.load(directory: fixture.directory, today: today)
        #expect(configuration.warnings.contains { $0.message.contains("no calendar for 2027") })
        #expect(!configuration.calendar.covers(year: 2027))
    }

    @Test(arguments: ["0.0.0.0:8080", "192.168.1.20:8080", "[::]:8080", "kiosk.hall.local:8080"])
    func aCitizenAPIOffLoopbackIsAWarning(_ listen: String) throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let line = try fixture.replaceFirst("listen: 127.0.0.1:8080", with: "listen: \"\(listen)\"", in: "kiosk.yaml")
        let configuration = try ConfigLoader.load(directory: fixture.directory, today: today)
        let warning = try #require(configuration.warnings.first { $0.message.contains("not a loopback address") })
        #expect(warning.line == line)
        #expect(warning.message.contains("staffListen"))
    }

    @Test(arguments: ["127.0.0.1:8080", "127.0.0.2:9000", "[::1]:8080", "localhost:8080"])
    func aCitizenAPIOnLoopbackIsNoWarning(_ listen: String) throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        try fixture.replaceFirst("listen: 127.0.0.1:8080", with: "listen: \"\(listen)\"", in: "kiosk.yaml")
        let configuration = try ConfigLoader.load(directory: fixture.directory, today: today)
        #expect(!configuration.warnings.contains { $0.message.contains("loopback") })
    }

    @Test func aMissingDirectoryIsAClearError() {
        do {
            _ = try ConfigLoader.load(directory: "/nonexistent/kiosk-config", today: today)
            Issue.record("loaded a directory that does not exist")
        } catch {
            #expect(error.errors.first?.message.contains("not found") == true)
        }
    }

    @Test(arguments: [("127.0.0.1:8080", true), ("[::1]:8080", true), ("localhost:1", true), ("127.0.0.1", false),
                      (":8080", false), ("127.0.0.1:0", false), ("127.0.0.1:65536", false), ("a b:80", false)])
    func hostPortParsing(_ text: String, _ valid: Bool) {
        #expect((HostPort(text) != nil) == valid)
    }
}

/// Evaluation pad bindings: a real pad needs a profile that fits its driver, and a broken pad
/// profile stops the configuration with the profile's own file and line.
@Suite struct EvaluationPadBindingTests {
    func errors(_ fixture: ConfigFixture) -> [ConfigDiagnostic] {
        do {
            _ = try ConfigLoader.load(directory: fixture.directory)
            return []
        } catch let error as ConfigError {
            return error.errors
        } catch {
            return [ConfigDiagnostic(.error, file: "?", "\(error)")]
        }
    }

    let simulatedPad = "  - id: pad\n    kind: evaluationPad\n    driver: simulated"

    @Test func aPadWithoutAProfileOrWithTheWrongDriverIsRefused() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let line = try fixture.replaceFirst(simulatedPad, with: "  - id: pad\n    kind: evaluationPad\n    driver: evdev\n    path: /dev/input/event3",
                                            in: "kiosk.yaml")
        var found = errors(fixture)
        #expect(found.count == 1)
        #expect(found.first?.line == line + 2)
        #expect(found.first?.message.contains("needs 'profile:'") == true)

        try fixture.replaceFirst("    path: /dev/input/event3", with: "    path: /dev/input/event3\n    profile: generic-hid-5key", in: "kiosk.yaml")
        found = errors(fixture)
        #expect(found.count == 1)
        #expect(found.first?.message.contains("is a hid pad: bind it with driver: hid") == true)

        try fixture.replaceFirst("profile: generic-hid-5key", with: "profile: generic-keyboard-5key", in: "kiosk.yaml")
        #expect(errors(fixture).isEmpty)
    }

    @Test func aBrokenPadProfileIsReportedAtItsOwnLine() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        try fixture.replaceFirst(simulatedPad, with: "  - id: pad\n    kind: evaluationPad\n    driver: hid\n    profile: generic-hid-5key",
                                 in: "kiosk.yaml")
        let profile = fixture.root.path + "/devices/evalpads/generic-hid-5key.yaml"
        var text = try String(contentsOfFile: profile, encoding: .utf8)
        let lineOfLevel3 = text.prefix(upTo: try #require(text.range(of: "{ level: 3, byte: 0, value: 3 }")).lowerBound)
            .filter { $0 == "\n" }.count + 1
        text = text.replacingOccurrences(of: "{ level: 3, byte: 0, value: 3 }", with: "{ level: 3, byte: 0, value: 1 }")
        try text.write(toFile: profile, atomically: true, encoding: .utf8)
        let found = errors(fixture)
        #expect(found.count == 1)
        #expect(found.first?.file.hasSuffix("devices/evalpads/generic-hid-5key.yaml") == true)
        #expect(found.first?.line == lineOfLevel3)
        #expect(found.first?.message.contains("same byte and value") == true)
    }
}
