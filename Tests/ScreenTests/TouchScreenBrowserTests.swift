import Foundation
import KioskTestSupport
import Slips
import Testing

/// The citizen's touch screen in a real headless Chromium (Debian's chromium and chromium-driver,
/// driven by `scripts/screen-test.py` with Debian's python3-selenium) against a real kioskd with
/// simulated reader, camera and pad and a private real cupsd: the whole journey by tapping down to
/// the printed slip (whose QR, decoded from the bytes CUPS received, must be the progress URL the
/// screen showed), a bundle, a 容缺 submission with the commitment, the inactivity timeout's wipe, a
/// second card, both printers out of paper, kioskd killed and restarted, the 适老化 sizes and
/// contrast measured on the rendered page, and no unexpected console error. Never skipped: without
/// chromium the script fails.
@Suite(.serialized) struct TouchScreenBrowserTests {
    static let staffPIN = "24680"

    /// Runs blocking work on a dedicated thread and awaits it.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    @Test func theWholeScreenInARealChromium() async throws {
        for (path, package) in [("/usr/bin/chromium", "chromium"), ("/usr/bin/chromedriver", "chromium-driver"),
                                ("/usr/bin/python3", "python3")] {
            #expect(FileManager.default.isExecutableFile(atPath: path), "\(path) is missing: apt-get install \(package) (scripts/bootstrap.sh)")
        }
        let cups = try PrivateCUPS(queues: ["receipt", "ticket"])
        defer { cups.stop() }
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        // A short inactivity timeout, so the timeout scenario runs in well under a minute.
        try fixture.replaceFirst("  inactivityTimeoutSeconds: 120", with: "  inactivityTimeoutSeconds: 30", in: "kiosk.yaml")
        try fixture.replaceFirst("  warningSeconds: 15", with: "  warningSeconds: 10", in: "kiosk.yaml")
        let set = try ChildProcess.run(try RepoPaths.binary("kioskctl"),
                                       ["staff", "set-pin", "liming", "--role", "staff", "--config", fixture.directory, "--pin-stdin"],
                                       input: Data((Self.staffPIN + "\n").utf8))
        #expect(set.status == 0, "kioskctl staff set-pin: \(set.stderr)")
        let environment = ["CUPS_SERVER": cups.server]
        let kioskd = try KioskdProcess(config: fixture.directory, environment: environment)
        try kioskd.waitFor("/api/v1/health", status: 200) { String(decoding: $0, as: UTF8.self).contains("\"status\":\"ok\"") }

        // The script kills kioskd mid-session and starts it again on the same port and data.
        let command = try JSONSerialization.data(withJSONObject: [
            "executable": try RepoPaths.binary("kioskd"), "arguments": kioskd.process.arguments ?? [], "environment": environment,
        ])
        let screenshots = ProcessInfo.processInfo.environment["ONEWINDOW_SCREENSHOTS"] ?? kioskd.data.path + "/screens"
        let arguments = [
            RepoPaths.scripts + "/screen-test.py", "--url", kioskd.baseURL, "--screenshots", screenshots,
            "--staff-account", "liming", "--staff-pin", Self.staffPIN, "--kioskd-pid", String(kioskd.process.processIdentifier),
            "--kioskd-command", String(decoding: command, as: UTF8.self),
        ]
        // Minutes of waiting on the browser run: on a thread of its own, not one of the few threads
        // of the concurrency pool that the other suites' async tests run on meanwhile.
        let result = try await Self.offPool { try ChildProcess.run("/usr/bin/python3", arguments, timeout: .seconds(900)) }
        let output = result.stdout
        #expect(result.status == 0, "the browser test failed:\n\(output.suffix(6000))\n\(result.stderr.suffix(3000))\nkioskd:\n\(kioskd.log.suffix(3000))")
        for scenario in ["attract", "journey", "bundle", "deferral", "supplement", "agent", "agent-card", "green-channel", "second-card", "timeout",
                         "maintenance", "restart"] {
            #expect(output.contains("PASS \(scenario)\n"), "scenario \(scenario) did not pass")
        }

        // The slip CUPS printed for the journey carries the progress URL the screen showed, as a QR.
        let lines = output.split(separator: "\n").map(String.init)
        let number = try #require(lines.first { $0.hasPrefix("FILING=") }.map { String($0.dropFirst(7)) })
        let url = try #require(lines.first { $0.hasPrefix("PROGRESS_URL=") }.map { String($0.dropFirst(13)) })
        let slip = try #require(try cups.jobs(queue: "receipt").first { String(decoding: $0, as: UTF8.self).contains(number) },
                                "no receipt job carries \(number)")
        let reader = try EscPosReader([UInt8](slip))
        let payloads = try reader.images.flatMap { try QRDecoder.decode(imageBytes: $0.pbm) } + reader.nativeQRPayloads
        #expect(payloads.contains(url), "the slip's QR codes \(payloads) do not include the screen's \(url)")
        #expect(url.contains("/p/"))
        // The voice prompts the page played were spoken by espeak-ng and cached per text.
        let voices = (try? FileManager.default.contentsOfDirectory(atPath: kioskd.data.path + "/voice")) ?? []
        #expect(voices.filter { $0.hasSuffix(".wav") }.count >= 3, "cached prompts: \(voices)")
    }
}
