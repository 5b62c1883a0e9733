import Foundation
import KioskTestSupport
import Testing

/// The hall display (叫号屏) in a real headless Chromium against a real kioskd in hall mode on a real
/// PostgreSQL: a call through the API shows within a second, and the voice the page asked for is a
/// real Mandarin WAV (espeak-ng's `cmn` voice, the same bytes espeak-ng makes for that sentence, of
/// a plausible length). Never skipped: without chromium the script fails.
@Suite(.serialized) struct HallDisplayTests {
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// Sample rate, channels, bits per sample and the PCM bytes of a RIFF/WAVE file.
    static func pcm(_ data: Data) throws -> (rate: Int, channels: Int, bits: Int, samples: Data) {
        let bytes = [UInt8](data)
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        guard bytes.count > 44, String(decoding: bytes[0..<4], as: UTF8.self) == "RIFF", String(decoding: bytes[8..<12], as: UTF8.self) == "WAVE"
        else { throw TestSupportError("not a RIFF/WAVE file (\(bytes.count) bytes)") }
        var at = 12
        var format: (Int, Int, Int)?
        while at + 8 <= bytes.count {
            let id = String(decoding: bytes[at..<at + 4], as: UTF8.self)
            var size = u32(at + 4)
            if id == "fmt " { format = (u32(at + 12), u16(at + 10), u16(at + 22)) }
            if id == "data", let format {
                // espeak-ng writing to a file it cannot seek leaves the size open (0x7fffffff): take the rest.
                size = min(size, bytes.count - at - 8)
                return (format.0, format.1, format.2, Data(bytes[(at + 8)..<(at + 8 + size)]))
            }
            at += 8 + size + size % 2
        }
        throw TestSupportError("no fmt/data chunk")
    }

    @Test func theDisplayShowsACallWithinASecondAndSpeaksItInMandarin() async throws {
        for (path, package) in [("/usr/bin/chromium", "chromium"), ("/usr/bin/chromedriver", "chromium-driver"),
                                ("/usr/bin/espeak-ng", "espeak-ng")] {
            #expect(FileManager.default.isExecutableFile(atPath: path), "\(path) is missing: apt-get install \(package) (scripts/bootstrap.sh)")
        }
        let postgres = try await Self.offPool { try PrivatePostgres() }
        defer { postgres.stop() }
        let fixture = try await Self.offPool { try HallKiosksTests.fixture(id: "TZ01", url: postgres.url, staff: true) }
        defer { fixture.remove() }
        let kioskd = try await Self.offPool { try HallKiosksTests.start(fixture) }
        let kioskctl = try RepoPaths.binary("kioskctl")
        let assigned = try ChildProcess.run(kioskctl, ["queue", "window", "3", "general", "--config", fixture.directory, "--data", kioskd.data.path])
        #expect(assigned.status == 0, "\(assigned.stderr)")
        for _ in 0..<7 { #expect(HallKiosksTests.post(kioskd.baseURL + "/api/v1/tickets", #"{"category":"general"}"#).status == 201) }
        let token = try HallKiosksTests.login(kioskd.baseURL, "wangfang")
        #expect(HallKiosksTests.post(kioskd.baseURL + "/api/v1/windows/3/open", token: token).status == 200)

        let voice = kioskd.data.file("voice-from-page.wav")
        let screenshot = kioskd.data.file("hall-display.png")
        let arguments = [RepoPaths.scripts + "/hall-display-test.py", "--url", kioskd.baseURL, "--token", token, "--window", "3",
                         "--voice-out", voice, "--screenshot", screenshot]
        let result = try await Self.offPool { try ChildProcess.run("/usr/bin/python3", arguments, timeout: .seconds(300)) }
        #expect(result.status == 0, "the display test failed:\n\(result.stdout.suffix(3000))\n\(result.stderr.suffix(3000))\nkioskd:\n\(kioskd.log.suffix(3000))")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let milliseconds = try #require(lines.first { $0.hasPrefix("CALL_MS=") }.flatMap { Int($0.dropFirst(8)) })
        #expect(milliseconds < 1000, "the display showed the call after \(milliseconds) ms")
        #expect(lines.contains("TICKET=G001") && lines.contains("SHOWN=请G001号到3号窗口办理"))

        // The voice: the sentence as Mandarin says it, synthesised by espeak-ng's cmn voice.
        let url = try #require(lines.first { $0.hasPrefix("VOICE_URL=") }.map { String($0.dropFirst(10)) })
        let text = try #require(URLComponents(string: "http://x" + url)?.queryItems?.first { $0.name == "text" }?.value)
        #expect(text == "请G零零一号到三号窗口办理")
        let wav = try Self.pcm(try Data(contentsOf: URL(fileURLWithPath: voice)))
        #expect(wav.channels == 1 && wav.bits == 16 && wav.rate >= 16_000)
        let seconds = Double(wav.samples.count) / Double(wav.rate * wav.channels * wav.bits / 8)
        // Thirteen syllables at espeak-ng's speed 150 (with its pauses): about 5–6 s here; far off is not that sentence.
        #expect(seconds > 2.5 && seconds < 9, "the call lasts \(seconds) s")
        let samples = wav.samples.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        let rms = (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(samples.count, 1))).squareRoot()
        #expect(rms > 500, "the call is (nearly) silent: RMS \(rms)")
        // The same bytes espeak-ng's Mandarin voice makes for the sentence, and not its English voice's.
        let mandarin = kioskd.data.file("cmn.wav")
        let english = kioskd.data.file("en.wav")
        #expect(try ChildProcess.run("/usr/bin/espeak-ng", ["-v", "cmn", "-s", "150", "-w", mandarin, text]).status == 0)
        #expect(try ChildProcess.run("/usr/bin/espeak-ng", ["-v", "en", "-s", "150", "-w", english, text]).status == 0)
        #expect(try Self.pcm(try Data(contentsOf: URL(fileURLWithPath: mandarin))).samples == wav.samples)
        #expect(try Self.pcm(try Data(contentsOf: URL(fileURLWithPath: english))).samples != wav.samples)
        #expect(try await Self.offPool { try kioskd.terminate() } == 0)
    }
}
