import Foundation
import KioskTestSupport
import Testing

/// kioskd and kioskctl as a hall uses them, printing through a private real cupsd.
@Suite(.serialized) struct PrinterEndToEndTests {
    struct Job: Decodable { var id: Int64; var state: String; var cupsJobId: Int32? }

    func kioskctl(_ arguments: [String], cups: PrivateCUPS? = nil) throws -> ProcessResult {
        try ChildProcess.run(try RepoPaths.binary("kioskctl"), arguments, environment: cups.map { ["CUPS_SERVER": $0.server] } ?? [:])
    }

    func jobs(_ data: TemporaryDirectory, cups: PrivateCUPS) throws -> [Job] {
        let result = try kioskctl(["printer", "jobs", "--config", RepoPaths.defaultConfig, "--data", data.path, "--json"], cups: cups)
        return try JSONDecoder().decode([Job].self, from: Data(result.stdout.utf8))
    }

    @Test func kioskdKilledMidJobAndRestartedPrintsTheSlipExactlyOnce() async throws {
        let cups = try PrivateCUPS(queues: ["receipt", "ticket"])
        defer { cups.stop() }
        let data = try TemporaryDirectory("kiosk-data")
        defer { data.remove() }
        let config = ["--config", RepoPaths.defaultConfig, "--data", data.path]
        try cups.setPaper("out", queue: "receipt")

        // The slip goes to CUPS; the printer runs out; the job waits in the stopped queue.
        let test = try kioskctl(["printer", "test", "receipt", "--wait", "5"] + config, cups: cups)
        #expect(test.status == 1)
        #expect(test.stdout.contains("waitingForPaper"))

        // kioskd takes over following it, and dies without warning; a new kioskd starts.
        let first = try KioskdProcess(environment: ["CUPS_SERVER": cups.server], dataDirectory: data)
        try first.waitFor("/api/v1/health", status: 200)
        try await Task.sleep(for: .milliseconds(600))
        first.crash()
        let second = try KioskdProcess(environment: ["CUPS_SERVER": cups.server], dataDirectory: data)
        try second.waitFor("/api/v1/health", status: 200)
        try await Task.sleep(for: .milliseconds(600))
        #expect(try jobs(data, cups: cups).map(\.state) == ["waitingForPaper"])

        // Staff load paper and restock: the slip prints, once.
        try cups.setPaper("ok", queue: "receipt")
        let restock = try kioskctl(["printer", "restock", "receipt"] + config, cups: cups)
        #expect(restock.status == 0, "\(restock.stderr)")
        #expect(restock.stdout.contains("resumed in CUPS: jobs 1"))
        for _ in 0..<100 where try jobs(data, cups: cups).first?.state != "completed" { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try jobs(data, cups: cups).map(\.state) == ["completed"])
        try await Task.sleep(for: .milliseconds(800))  // two more rounds of kioskd's follower
        #expect(try cups.jobs(queue: "receipt").count == 1)
        #expect(try second.terminate() == 0)

        let status = try kioskctl(["printer", "status", "receipt"] + config, cups: cups)
        #expect(status.status == 0)
        #expect(status.stdout.contains("this roll: 1 slips"))
        #expect(status.stdout.contains("paper-out 1"))
    }

    @Test func slipRenderWritesEachFormatAndNamesBadInput() throws {
        let out = try TemporaryDirectory("render")
        defer { out.remove() }
        let input = RepoPaths.devices + "/printers/sample-inputs/ticket.json"
        for format in ["escpos", "pbm", "png", "text"] {
            let result = try kioskctl(["slip", "render", "--config", RepoPaths.defaultConfig, "--template", "ticket", "--input", input,
                                       "--profile", "generic-58mm", "--format", format, "-o", out.file("t.\(format)")])
            #expect(result.status == 0, "\(format): \(result.stderr)")
            #expect((try? Data(contentsOf: URL(fileURLWithPath: out.file("t.\(format)"))).count) ?? 0 > 20)
        }
        #expect(try QRDecoder.decode(imageBytes: [UInt8](Data(contentsOf: URL(fileURLWithPath: out.file("t.pbm")))))
                == ["https://zwfw.tengzhou.gov.cn/kiosk/q/A007-20261122"])
        let bad = out.file("bad.json")
        try Data("{\"ticket\": \"A007\", \"waiting\": \"three\"}".utf8).write(to: URL(fileURLWithPath: bad))
        let refused = try kioskctl(["slip", "render", "--config", RepoPaths.defaultConfig, "--template", "ticket", "--input", bad,
                                    "--format", "pbm", "-o", out.file("x.pbm")])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("categoryName") || refused.stderr.contains("waiting"))
        #expect(!FileManager.default.fileExists(atPath: out.file("x.pbm")))
    }
}
