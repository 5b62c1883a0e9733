import FakePlatform
import Foundation
import Workflow
import FrontDesk
import KioskConfig
import Logging
import Store
import Upstream

/// The outbox relay draining a backlog: 10,000 queued filings with 2 pages each (30,000 rows) to
/// a fake platform on loopback (in a child process) through the real HTTP adapter. Prints filings per second (target
/// ≥ 200/s) and the process's resident memory before, during (peak) and along the drain: it must
/// not grow with the backlog (rows are fetched in bounded batches, page bytes read per send).
enum UpstreamBench {
    static func run(configDirectory: String, scratch: String, filings: Int = 10_000) async throws {
        let configuration = try ConfigLoader.load(directory: configDirectory)
        let data = "\(scratch)/upstream"
        let store = try KioskStore.open(directory: data)
        let pagesDirectory = data + "/pages"
        try FileManager.default.createDirectory(atPath: pagesDirectory, withIntermediateDirectories: true)

        let setupStart = ContinuousClock.now
        let pageBytes = 16 * 1024
        try await queueBacklog(store: store, pagesDirectory: pagesDirectory, filings: filings, pageBytes: pageBytes)
        print(String(format: "upstream: queued %d filings with 2 pages each (%d KiB pages) in %.1f s", filings, pageBytes / 1024,
                     (ContinuousClock.now - setupStart).microseconds / 1e6))

        let platform = try FakePlatformProcess(expectedToken: "bench-token")
        defer { platform.stop() }
        var logger = Logger(label: "bench.upstream")
        logger.logLevel = .warning
        let adapter = HTTPPlatformAdapter(endpoint: platform.baseURL, token: BearerToken("bench-token"),
                                          timeoutSeconds: configuration.settings.upstream.timeoutSeconds, logger: logger)
        let options = OutboxRelay.Options(kioskID: configuration.settings.kiosk.id, concurrency: configuration.settings.upstream.concurrency ?? 4)
        let relay = OutboxRelay(store: store, platform: adapter, pages: DirectoryPageSource(directory: pagesDirectory),
                                options: options, logger: logger)
        let ledger = OutboxLedger(store: store)

        let before = residentKiB()
        var peak = before
        var checkpoints: [(Int, Int)] = []
        var delivered = 0
        let start = ContinuousClock.now
        while true {
            let pass = await relay.runOnce()
            delivered += pass.delivered
            peak = max(peak, residentKiB())
            if pass.failed > 0 || pass.rejected > 0 { throw BenchError("upstream: \(pass.failed) failed, \(pass.rejected) rejected on a healthy platform") }
            let filingsDone = delivered / 3
            if checkpoints.count < 4 && filingsDone >= (checkpoints.count + 1) * filings / 4 {
                checkpoints.append((filingsDone, residentKiB()))
            }
            if pass.heads == 0 { break }
        }
        let seconds = (ContinuousClock.now - start).microseconds / 1e6
        let report = try await ledger.report(now: SystemClock().now())
        let applied = try platform.appliedCount()
        await adapter.shutdown()
        guard report.depth == 0, report.delivered == filings * 3, applied == filings * 3 else {
            throw BenchError("upstream: depth \(report.depth), delivered \(report.delivered), applied \(applied)")
        }
        print(String(format: "upstream: drained %d filings (%d rows) in %.2f s: %.0f filings/s (target ≥ 200/s), concurrency %d",
                     filings, filings * 3, seconds, Double(filings) / seconds, options.concurrency))
        print(String(format: "upstream: RSS before the drain %.1f MB, peak during %.1f MB (+%.1f MB); along the drain: %@",
                     Double(before) / 1024, Double(peak) / 1024, Double(peak - before) / 1024,
                     checkpoints.map { String(format: "%d filings %.1f MB", $0.0, Double($0.1) / 1024) }.joined(separator: ", ") as NSString))
    }

