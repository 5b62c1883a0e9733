import DeviceFixtures
import Foundation
import KioskTestSupport
import Testing

/// The real `kioskd` and `kioskctl` binaries, started as a hall would start them.
@Suite struct KioskdProcessTests {
    struct Health: Decodable {
        struct Device: Decodable { var id: String; var kind: String; var driver: String; var status: String; var paper: String? }
        var status: String
        var version: String
        var devices: [Device]
    }

    @Test func startsHealthyWithEveryDeviceAndStopsGracefullyOnSIGTERM() throws {
        let cups = try PrivateCUPS(queues: ["receipt", "ticket"])
        defer { cups.stop() }
        let kioskd = try KioskdProcess(environment: ["CUPS_SERVER": cups.server])
        let body = try kioskd.waitFor("/api/v1/health", status: 200) { String(decoding: $0, as: UTF8.self).contains("\"status\":\"ok\"") }
        let health = try JSONDecoder().decode(Health.self, from: body)
        #expect(health.status == "ok")
        #expect(Set(health.devices.map(\.id)) == ["idcard", "camera", "receipt", "ticket", "pad"])
        let printers = health.devices.filter { $0.driver == "cups" }
        #expect(printers.count == 2)
        #expect(printers.allSatisfy { $0.status == "online" })

        #expect(try kioskd.terminate() == 0)
        let lines = kioskd.log.split(separator: "\n")
        // Not a terminal: every log line is one JSON object.
        #expect(!lines.isEmpty)
        for line in lines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "not JSON: \(line)")
        }
        #expect(kioskd.log.contains("kioskd listening"))
        #expect(kioskd.log.contains("kioskd stopped"))
    }

    @Test func aPrinterQueueThatIsMissingMakesHealthDegradedNotDown() throws {
        let cups = try PrivateCUPS(queues: ["receipt"])  // no "ticket" queue
        defer { cups.stop() }
        let kioskd = try KioskdProcess(environment: ["CUPS_SERVER": cups.server])
        let body = try kioskd.waitFor("/api/v1/health", status: 200)
        let health = try JSONDecoder().decode(Health.self, from: body)
        #expect(health.status == "degraded")
        #expect(health.devices.first { $0.id == "ticket" }?.status == "noDevice")
        #expect(health.devices.first { $0.id == "receipt" }?.status == "online")
        #expect(try kioskd.terminate() == 0)
    }

    @Test func refusesToStartOnABrokenCatalogueNamingFileAndLine() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let line = try fixture.replaceFirst("caseType: promised", with: "caseType: someday", in: "catalogue.yaml")
        let kioskd = try KioskdProcess(config: fixture.directory)
        let clock = ContinuousClock()
        let start = clock.now
        while kioskd.process.isRunning && clock.now - start < .seconds(20) { usleep(20_000) }
        #expect(!kioskd.process.isRunning)
        #expect(kioskd.process.terminationStatus == 78)
        #expect(kioskd.log.contains("catalogue.yaml:\(line):"))
        #expect(kioskd.log.contains("refusing to start"))
        #expect(kioskd.get("/api/v1/health") == nil)
    }

    @Test func refusesToStartOnACorruptDatabase() throws {
        let data = try TemporaryDirectory("corrupt")
        defer { data.remove() }
        try Data(repeating: 0xA5, count: 4096).write(to: URL(fileURLWithPath: data.file("kiosk.sqlite")))
        let result = try ChildProcess.run(try RepoPaths.binary("kioskd"),
                                          ["--config", RepoPaths.defaultConfig, "--data", data.path,
                                           "--listen", "127.0.0.1:\(try ChildProcess.freePort())", "--log-format", "text"])
        #expect(result.status == 74)
        #expect(result.stderr.contains("is corrupt"))
    }

    @Test func configCheckAcceptsTheShippedConfigAndRejectsABrokenOne() throws {
        let kioskctl = try RepoPaths.binary("kioskctl")
        let good = try ChildProcess.run(kioskctl, ["config", "check", "--config", RepoPaths.defaultConfig])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("configuration OK"))

        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let line = try fixture.replaceFirst("pages: ", with: "pages: many #", in: "catalogue.yaml")
        let bad = try ChildProcess.run(kioskctl, ["config", "check", "--config", fixture.directory])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("catalogue.yaml:\(line):"))
        #expect(bad.stderr.contains("error"))
        #expect(bad.stderr.contains("a whole number"))
    }

    @Test func configCheckWarnsOfACitizenAPIOnEveryInterface() throws {
        let kioskctl = try RepoPaths.binary("kioskctl")
        let good = try ChildProcess.run(kioskctl, ["config", "check", "--config", RepoPaths.defaultConfig])
        #expect(!good.stderr.contains("loopback"), "\(good.stderr)")

        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let line = try fixture.replaceFirst("listen: 127.0.0.1:8080", with: "listen: 0.0.0.0:8080", in: "kiosk.yaml")
        let open = try ChildProcess.run(kioskctl, ["config", "check", "--config", fixture.directory])
        #expect(open.status == 0, "a warning, not an error: \(open.stderr)")
        #expect(open.stderr.contains("kiosk.yaml:\(line):"), "\(open.stderr)")
        #expect(open.stderr.contains("warning") && open.stderr.contains("not a loopback address"), "\(open.stderr)")
        func warnings(_ stdout: String) -> Int? {
            stdout.firstMatch(of: /warnings +(\d+)/).flatMap { Int($0.1) }
        }
        #expect(warnings(open.stdout) == warnings(good.stdout).map { $0 + 1 }, "\(open.stdout)")
    }

    @Test func devicesUSBListsWhatLibusbSeesUnderUmockdev() throws {
        // An ID-card reader module (0400:C35A) with one bulk OUT/IN pair, described to libusb via sysfs.
        let dir = try TemporaryDirectory("umockdev")
        defer { dir.remove() }
        try IDCardFixtures.usbDescription(scheme: .single, bus: 1, device: 11)
            .write(toFile: dir.file("reader.umockdev"), atomically: true, encoding: .utf8)
        let result = try UMockdev.run(devices: [dir.file("reader.umockdev")], program: try RepoPaths.binary("kioskctl"),
                                      arguments: ["devices", "usb", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        struct USBDevice: Decodable { var bus: Int; var address: Int; var vendorID: Int; var productID: Int }
        let devices = try JSONDecoder().decode([USBDevice].self, from: Data(result.stdout.utf8))
        #expect(devices.count == 1)
        #expect(devices.first?.vendorID == 0x0400)
        #expect(devices.first?.productID == 0xC35A)
        #expect(devices.first?.bus == 1)
        #expect(devices.first?.address == 11)
    }
}
