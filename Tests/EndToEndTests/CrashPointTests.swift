import FakePlatform
import Foundation
import KioskTestSupport
import Testing

/// A real kioskd under a scripted mixed workload — citizens' journeys (card, draft, pages, submit,
/// the notice printed through a private cupsd), queue tickets, the receipt printer running out of
/// paper and restocked, the outbox draining to the fake platform (which fails now and then) — is
/// SIGKILLed at random points. After every restart: no acknowledged filing or ticket is lost, no
/// filing is numbered twice, no slip printed twice, the audit chain verifies and `quick_check` is
/// ok; at the end every filing reaches the platform exactly once and every acknowledged notice has
/// been printed exactly once. `ONEWINDOW_CRASH_POINTS` kill points (5 in `make test`, 50 in
/// `make bench-crash`), seeded by `ONEWINDOW_CRASH_SEED`.
@Suite(.serialized) struct CrashPointTests {
    static let token = "crash-point-token-5e2a91c4"
    static let categories = ["social-insurance", "medical-insurance", "real-estate", "housing-fund"]

    /// What the workload was told, across every round.
    struct Ledger: Sendable {
        var submitsSent = 0
        var filings: [String: String] = [:]       // acknowledged number → slip state at the answer
        var ticketsSent = 0
        var tickets: [String] = []
        var operations = 0
        var interrupted = 0
        var restartSeconds: [Double] = []
        var violations: [String] = []
        var diagnostics = ""
        var jobs = ""
    }

    /// One citizen's journey, recorded in the ledger (the submit counted before it is sent).
    static func journey(_ base: String, citizen: Int, ledger: LockedLedger) throws {
        let (number, slip) = try CitizenWorkload.journey(base, citizen: citizen) { ledger.update { $0.submitsSent += 1 } }
        ledger.update { $0.filings[number] = slip }
    }

