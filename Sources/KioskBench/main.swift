// kiosk-bench: prints the figures the issues set targets for. Run with `make bench` (release build).
import Foundation
import KioskConfig
import Store

extension Duration {
    /// The duration in microseconds, for reporting.
    var microseconds: Double { Double(components.seconds) * 1e6 + Double(components.attoseconds) / 1e12 }
}

/// Runs `body` `iterations` times and returns the durations in microseconds, sorted.
func measure(_ iterations: Int, _ body: () throws -> Void) rethrows -> [Double] {
    var samples: [Double] = []
    samples.reserveCapacity(iterations)
    let clock = ContinuousClock()
    for _ in 0..<iterations {
        let start = clock.now
        try body()
        let d = clock.now - start
        samples.append(d.microseconds)
    }
    return samples.sorted()
}

func report(_ name: String, _ samples: [Double]) {
    let median = samples[samples.count / 2]
    let p99 = samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))]
    print(String(format: "%-46@ median %9.1f µs   p99 %9.1f µs   (n=%d)", name as NSString, median, p99, samples.count))
}

let arguments = CommandLine.arguments
// `kiosk-bench --serve-fake-platform TOKEN`: the upstream group's fake platform in a process of
// its own, so the relay's memory figure is the relay's alone (see UpstreamBench.FakePlatformProcess).
if let index = arguments.firstIndex(of: "--serve-fake-platform") {
    let token = arguments.indices.contains(index + 1) ? arguments[index + 1] : nil
    try await UpstreamBench.serveFakePlatform(expectedToken: token)
    exit(0)
}
let configDirectory = arguments.count > 1 && !arguments[1].hasPrefix("--") ? arguments[1] : "kiosk-config"
/// `--only workflow` runs one group (config, slips, camera, workflow, idcard, upstream, kioskd, api); default all but
/// api (its 10,000 journeys take about half an hour: `make bench-api`).
let only = arguments.firstIndex(of: "--only").flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
/// `--journeys 1000`: how many citizen journeys the api group runs (default 10,000, the figure).
let journeys = arguments.firstIndex(of: "--journeys").flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil } ?? 10_000
func runs(_ group: String) -> Bool { only == nil || only == group }
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kiosk-bench-\(getpid())").path
defer { try? FileManager.default.removeItem(atPath: scratch) }

print("OneWindow benchmarks (\(OneWindowVersion.current)), config \(configDirectory)")
if runs("config") { do {
    _ = try ConfigLoader.load(directory: configDirectory)  // warm-up, and fail early on a bad config
    report("config load + validate (all files)", try measure(50) { _ = try ConfigLoader.load(directory: configDirectory) })

    var n = 0
    report("store open new (create, quick_check, migrate)", try measure(20) {
        n += 1
        _ = try KioskStore.open(directory: "\(scratch)/new-\(n)")
    })
    let existing = "\(scratch)/existing"
    _ = try KioskStore.open(directory: existing)
    report("store open existing (quick_check, migrate)", try measure(50) { _ = try KioskStore.open(directory: existing) })
} catch {
    FileHandle.standardError.write(Data("kiosk-bench: \(error)\n".utf8))
    exit(1)
} }

if runs("slips") { do {
    let profiles = (try? ConfigLoader.load(directory: configDirectory).profilesDirectory) ?? "devices"
    try await SlipBench.run(profilesDirectory: profiles, scratch: scratch)
} catch {
    FileHandle.standardError.write(Data("kiosk-bench: slips: \(error)\n".utf8))
    exit(1)
} }

if runs("camera") { do {
    try await CameraBench.run(configDirectory: configDirectory, scratch: scratch)
} catch {
    FileHandle.standardError.write(Data("kiosk-bench: camera: \(error)\n".utf8))
    exit(1)
} }

if runs("workflow") { do {
    try WorkflowBench.run(configDirectory: configDirectory, scratch: scratch)
} catch {
    FileHandle.standardError.write(Data("kiosk-bench: workflow: \(error)\n".utf8))
    exit(1)
} }

if runs("idcard") { do {
    try await IDCardBench.run()
} catch {
    FileHandle.standardError.write(Data("kiosk-bench: \(error)\n".utf8))
    exit(1)
} }

if runs("upstream") { do {
    let filings = arguments.firstIndex(of: "--filings").flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil } ?? 10_000
    try await UpstreamBench.run(configDirectory: configDirectory, scratch: scratch, filings: max(4, filings))
} catch {
    FileHandle.standardError.write(Data("kiosk-bench: upstream: \(error)\n".utf8))
    try? FileManager.default.removeItem(atPath: scratch)
    exit(1)
} }

// Start to first healthy answer of a real kioskd (same build directory as this binary).
let kioskd = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kioskd").path
if !runs("kioskd") {
    // not asked for
} else if FileManager.default.isExecutableFile(atPath: kioskd) {
    var samples: [Double] = []
    for run in 0..<5 {
        let port = 18_480 + run
        let process = Process()
        process.executableURL = URL(fileURLWithPath: kioskd)
        process.arguments = ["--config", configDirectory, "--listen", "127.0.0.1:\(port)", "--data", "\(scratch)/kioskd-\(run)",
                             "--log-level", "error"]
        process.standardError = FileHandle.nullDevice
        let clock = ContinuousClock()
        let start = clock.now
        try process.run()
        // The first answer that is not 503 "starting" (devices checked: ok, or degraded without a CUPS server).
        let healthy = waitUntilHealthy(port: port)
        let elapsed = clock.now - start
        process.terminate()
        process.waitUntilExit()
        if healthy {
            samples.append(elapsed.microseconds)
        } else {
            print("kioskd did not answer healthy within 10 s (run \(run))")
        }
    }
    if !samples.isEmpty { report("kioskd start → first health answer", samples.sorted()) }
} else {
    print("kioskd not found next to kiosk-bench; skipped the start-up figure")
}

// Issue 6's API figures on a real kioskd: health p99 under wrk, idle RSS, RSS over citizen journeys.
if only == "api" { do {
    if try !APIBench.run(configDirectory: configDirectory, scratch: scratch, kioskd: kioskd, journeys: max(1, journeys)) {
        FileHandle.standardError.write(Data("kiosk-bench: api: some figures are invalid (see above)\n".utf8))
        try? FileManager.default.removeItem(atPath: scratch)
        exit(1)
    }
} catch {
    FileHandle.standardError.write(Data("kiosk-bench: api: \(error)\n".utf8))
    try? FileManager.default.removeItem(atPath: scratch)
    exit(1)
} }