    /// Serves the fake platform until standard input closes; answers `applied` on standard input
    /// with the number of requests it applied. Its port is the first line it prints.
    static func serveFakePlatform(expectedToken: String?) async throws {
        let platform = try await FakePlatform.start(expectedToken: expectedToken, keepsBodies: false)
        FileHandle.standardOutput.write(Data("\(platform.port)\n".utf8))
        while let line = readLine() {
            if line == "applied" {
                FileHandle.standardOutput.write(Data("\(platform.applied.count)\n".utf8))
            }
        }
        try await platform.stop()
    }

    /// The fake platform in a child process (this executable with `--serve-fake-platform`).
    final class FakePlatformProcess {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        let port: Int

        var baseURL: String { "http://127.0.0.1:\(port)" }

        init(expectedToken: String) throws {
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = ["--serve-fake-platform", expectedToken]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            guard let line = Self.readLine(output.fileHandleForReading), let port = Int(line) else {
                throw BenchError("upstream: the fake platform process did not say its port")
            }
            self.port = port
        }

        func appliedCount() throws -> Int {
            input.fileHandleForWriting.write(Data("applied\n".utf8))
            guard let line = Self.readLine(output.fileHandleForReading), let count = Int(line) else {
                throw BenchError("upstream: the fake platform process did not answer")
            }
            return count
        }

        func stop() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }

        private static func readLine(_ handle: FileHandle) -> String? {
            var bytes: [UInt8] = []
            while true {
                guard let byte = try? handle.read(upToCount: 1), let first = byte.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
                if first == 0x0A { return String(decoding: bytes, as: UTF8.self) }
                bytes.append(first)
            }
        }
    }

    /// The backlog, as `FrontDesk.submit` writes it: per filing two page rows (their files on disk),
    /// then the filing row, all under the filing number.
    static func queueBacklog(store: KioskStore, pagesDirectory: String, filings: Int, pageBytes: Int) async throws {
        let created = SystemClock().now()
        try await store.write { tx in
            var filler = [UInt8](repeating: 0, count: pageBytes)
            filler[0] = 0xFF; filler[1] = 0xD8; filler[2] = 0xFF; filler[3] = 0xE0
            for i in 0..<filings {
                let number = String(format: "370481-TZ01-20261123-%05d", i + 1)
                var shas: [String] = []
                for p in 0..<2 {
                    let sha = String(format: "%016x%016x", i, p).padding(toLength: 64, withPad: "b", startingAt: 0)
                    filler[8] = UInt8(truncatingIfNeeded: i); filler[9] = UInt8(truncatingIfNeeded: i >> 8); filler[10] = UInt8(p)
                    FileManager.default.createFile(atPath: "\(pagesDirectory)/\(sha).jpg", contents: Data(filler))
                    try tx.outbox.enqueue(kind: .page, subject: sha, orderKey: number,
                                          payload: #"{"filingNumber":"\#(number)","sha256":"\#(sha)"}"#, at: created)
                    shas.append(sha)
                }
                // The filing exactly as the front desk writes it (the relay reads it back as a FilingMessage).
                let filing = FilingMessage(
                    number: number, itemCode: "11370481004396815B3707104001000001", bundleCode: nil, siblingNumbers: [],
                    applicant: Applicant(name: "张三", idNumber: "11010519491231002X", documentKind: "resident", verifiedByCard: true),
                    decision: "accepted", receivedDay: "2026-11-23", promisedDeadline: "2026-11-24", deferredMaterials: [],
                    heldMaterials: ["M01": "电子证照"], pages: ["M02": [shas[0]], "M26": [shas[1]]], commitmentSigned: false,
                    mailing: nil, kioskID: "TZ01", regionCode: "370481", submittedAt: created,
                    progressToken: String(format: "bench%027d", i), responsible: nil)
                let payload = try OutboxMessage.filing(filing).storedPayload()
                try tx.outbox.enqueue(kind: .filing, subject: number, orderKey: number, payload: payload, at: created)
            }
        }
    }
}