    static func ticket(_ base: String, category: String, ledger: LockedLedger) throws {
        ledger.update { $0.ticketsSent += 1 }
        let answer = try HTTP.json("POST", base + "/api/v1/tickets", #"{"category":"\#(category)"}"#, expect: 201)
        if let ticket = answer["ticket"] as? String { ledger.update { $0.tickets.append(ticket) } }
    }

    /// The shipped configuration with the private cupsd's printers and the HTTP platform at `endpoint`.
    static func fixture(endpoint: String) throws -> ConfigFixture {
        let fixture = try ConfigFixture()
        var kiosk = try fixture.read("kiosk.yaml").replacingOccurrences(of: "  platform: simulated ", with: "  platform: http ")
        kiosk = kiosk.replacingFirstLine(startingWith: "  endpoint: ", with: "  endpoint: \(endpoint)") ?? kiosk
        kiosk = kiosk.replacingFirstLine(startingWith: "  tokenFile: ", with: "  tokenEnvironmentVariable: ONEWINDOW_CRASH_TOKEN") ?? kiosk
        kiosk = kiosk.replacingFirstLine(startingWith: "  timeoutSeconds: ", with: "  timeoutSeconds: 5") ?? kiosk
        try fixture.write("kiosk.yaml", kiosk)
        return fixture
    }

    /// Slips (captured CUPS jobs of both printers) whose bytes contain `text`.
    static func slips(containing text: String, in cups: PrivateCUPS) -> Int {
        let needle = Data(text.utf8)
        return ["receipt", "ticket"].reduce(0) { count, queue in
            count + ((try? cups.jobs(queue: queue)) ?? []).filter { $0.range(of: needle) != nil }.count
        }
    }

    /// The captured job files whose bytes contain `text`.
    static func files(containing text: String, in cups: PrivateCUPS) -> [String] {
        let needle = Data(text.utf8)
        return ["receipt", "ticket"].flatMap { queue -> [String] in
            let directory = cups.outputDirectory(queue: queue)
            return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { name in
                name.hasSuffix(".bin") && (FileManager.default.contents(atPath: directory + "/" + name)?.range(of: needle) != nil)
            }.map { queue + "/" + $0 }
        }
    }

    /// The invariants on a running kioskd after a restart; each broken one as a sentence.
    static func invariants(after round: Int, ledger: Ledger, kioskctl: String, fixture: ConfigFixture, data: TemporaryDirectory,
                           cups: PrivateCUPS) throws -> [String] {
        var broken: [String] = []
        let args = ["--config", fixture.directory, "--data", data.path]
        let list = try ChildProcess.run(kioskctl, ["filings", "list", "--json", "--limit", "100000"] + args, environment: ["CUPS_SERVER": cups.server])
        let rows = (try? JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]) ?? []
        let numbers = rows.compactMap { $0["number"] as? String }
        if list.status != 0 || (numbers.isEmpty && !ledger.filings.isEmpty) { broken.append("round \(round): filings list failed: \(list.stderr)") }
        if Set(numbers).count != numbers.count { broken.append("round \(round): a filing number twice: \(numbers)") }
        for number in ledger.filings.keys where !numbers.contains(number) { broken.append("round \(round): acknowledged filing \(number) lost") }
        if numbers.count > ledger.submitsSent { broken.append("round \(round): \(numbers.count) filings from \(ledger.submitsSent) submits") }
        for number in numbers where slips(containing: number, in: cups) > 1 {
            let jobs = try ChildProcess.run(kioskctl, ["printer", "jobs", "--json", "--limit", "1000"] + args, environment: ["CUPS_SERVER": cups.server])
            broken.append("round \(round): the notice of \(number) printed \(slips(containing: number, in: cups)) times: "
                          + "\(files(containing: number, in: cups)); jobs: \(jobs.stdout.replacingOccurrences(of: "\n", with: " "))")
        }
        let audit = try ChildProcess.run(kioskctl, ["audit", "verify"] + args)
        if audit.status != 0 { broken.append("round \(round): audit chain: \(audit.stdout) \(audit.stderr)") }
        let check = try ChildProcess.run(try ChildProcess.which("sqlite3", package: "sqlite3"), [data.file("kiosk.sqlite"), "PRAGMA quick_check;"])
        if check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) != "ok" { broken.append("round \(round): quick_check: \(check.stdout) \(check.stderr)") }
        let queue = try ChildProcess.run(kioskctl, ["queue", "status", "--json"] + args)
        let waiting = (try? JSONSerialization.jsonObject(with: Data(queue.stdout.utf8)) as? [String: Any])
            .flatMap { $0["categories"] as? [[String: Any]] }?.reduce(0) { $0 + ($1["waiting"] as? Int ?? 0) } ?? -1
        if waiting < ledger.tickets.count || waiting > ledger.ticketsSent {
            broken.append("round \(round): \(waiting) tickets waiting; \(ledger.tickets.count) acknowledged of \(ledger.ticketsSent) asked")
        }
        return broken
    }

    @Test func killedAtRandomPointsUnderAMixedWorkloadNothingIsLostOrDoubled() async throws {
        let environment = ProcessInfo.processInfo.environment
        let points = Int(environment["ONEWINDOW_CRASH_POINTS"] ?? "") ?? 5
        let seed = UInt64(environment["ONEWINDOW_CRASH_SEED"] ?? "") ?? 0xC0FFEE
        let platform = try await FakePlatform.start(expectedToken: Self.token, keepsBodies: false)
        let fixture = try Self.fixture(endpoint: platform.baseURL)
        let data = try TemporaryDirectory("crash-points")
        defer { fixture.remove(); data.remove() }
        let cups = try await blocking { try PrivateCUPS(queues: ["receipt", "ticket"]) }
        defer { cups.stop() }
        let kioskctl = try RepoPaths.binary("kioskctl")
        let kioskdEnvironment = ["ONEWINDOW_CRASH_TOKEN": Self.token, "CUPS_SERVER": cups.server]

        let ledger = LockedLedger()
        try await blocking {
            var random = SplitMix64(seed: seed)
            var citizen = 0
            let clock = ContinuousClock()
            for round in 1...points {
                let started = clock.now
                let kioskd = try KioskdProcess(config: fixture.directory, environment: kioskdEnvironment, dataDirectory: data)
                try kioskd.waitFor("/api/v1/health", status: 200, timeout: .seconds(60))
                let restart = clock.now - started
                ledger.update { $0.restartSeconds.append(Double(restart.components.seconds) + Double(restart.components.attoseconds) / 1e18) }
                if round > 1 {
                    let broken = try Self.invariants(after: round - 1, ledger: ledger.value, kioskctl: kioskctl, fixture: fixture, data: data, cups: cups)
                    ledger.update { $0.violations += broken }
                }
                // The platform fails now and then; the relay retries.
                platform.setStanding(Int.random(in: 0..<4, using: &random) == 0 ? .status(503) : .none)

                // A few whole operations, then one more cut short by SIGKILL at a random moment.
                let whole = Int.random(in: 1...3, using: &random)
                for index in 0...whole {
                    // The operation cut short is mostly a citizen's journey (the longest, with the most writes).
                    let kind = index == whole && Int.random(in: 0..<4, using: &random) > 0 ? 0 : Int.random(in: 0..<10, using: &random)
                    citizen += 1
                    let who = citizen
                    let category = Self.categories[Int.random(in: 0..<Self.categories.count, using: &random)]
                    let operation: @Sendable () throws -> Void = {
                        switch kind {
                        case 0..<5: try Self.journey(kioskd.baseURL, citizen: who, ledger: ledger)
                        case 5..<8: try Self.ticket(kioskd.baseURL, category: category, ledger: ledger)
                        case 8: try cups.setPaper("out", queue: "receipt")
                        default:
                            try cups.setPaper("ok", queue: "receipt")
                            _ = try ChildProcess.run(kioskctl, ["printer", "restock", "receipt", "--config", fixture.directory, "--data", data.path],
                                                     environment: ["CUPS_SERVER": cups.server])
                        }
                    }
                    ledger.update { $0.operations += 1 }
                    if index < whole {
                        do { try operation() } catch { ledger.update { $0.violations.append("round \(round): \(error)") } }
                        continue
                    }
                    let done = DispatchSemaphore(value: 0)
                    Thread {
                        do { try operation() } catch { ledger.update { $0.interrupted += 1 } }
                        done.signal()
                    }.start()
                    usleep(UInt32.random(in: 0..<250_000, using: &random))
                    kioskd.crash()
                    done.wait()
                }
            }

            // Paper back, restocked, the platform well: everything drains.
            try cups.setPaper("ok", queue: "receipt")
            platform.setStanding(.none)
            let kioskd = try KioskdProcess(config: fixture.directory, environment: kioskdEnvironment, dataDirectory: data)
            try kioskd.waitFor("/api/v1/health", status: 200, timeout: .seconds(60))
            let finalBroken = (try? Self.invariants(after: points, ledger: ledger.value, kioskctl: kioskctl, fixture: fixture,
                                                    data: data, cups: cups)) ?? ["final invariants could not be read"]
            ledger.update { $0.violations += finalBroken }
            let restock = try ChildProcess.run(kioskctl, ["printer", "restock", "receipt", "--config", fixture.directory, "--data", data.path],
                                               environment: ["CUPS_SERVER": cups.server])
            let jobs = try ChildProcess.run(kioskctl, ["printer", "jobs", "--json", "--limit", "1000", "--config", fixture.directory, "--data", data.path],
                                            environment: ["CUPS_SERVER": cups.server])
            ledger.update {
                $0.diagnostics = "restock: \(restock.status) \(restock.stdout) \(restock.stderr)"
                $0.jobs = jobs.stdout
            }
            _ = try ChildProcess.run(kioskctl, ["outbox", "retry", "--all", "--config", fixture.directory, "--data", data.path])
            try UpstreamEndToEndTests.waitUntil("the outbox to drain", timeout: .seconds(120)) {
                guard let body = kioskd.get("/api/v1/health")?.body,
                      let health = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return false }
                return (health["upstream"] as? [String: Any])?["depth"] as? Int == 0
            }
            _ = try kioskd.terminate()
        }

        let final = ledger.value
        #expect(final.violations.isEmpty, "\(final.violations.joined(separator: "\n"))")
        // Every filing the store has reached the platform exactly once; nothing was applied twice.
        let applied = platform.applied
        let keys = applied.map { "\($0.call.rawValue):\($0.key)" }
        #expect(keys.count == Set(keys).count, "applied twice: \(keys.sorted())")
        let list = try await blocking {
            try ChildProcess.run(kioskctl, ["filings", "list", "--json", "--limit", "100000", "--config", fixture.directory, "--data", data.path])
        }
        let numbers = ((try? JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]) ?? []).compactMap { $0["number"] as? String }
        #expect(Set(applied.filter { $0.call == .filing }.map(\.key)) == Set(numbers))
        #expect(!final.filings.isEmpty, "the workload filed nothing")
        // Every acknowledged notice printed exactly once (those waiting for paper after the restock):
        // one completed job in the ledger, and CUPS's capture backend holds that job's bytes.
        let jobs = (try? JSONSerialization.jsonObject(with: Data(final.jobs.utf8)) as? [[String: Any]]) ?? []
        #expect(!jobs.isEmpty, "no print jobs read: \(final.diagnostics)")
        for number in final.filings.keys {
            let notices = jobs.filter { $0["reference"] as? String == number && $0["template"] as? String == "acceptance" }
            let completed = notices.filter { $0["state"] as? String == "completed" }
            #expect(notices.count == 1 && completed.count == 1, "notice of \(number): jobs \(notices)\n\(final.diagnostics)")
            let captured = completed.compactMap { $0["cupsJobId"] as? Int }.filter { id in
                ["receipt", "ticket"].contains { FileManager.default.fileExists(atPath: cups.outputDirectory(queue: $0) + "/job-\(id).bin") }
            }
            #expect(captured.count == 1, "notice of \(number) not among the bytes CUPS printed: \(completed)")
        }
        let restarts = final.restartSeconds.sorted()
        print("crash points: \(points) (seed \(seed)); operations \(final.operations), cut short \(final.interrupted); "
              + "filings \(numbers.count) (\(final.filings.count) acknowledged of \(final.submitsSent) submitted); "
              + "tickets \(final.tickets.count) acknowledged of \(final.ticketsSent); applied upstream \(applied.count); "
              + "restart to healthy: median \(String(format: "%.2f", restarts[restarts.count / 2])) s, max \(String(format: "%.2f", restarts.last ?? 0)) s")
        try await platform.stop()
    }
}

/// The workload's ledger, shared by the driving thread and the operation cut short.
final class LockedLedger: @unchecked Sendable {
    private let lock = NSLock()
    private var ledger = CrashPointTests.Ledger()
    func update(_ body: (inout CrashPointTests.Ledger) -> Void) { lock.lock(); body(&ledger); lock.unlock() }
    var value: CrashPointTests.Ledger { lock.lock(); defer { lock.unlock() }; return ledger }
}
