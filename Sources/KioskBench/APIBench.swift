import Foundation
import PageImaging
import KioskConfig
import Workflow

/// Issue 6's API figures, on a real release kioskd over loopback HTTP:
/// - `GET /api/v1/health` p99 with 64 concurrent connections, measured by wrk (target ≤ 10 ms);
/// - kioskd's idle RSS after start (target ≤ 60 MB);
/// - RSS after 10,000 simulated citizen journeys within 10 % of RSS after 100 journeys.
///
/// kioskd runs on a copy of the configuration whose two printers are `driver: simulated` (with the
/// shipped CUPS bindings and no CUPS server, no printer could print and the kiosk would close the
/// citizen routes for maintenance), with `CUPS_SERVER` at a port where nothing listens.
/// Returns false when a figure is invalid (a failed journey, a failed wrk request, no wrk).
enum APIBench {
    static let port = 18_470
    static let rssTargetMB = 60.0
    static let p99TargetMs = 10.0
    static let growthTargetPercent = 10.0

    static func run(configDirectory: String, scratch: String, kioskd: String, journeys: Int) throws -> Bool {
        let groupClock = ContinuousClock()
        let groupStart = groupClock.now
        var valid = true
        guard FileManager.default.isExecutableFile(atPath: kioskd) else {
            print("kioskd not found next to kiosk-bench; skipped the API figures")
            return false
        }

        // A copy of the configuration with simulated printers, checked before kioskd sees it.
        let root = "\(scratch)/api"
        let copy = try simulatedPrinterCopy(of: configDirectory, into: "\(root)/config")
        let copied = try ConfigLoader.load(directory: copy)
        let printers = copied.settings.devices.filter { $0.kind == .receiptPrinter || $0.kind == .ticketPrinter }
        guard !printers.isEmpty, printers.allSatisfy({ $0.driver == .simulated }) else {
            throw BenchError("the configuration copy still has non-simulated printers: \(printers.map { "\($0.id): \($0.driver.rawValue)" })")
        }
        print("api: kioskd on a copy of \(configDirectory) with printers \(printers.map(\.id).joined(separator: ", ")) simulated, CUPS_SERVER=127.0.0.1:1")

        // kioskd, launched the way the start-up figure launches it.
        let log = "\(root)/kioskd.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: kioskd)
        process.arguments = ["--config", copy, "--listen", "127.0.0.1:\(port)", "--data", "\(root)/data", "--log-level", "warning"]
        var environment = ProcessInfo.processInfo.environment
        environment["CUPS_SERVER"] = "127.0.0.1:1"
        process.environment = environment
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardOutput = FileHandle.nullDevice
        let startClock = ContinuousClock()
        let start = startClock.now
        try process.run()
        defer {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
        func logTail() -> String {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").suffix(15).joined(separator: "\n")
        }
        guard waitUntilHealthy(port: port, alive: { process.isRunning }) else {
            throw BenchError("kioskd on the configuration copy did not answer healthy within 10 s (exit \(process.isRunning ? "none" : "\(process.terminationStatus)")); its log:\n\(logTail())")
        }
        let startMicros = (startClock.now - start).microseconds
        let client = KeepAliveHTTPClient(port: port)
        let health = try client.request("GET", "/api/v1/health")
        guard health.status == 200, let body = health.object, body["maintenance"] as? Bool != true else {
            throw BenchError("kioskd on the configuration copy is not serving citizens: HTTP \(health.status) \(health.text.prefix(400))")
        }
        let notOnline = (body["devices"] as? [[String: Any]] ?? []).compactMap { device -> String? in
            guard let status = device["status"] as? String, status != "online" else { return nil }
            return "\(device["id"] as? String ?? "?") \(status)"
        }
        print(String(format: "%-46@ %.1f ms (health %@%@)", "api kioskd start → first health answer" as NSString,
                     startMicros / 1000, (body["status"] as? String ?? "?") as NSString,
                     (notOnline.isEmpty ? "" : ": " + notOnline.joined(separator: ", ")) as NSString))

        // Idle RSS: a few seconds after the first healthy answer, with no request.
        sleep(3)
        let pid = process.processIdentifier
        let idle = residentKiB(pid: pid)
        verdict("kioskd idle RSS (3 s after healthy)", mb(idle), "≤ \(Int(rssTargetMB)) MB",
                idle.map { Double($0) / 1024 <= rssTargetMB }, note: String(split(pid: pid).dropFirst(2)))
        flush()

        // The citizen journeys, sequential, on one keep-alive connection.
        let runner = JourneyRunner(client: client)
        let item = try runner.chooseItem()
        print("api journeys: item \(item.code) \(item.name) (\(item.caseType)); \(journeys) journeys, sequential, keep-alive")
        flush()
        let checkpoints = Array(Set([100, 1_000, 10_000, journeys].filter { $0 <= journeys })).sorted()
        var rssAt: [Int: Int] = [:]
        let journeyClock = ContinuousClock()
        let journeysStart = journeyClock.now
        var done = 0
        for checkpoint in checkpoints {
            while done < checkpoint {
                runner.journey(index: done, item: item.code)
                done += 1
                if done % 1_000 == 0, done != checkpoint {
                    // Progress on stderr, so a long run shows it is alive.
                    let elapsed = (journeyClock.now - journeysStart).microseconds / 1e6
                    FileHandle.standardError.write(Data(String(format: "kiosk-bench: api: %d/%d journeys, %.1f/s, RSS %@%@, %d failed\n",
                                                               done, journeys, Double(done) / elapsed, mb(residentKiB(pid: pid)),
                                                               split(pid: pid), runner.failedJourneys).utf8))
                }
            }
            let elapsed = (journeyClock.now - journeysStart).microseconds / 1e6
            let rss = residentKiB(pid: pid)
            if let rss { rssAt[checkpoint] = rss }
            print(String(format: "%-46@ %@   (%.1f s, %.1f journeys/s, %d failed%@)",
                         "kioskd RSS after \(grouped(checkpoint)) journeys" as NSString, mb(rss) as NSString,
                         elapsed, Double(done) / elapsed, runner.failedJourneys, split(pid: pid) as NSString))
            print(String(repeating: " ", count: 47) + memoryBreakdown(client))
            flush()
        }
        let journeySeconds = (journeyClock.now - journeysStart).microseconds / 1e6
        let rate = Double(journeys) / journeySeconds
        let journeysValid = runner.failedJourneys == 0
        if !journeysValid { valid = false }
        if !runner.journeySamples.isEmpty { report("api journey (10 steps, ≥12 requests)", runner.journeySamples.sorted()) }
        for step in JourneyRunner.steps {
            if let samples = runner.stepSamples[step], !samples.isEmpty { report("  \(step)", samples.sorted()) }
        }
        print(String(format: "%-46@ %.1f journeys/s (%d in %.1f s, %d requests, %d connection(s))%@",
                     "api journeys rate" as NSString, rate, journeys, journeySeconds, runner.requests, client.connections,
                     (journeysValid ? "" : "   INVALID: journeys failed") as NSString))
        if !runner.slipStates.isEmpty {
            print("  slips: " + runner.slipStates.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        runner.printFailures()

        if let first = rssAt[100], let last = rssAt[journeys], journeys > 100 {
            let growth = Double(last - first) / Double(first) * 100
            let name = "kioskd RSS growth, 100 → \(grouped(journeys)) journeys"
            let value = String(format: "%+.1f %% (%@ → %@)", growth, mb(first), mb(last))
            if !journeysValid {
                verdict(name, value, "within ±\(Int(growthTargetPercent)) %", nil, note: "\(runner.failedJourneys) journeys failed")
            } else {
                verdict(name, value, "within ±\(Int(growthTargetPercent)) %", abs(growth) <= growthTargetPercent,
                        note: journeys == 10_000 ? nil : "the target is for 10,000 journeys")
            }
        } else {
            print("kioskd RSS growth: not measured (needs more than 100 journeys and a readable /proc/\(pid)/status)")
        }
        flush()

        // GET /api/v1/health under wrk, after the journeys so the RSS figures above do not include wrk's connections.
        if let wrk = findExecutable("wrk") {
            let url = "http://127.0.0.1:\(port)/api/v1/health"
            let result = try runWrk(wrk, url: url)
            let command = "wrk -t2 -c64 -d10s --latency \(url)"
            print("api: \(command)")
            if let p99 = result.p99Micros {
                let invalid = result.non2xx > 0 || result.socketErrors != nil
                if invalid { valid = false }
                verdict("GET /api/v1/health p99, 64 connections (wrk)", String(format: "%.2f ms", p99 / 1000),
                        "≤ \(Int(p99TargetMs)) ms", invalid ? nil : p99 / 1000 <= p99TargetMs,
                        note: invalid ? [result.non2xx > 0 ? "\(result.non2xx) non-2xx/3xx responses" : nil,
                                         result.socketErrors.map { "socket errors: \($0)" }].compactMap { $0 }.joined(separator: "; ") : nil)
                print(String(format: "%-46@ %.0f requests/s   (median %@, p90 %@)", "GET /api/v1/health throughput (wrk)" as NSString,
                             result.requestsPerSecond ?? 0, (result.p50 ?? "?") as NSString, (result.p90 ?? "?") as NSString))
                if result.non2xx > 0 {
                    FileHandle.standardError.write(Data("kiosk-bench: api: wrk saw \(result.non2xx) Non-2xx or 3xx responses: the health figure is INVALID\n".utf8))
                }
            } else {
                valid = false
                print("GET /api/v1/health p99: wrk printed no 99% latency line; INVALID. Its output:\n\(result.output)")
            }
            print(String(format: "%-46@ %@", "kioskd RSS after wrk" as NSString, mb(residentKiB(pid: pid)) as NSString))
        } else {
            valid = false
            print("GET /api/v1/health p99: wrk not found on PATH (scripts/bootstrap.sh installs it); NOT MEASURED")
        }

        process.terminate()
        process.waitUntilExit()
        print(String(format: "api group took %.0f s", (groupClock.now - groupStart).microseconds / 1e6))
        flush()
        return valid
    }

    // MARK: figures

    static func verdict(_ name: String, _ value: String, _ target: String, _ pass: Bool?, note: String? = nil) {
        let outcome = pass.map { $0 ? "PASS" : "FAIL" } ?? "INVALID"
        print(String(format: "%-46@ %@   target %@   %@%@", name as NSString, value as NSString, target as NSString,
                     outcome as NSString, (note.map { " (\($0))" } ?? "") as NSString))
    }

    static func mb(_ kib: Int?) -> String {
        guard let kib else { return "? MB" }
        return String(format: "%.1f MB (%d KiB)", Double(kib) / 1024, kib)
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    static func flush() { fflush(nil) }

    /// VmRSS of a process, in KiB.
    static func residentKiB(pid: Int32) -> Int? { statusKiB(pid: pid, "VmRSS") }

    /// A "kB" field of /proc/PID/status (VmRSS, RssAnon, RssFile…).
    static func statusKiB(pid: Int32, _ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    /// How the resident set splits: anonymous memory (heaps, SQLite's page cache) and file pages
    /// (the binary, libraries, mapped files).
    static func split(pid: Int32) -> String {
        guard let anon = statusKiB(pid: pid, "RssAnon"), let file = statusKiB(pid: pid, "RssFile") else { return "" }
        return String(format: "; anon %.1f MB, file %.1f MB", Double(anon) / 1024, Double(file) / 1024)
    }

    /// kioskd's own view of its memory from `/metrics`: malloc in use and held free, SQLite's allocations.
    static func memoryBreakdown(_ client: KeepAliveHTTPClient) -> String {
        guard let text = try? client.request("GET", "/metrics").text else { return "(no /metrics)" }
        func gauge(_ name: String) -> Double? {
            for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
                return Double(line.split(separator: " ").last ?? "")
            }
            return nil
        }
        let parts = [("malloc in use", "kiosk_malloc_in_use_bytes"), ("malloc free", "kiosk_malloc_free_bytes"),
                     ("SQLite", "kiosk_sqlite_memory_bytes")].map { label, name in
            gauge(name).map { String(format: "%@ %.1f MB", label as NSString, $0 / 1_048_576) } ?? "\(label) ?"
        }
        return "(" + parts.joined(separator: ", ") + ")"
    }

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    // MARK: the configuration copy

    /// Copies the configuration directory (and its profiles directory, at the same relative place)
    /// under `root` and turns every receipt and ticket printer binding into `driver: simulated`.
    static func simulatedPrinterCopy(of configDirectory: String, into root: String) throws -> String {
        let source = try ConfigLoader.load(directory: configDirectory)
        let fm = FileManager.default
        let name = URL(fileURLWithPath: configDirectory).standardizedFileURL.lastPathComponent
        let copy = "\(root)/\(name)"
        try? fm.removeItem(atPath: root)
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        try fm.copyItem(atPath: configDirectory, toPath: copy)
        let raw = source.settings.profilesDirectory
        if !raw.hasPrefix("/") {
            let destination = URL(fileURLWithPath: copy).appendingPathComponent(raw).standardizedFileURL.path
            guard destination.hasPrefix(root + "/") else {
                throw BenchError("profilesDirectory '\(raw)' leads out of the copy's directory \(root)")
            }
            if !fm.fileExists(atPath: destination) {
                try fm.createDirectory(atPath: URL(fileURLWithPath: destination).deletingLastPathComponent().path,
                                       withIntermediateDirectories: true)
                try fm.copyItem(atPath: source.profilesDirectory, toPath: destination)
            }
        }
        let settings = "\(copy)/kiosk.yaml"
        let text = try String(contentsOfFile: settings, encoding: .utf8)
        let (edited, changed) = simulatingPrinters(text)
        guard !changed.isEmpty else { throw BenchError("no printer binding found in \(settings)") }
        try edited.write(toFile: settings, atomically: true, encoding: .utf8)
        return copy
    }

    /// The `devices:` list of kiosk.yaml with receipt and ticket printers bound to their simulators
    /// (`driver: simulated`, no `queue:` or `server:`); comments and the other bindings are kept.
    static func simulatingPrinters(_ text: String) -> (String, [Int]) {
        var lines = text.components(separatedBy: "\n")
        guard let list = lines.firstIndex(where: { $0.hasPrefix("devices:") }) else { return (text, []) }
        var end = list + 1
        while end < lines.count {
            let line = lines[end]
            if let first = line.first, first != " ", first != "#", first != "-" { break }
            end += 1
        }
        func key(_ line: String) -> (prefix: Substring, key: Substring)? {
            var body = line.drop { $0 == " " }
            if body.hasPrefix("- ") { body = body.dropFirst(2).drop { $0 == " " } }
            guard let colon = body.firstIndex(of: ":") else { return nil }
            return (line[..<body.startIndex], body[..<colon])
        }
        func value(_ line: String) -> String {
            guard let colon = line.firstIndex(of: ":") else { return "" }
            let rest = line[line.index(after: colon)...]
            return String(rest.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                .trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }
        // The entries: each starts at a line whose first non-blank characters are "- ".
        let starts = (list + 1..<end).filter { lines[$0].drop { $0 == " " }.hasPrefix("- ") }
        var changed: [Int] = []
        var removals: [Int] = []
        for (n, first) in starts.enumerated() {
            let last = n + 1 < starts.count ? starts[n + 1] : end
            let entry = first..<last
            let isPrinter = entry.contains { i in
                key(lines[i])?.key == "kind" && ["receiptPrinter", "ticketPrinter"].contains(value(lines[i]))
            }
            guard isPrinter else { continue }
            changed.append(first)
            for i in entry {
                guard let (prefix, name) = key(lines[i]) else { continue }
                switch name {
                case "driver": lines[i] = String(prefix) + "driver: simulated"
                case "queue", "server": removals.append(i)
                default: break
                }
            }
        }
        for i in removals.sorted(by: >) {
            // A key on the entry's dash line cannot go; only its own lines are removed.
            if lines[i].drop(while: { $0 == " " }).hasPrefix("- ") { continue }
            lines.remove(at: i)
        }
        return (lines.joined(separator: "\n"), changed)
    }

    // MARK: wrk

    struct WrkResult {
        var p99Micros: Double?
        var p50: String?
        var p90: String?
        var requestsPerSecond: Double?
        var non2xx = 0
        var socketErrors: String?
        var output: String
    }

    static func runWrk(_ wrk: String, url: String) throws -> WrkResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrk)
        process.arguments = ["-t2", "-c64", "-d10s", "--latency", url]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return parseWrk(String(decoding: data, as: UTF8.self))
    }

    /// Reads wrk's report: the "Latency Distribution" percentiles (us, ms, s, m, h), Requests/sec,
    /// "Non-2xx or 3xx responses" and "Socket errors".
    static func parseWrk(_ output: String) -> WrkResult {
        var result = WrkResult(output: output)
        var inDistribution = false
        for raw in output.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("Latency Distribution") { inDistribution = true; continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if inDistribution, fields.count == 2, fields[0].hasSuffix("%") {
                switch fields[0] {
                case "50%": result.p50 = String(fields[1])
                case "90%": result.p90 = String(fields[1])
                case "99%": result.p99Micros = micros(String(fields[1]))
                default: break
                }
                continue
            }
            inDistribution = false
            if line.hasPrefix("Requests/sec:"), let last = fields.last { result.requestsPerSecond = Double(last) }
            if line.hasPrefix("Non-2xx or 3xx responses:"), let last = fields.last { result.non2xx = Int(last) ?? 1 }
            if line.hasPrefix("Socket errors:") { result.socketErrors = String(line.dropFirst("Socket errors:".count)).trimmingCharacters(in: .whitespaces) }
        }
        return result
    }

    /// "912.00us", "14.33ms", "1.02s", "1.50m", "2.00h" in microseconds.
    static func micros(_ text: String) -> Double? {
        let units: [(String, Double)] = [("us", 1), ("ms", 1_000), ("s", 1_000_000), ("m", 60_000_000), ("h", 3_600_000_000)]
        for (unit, scale) in units where text.hasSuffix(unit) {
            if let value = Double(text.dropLast(unit.count)) { return value * scale }
        }
        return nil
    }
}

// MARK: - the journeys

/// Runs citizen journeys against kioskd and keeps their timings and failures.
final class JourneyRunner {
    static let steps = ["1 POST /sessions", "2 POST /sim/idcard/place", "3 GET /sessions/{id}/identity (until 200)",
                        "4 POST /sessions/{id}/filings", "5 POST /filings/{id}/materials/{code}/pages (all)",
                        "6 POST /filings/{id}/submit", "7 GET /progress/{token}", "8 POST /evaluations",
                        "9 DELETE /sessions/{id}", "10 POST /sim/idcard/remove"]
    let client: KeepAliveHTTPClient
    var stepSamples: [String: [Double]] = [:]
    var journeySamples: [Double] = []
    var failedJourneys = 0
    var requests = 0
    var slipStates: [String: Int] = [:]
    /// "step: HTTP status (problem)" → count and the first request and answer.
    var failures: [String: (count: Int, example: String)] = [:]
    private let clock = ContinuousClock()
    private static let firstBirthDay = CivilDate(iso: "1950-01-01")!

    init(client: KeepAliveHTTPClient) { self.client = client }

    struct Item { var code: String; var name: String; var caseType: String }

    /// The first kiosk item, preferring one handled at once (即办).
    func chooseItem() throws -> Item {
        let answer = try client.request("GET", "/api/v1/catalog/items")
        guard answer.status == 200, let items = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [[String: Any]] else {
            throw BenchError("GET /api/v1/catalog/items: HTTP \(answer.status) \(answer.text.prefix(300))")
        }
        let kiosk = items.filter { $0["supportsKiosk"] as? Bool == true }
        guard let chosen = kiosk.first(where: { $0["caseType"] as? String == "immediate" }) ?? kiosk.first,
              let code = chosen["code"] as? String else { throw BenchError("no item supports the kiosk") }
        return Item(code: code, name: chosen["name"] as? String ?? "", caseType: chosen["caseType"] as? String ?? "")
    }

    /// A valid GB 11643 number of 滕州市 (370481), birth dates and sequence varying with `index`.
    static func idNumber(_ index: Int) -> String {
        let birth = firstBirthDay.adding(days: index % 20_000).compactDescription
        let sequence = String(format: "%03d", (index / 20_000 + 1) % 1_000)
        let body = "370481" + birth + sequence
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        let check = Array("10X98765432")[sum % 11]
        return body + String(check)
    }

    /// A small real JPEG page, different for every journey, material and page (a comment segment).
    static func page(journey: Int, material: String, page: Int) -> [UInt8] {
        JPEGComment.inserting("OneWindow kiosk-bench journey \(journey) material \(material) page \(page)", into: basePage)
    }

    /// A sharp generated 640×480 page (it passes kioskd's quality check), encoded once.
    static let basePage: [UInt8] = (try? SyntheticPage(width: 640, height: 480, seed: 11).jpeg()) ?? []

    /// One request of a step; nil (and a recorded failure) unless it answered `expect`.
    private func call(_ step: String, _ method: String, _ path: String, json: String? = nil, bytes: [UInt8]? = nil,
                      contentType: String? = nil, expect: Int) -> HTTPAnswer? {
        requests += 1
        let body = bytes ?? json.map { Array($0.utf8) } ?? []
        let type = contentType ?? (json != nil ? "application/json" : nil)
        let sent = "\(method) \(path)" + (json.map { " \($0)" } ?? bytes.map { " <\($0.count) bytes \(type ?? "")>" } ?? "")
        do {
            let answer = try client.request(method, path, body: body, contentType: type)
            if answer.status == expect { return answer }
            record(step, "HTTP \(answer.status)" + (answer.problemCode.map { " \($0)" } ?? ""),
                   "\(sent) → \(answer.status) \(answer.text.prefix(400))")
        } catch {
            client.disconnect()
            record(step, "transport error", "\(sent) → \(error)")
        }
        return nil
    }

    private func record(_ step: String, _ what: String, _ example: String) {
        let key = "\(step): \(what)"
        if let known = failures[key] { failures[key] = (known.count + 1, known.example) } else { failures[key] = (1, example) }
    }

    private func timed<T>(_ step: String, _ body: () -> T?) -> T? {
        let start = clock.now
        let result = body()
        if result != nil { stepSamples[step, default: []].append((clock.now - start).microseconds) }
        return result
    }

    func journey(index: Int, item: String) {
        let start = clock.now
        let s = Self.steps
        var sessionID: String?
        var placed = false
        let ok: Bool = {
            guard let session = timed(s[0], { call(s[0], "POST", "/api/v1/sessions", expect: 201)?.object?["id"] as? String }) else {
                return false
            }
            sessionID = session
            guard timed(s[1], {
                call(s[1], "POST", "/api/v1/sim/idcard/place", json: "{\"name\":\"张三\",\"idNumber\":\"\(Self.idNumber(index))\"}", expect: 202)
            }) != nil else { return false }
            placed = true
            let identity: Bool? = timed(s[2]) {
                let deadline = clock.now + .seconds(2)
                while clock.now < deadline {
                    requests += 1
                    guard let answer = try? client.request("GET", "/api/v1/sessions/\(session)/identity") else {
                        client.disconnect()
                        record(s[2], "transport error", "GET /api/v1/sessions/\(session)/identity")
                        return nil
                    }
                    if answer.status == 200 {
                        // The masked number (first 4 and last 4 digits) must be this journey's card.
                        let shown = answer.object?["idNumber"] as? String ?? ""
                        let placed = Self.idNumber(index)
                        guard shown.prefix(4) == placed.prefix(4), shown.suffix(4) == placed.suffix(4) else {
                            record(s[2], "another card's identity", "GET /api/v1/sessions/\(session)/identity → 200 \(answer.text.prefix(300)) (placed \(placed))")
                            return nil
                        }
                        return true
                    }
                    guard answer.status == 404, answer.problemCode == "no-card" else {
                        record(s[2], "HTTP \(answer.status)" + (answer.problemCode.map { " \($0)" } ?? ""),
                               "GET /api/v1/sessions/\(session)/identity → \(answer.status) \(answer.text.prefix(400))")
                        return nil
                    }
                    usleep(2_000)
                }
                record(s[2], "no identity within 2 s", "GET /api/v1/sessions/\(session)/identity → 404 no-card for 2 s after the card was placed")
                return nil
            }
            guard identity != nil else { return false }
            guard let draft = timed(s[3], { call(s[3], "POST", "/api/v1/sessions/\(session)/filings", json: "{\"itemCode\":\"\(item)\"}", expect: 201)?.object }),
                  let draftID = draft["id"] as? String, let materials = draft["materials"] as? [[String: Any]] else { return false }
            let uploaded: Bool? = timed(s[4]) {
                for material in materials where material["need"] as? String == "required" && material["held"] == nil {
                    guard let code = material["code"] as? String else { return nil }
                    for p in 0..<max(1, material["pagesExpected"] as? Int ?? 1) {
                        guard call(s[4], "POST", "/api/v1/filings/\(draftID)/materials/\(code)/pages",
                                   bytes: Self.page(journey: index, material: code, page: p), contentType: "image/jpeg", expect: 201) != nil
                        else { return nil }
                    }
                }
                return true
            }
            guard uploaded != nil else { return false }
            let submitted: [String: Any]? = timed(s[5]) {
                requests += 1
                let path = "/api/v1/filings/\(draftID)/submit"
                guard let first = try? client.request("POST", path, body: Array("{}".utf8), contentType: "application/json") else {
                    client.disconnect()
                    record(s[5], "transport error", "POST \(path) {}")
                    return nil
                }
                if first.status == 201 { return first.object }
                if first.status == 422, first.problemCode == "commitment-required" {
                    return call(s[5], "POST", path, json: "{\"commitmentSigned\":true}", expect: 201)?.object
                }
                record(s[5], "HTTP \(first.status)" + (first.problemCode.map { " \($0)" } ?? ""), "POST \(path) {} → \(first.status) \(first.text.prefix(400))")
                return nil
            }
            guard let filing = submitted, let number = filing["number"] as? String, let url = filing["progressUrl"] as? String,
                  let token = url.split(separator: "/").last else {
                if submitted != nil { record(s[5], "answer without number or progressUrl", "") }
                return false
            }
            if let slip = filing["slip"] as? [String: Any], let state = slip["state"] as? String { slipStates[state, default: 0] += 1 }
            guard timed(s[6], { call(s[6], "GET", "/api/v1/progress/\(token)", expect: 200) }) != nil else { return false }
            guard timed(s[7], { call(s[7], "POST", "/api/v1/evaluations", json: "{\"filingNumber\":\"\(number)\",\"level\":5,\"sessionId\":\"\(session)\"}", expect: 201) }) != nil
            else { return false }
            guard timed(s[8], { call(s[8], "DELETE", "/api/v1/sessions/\(session)", expect: 204) }) != nil else { return false }
            sessionID = nil
            // The citizen lifts the card: the simulated reader reads a card once per placement, so
            // the next journey's card is only read after this one left the reader.
            guard timed(s[9], { call(s[9], "POST", "/api/v1/sim/idcard/remove", expect: 202) }) != nil else { return false }
            placed = false
            return true
        }()
        if ok {
            journeySamples.append((clock.now - start).microseconds)
        } else {
            failedJourneys += 1
            // Leave the kiosk ready for the next journey.
            if let sessionID { _ = try? client.request("DELETE", "/api/v1/sessions/\(sessionID)") }
            if placed { _ = try? client.request("POST", "/api/v1/sim/idcard/remove") }
        }
    }

    func printFailures() {
        guard !failures.isEmpty else { return }
        print("api journey failures (\(failedJourneys) journeys failed; the journey figures are INVALID):")
        for (key, value) in failures.sorted(by: { $0.key < $1.key }) {
            print("  \(value.count) × \(key)")
            if !value.example.isEmpty { print("      e.g. \(value.example)") }
        }
    }
}

// MARK: - a keep-alive HTTP/1.1 client

struct HTTPAnswer {
    var status: Int
    /// Lower-cased names.
    var headers: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    var object: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    /// A problem+json answer's code: `code`, else the last segment of `type`.
    var problemCode: String? {
        guard let object else { return nil }
        if let code = object["code"] as? String { return code }
        return (object["type"] as? String).flatMap { $0.split(separator: "/").last.map(String.init) }
    }
}

struct HTTPClientError: Error, CustomStringConvertible {
    var description: String
    /// The connection closed before any byte of the answer: a reused keep-alive connection the
    /// server had already closed, safe to send again on a new one.
    var closedBeforeAnswer = false
}

/// A blocking HTTP/1.1 client on one loopback keep-alive connection (reconnects when the server
/// closes it), with Content-Length and chunked bodies. Not for concurrent use.
final class KeepAliveHTTPClient {
    let port: Int
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []
    private(set) var connections = 0

    init(port: Int) { self.port = port }
    deinit { disconnect() }

    /// Closes the connection (what was read of the answer stays in `buffer`).
    func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    func request(_ method: String, _ path: String, body: [UInt8] = [], contentType: String? = nil) throws -> HTTPAnswer {
        let reused = fd >= 0
        do {
            return try exchange(method, path, body: body, contentType: contentType)
        } catch let error as HTTPClientError where reused && error.closedBeforeAnswer {
            disconnect()
            return try exchange(method, path, body: body, contentType: contentType)
        }
    }

    private func connectIfNeeded() throws {
        guard fd < 0 else { return }
        guard let s = connectLoopback(port: port) else {
            throw HTTPClientError(description: "connect 127.0.0.1:\(port): errno \(errno)")
        }
        var one: Int32 = 1
        setsockopt(s, Int32(IPPROTO_TCP), 1 /* TCP_NODELAY */, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        fd = s
        connections += 1
    }

    private func exchange(_ method: String, _ path: String, body: [UInt8], contentType: String?) throws -> HTTPAnswer {
        try connectIfNeeded()
        buffer.removeAll(keepingCapacity: true)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let message = Array(head.utf8) + body
        var sent = 0
        while sent < message.count {
            let n = message[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                let code = errno
                disconnect()
                throw HTTPClientError(description: "send: errno \(code)", closedBeforeAnswer: code == EPIPE || code == ECONNRESET)
            }
            sent += n
        }

        // Status line and headers.
        var headEnd: Int
        while true {
            if let end = find([13, 10, 13, 10], from: 0) { headEnd = end; break }
            try fill()
        }
        let headText = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            disconnect()
            throw HTTPClientError(description: "bad status line '\(statusLine)'")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var position = headEnd + 4

        // Body.
        var answerBody: [UInt8] = []
        if method == "HEAD" || status == 204 || status == 304 || (100..<200).contains(status) {
            // none
        } else if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            while true {
                var lineEnd: Int
                while true {
                    if let end = find([13, 10], from: position) { lineEnd = end; break }
                    try fill()
                }
                let sizeText = String(decoding: buffer[position..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                    disconnect()
                    throw HTTPClientError(description: "bad chunk size '\(sizeText)'")
                }
                position = lineEnd + 2
                if size == 0 {
                    // Trailers, up to an empty line.
                    while true {
                        var end: Int
                        while true {
                            if let e = find([13, 10], from: position) { end = e; break }
                            try fill()
                        }
                        let empty = end == position
                        position = end + 2
                        if empty { break }
                    }
                    break
                }
                while buffer.count < position + size + 2 { try fill() }
                answerBody += buffer[position..<position + size]
                position += size + 2
            }
        } else if let length = headers["content-length"].flatMap({ Int($0) }) {
            while buffer.count < position + length { try fill() }
            answerBody = Array(buffer[position..<position + length])
            position += length
        } else {
            // Delimited by the end of the connection.
            while (try? fill()) != nil {}
            answerBody = Array(buffer[position...])
            disconnect()
        }
        if headers["connection"]?.lowercased() == "close" { disconnect() }
        return HTTPAnswer(status: status, headers: headers, body: answerBody)
    }

    /// Reads more bytes into `buffer`; throws when the connection ends or times out.
    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 {
            let code = errno
            let nothingYet = buffer.isEmpty
            disconnect()
            throw HTTPClientError(description: n == 0 ? "connection closed by kioskd" : "recv: errno \(code)",
                                  closedBeforeAnswer: nothingYet && (n == 0 || code == ECONNRESET))
        }
        buffer += chunk[0..<n]
    }

    private func find(_ pattern: [UInt8], from start: Int) -> Int? {
        guard buffer.count >= pattern.count, start <= buffer.count - pattern.count else { return nil }
        var i = start
        while i <= buffer.count - pattern.count {
            if buffer[i] == pattern[0] {
                var match = true
                for j in 1..<pattern.count where buffer[i + j] != pattern[j] { match = false; break }
                if match { return i }
            }
            i += 1
        }
        return nil
    }
}
