import FakePlatform
import Foundation
import KioskTestSupport
import Testing

/// The outbox against a real `kioskd` and a fake platform on loopback: the citizen's filing is
/// accepted and printed while the platform is down (health `degraded`, `offline`), then kioskd is
/// killed with SIGKILL while the platform has applied the filing but not answered, and after the
/// restart every row reaches the platform exactly once. The bearer token never reaches the log.
@Suite(.serialized) struct UpstreamEndToEndTests {
    static let item = "11370481004396815B3707104001000001"
    static let token = "e2e-upstream-token-8c1f4d2a9b"

    /// The shipped configuration with simulated printers (or CUPS queues, for a private cupsd)
    /// and the HTTP platform at `endpoint`.
    static func fixture(endpoint: String, simulatedPrinters: Bool = true) throws -> ConfigFixture {
        let fixture = try ConfigFixture()
        if simulatedPrinters { try fixture.bindPrintersToSimulator() }
        var kiosk = try fixture.read("kiosk.yaml").replacingOccurrences(of: "  platform: simulated ", with: "  platform: http ")
        kiosk = try #require(kiosk.replacingFirstLine(startingWith: "  endpoint: ", with: "  endpoint: \(endpoint)"))
        kiosk = try #require(kiosk.replacingFirstLine(startingWith: "  tokenFile: ", with: "  tokenEnvironmentVariable: ONEWINDOW_E2E_TOKEN"))
        kiosk = try #require(kiosk.replacingFirstLine(startingWith: "  timeoutSeconds: ", with: "  timeoutSeconds: 30"))
        try fixture.write("kiosk.yaml", kiosk)
        return fixture
    }

    /// session → card → filing → every required page → submit; returns the submit answer.
    static func file(_ base: String) throws -> [String: Any] {
        let session = try #require(try HTTP.json("POST", base + "/api/v1/sessions", expect: 201)["id"] as? String)
        _ = try HTTP.json("POST", base + "/api/v1/sim/idcard/place",
                          #"{"name":"李四","idNumber":"440524188001010014","sex":"male","birthDate":"1880-01-01"}"#, expect: 202)
        for _ in 0..<100 where HTTP.request("GET", base + "/api/v1/sessions/\(session)/identity")?.status != 200 { usleep(20_000) }
        let draft = try HTTP.json("POST", base + "/api/v1/sessions/\(session)/filings", #"{"itemCode":"\#(item)"}"#, expect: 201)
        let draftID = try #require(draft["id"] as? String)
        for material in try #require(draft["materials"] as? [[String: Any]]) where material["need"] as? String == "required" && material["held"] == nil {
            let code = try #require(material["code"] as? String)
            for page in 0..<(material["pagesExpected"] as? Int ?? 1) {
                let jpeg = Data(TestPages.jpeg("\(code) page \(page) upstream"))
                let answer = try #require(HTTP.request("POST", base + "/api/v1/filings/\(draftID)/materials/\(code)/pages",
                                                       headers: ["Content-Type": "image/jpeg"], body: jpeg))
                #expect(answer.status == 201)
            }
        }
        return try HTTP.json("POST", base + "/api/v1/filings/\(draftID)/submit", "{}", expect: 201)
    }

    static func upstream(_ kioskd: KioskdProcess) throws -> (status: String, upstream: [String: Any]) {
        let answer = try #require(kioskd.get("/api/v1/health"))
        let health = try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
        return (health["status"] as? String ?? "", health["upstream"] as? [String: Any] ?? [:])
    }

    static func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () throws -> Bool) throws {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < timeout {
            if try condition() { return }
            usleep(50_000)
        }
        throw TestSupportError("timed out waiting for \(what)")
    }

    @Test func offlineThenKilledMidSendThenEveryRowArrivesOnce() async throws {
        let platform = try await FakePlatform.start(expectedToken: Self.token)
        let fixture = try Self.fixture(endpoint: platform.baseURL)
        let data = try TemporaryDirectory("upstream-e2e")
        defer { fixture.remove(); data.remove() }
        let environment = ["ONEWINDOW_E2E_TOKEN": Self.token]

        // The platform is down: the filing is accepted and its notice printed all the same.
        platform.setStanding(.status(503))
        var kioskd = try KioskdProcess(config: fixture.directory, environment: environment, dataDirectory: data)
        try kioskd.waitFor("/api/v1/health", status: 200)
        let submitted = try Self.file(kioskd.baseURL)
        let number = try #require(submitted["number"] as? String)
        #expect((submitted["slip"] as? [String: Any])?["state"] as? String == "completed")
        try Self.waitUntil("health to report the platform offline") {
            let (status, upstream) = try Self.upstream(kioskd)
            return status == "degraded" && upstream["state"] as? String == "offline" && (upstream["depth"] as? Int ?? 0) >= 4
        }
        let offline = try Self.upstream(kioskd).upstream
        #expect(offline["platform"] as? String == "http")
        #expect((offline["oldestAgeSeconds"] as? Double).map { $0 >= 0 } == true)
        #expect(platform.applied.isEmpty)

        // It comes back, applies the filing and never answers; kioskd dies mid-send.
        platform.queue([.applyThenHang], for: .filing)
        platform.setStanding(.none)
        let kioskctl = try RepoPaths.binary("kioskctl")
        let retry = try ChildProcess.run(kioskctl, ["outbox", "retry", "--all", "--config", fixture.directory, "--data", data.path])
        #expect(retry.status == 0, "\(retry.stderr)")
        try Self.waitUntil("the platform to apply the filing") { platform.applied.contains { $0.call == .filing && $0.key == number } }
        let firstLog = kioskd.log
        kioskd.crash()

        // Restarted on the same store: the filing is sent again with the same key, and the
        // platform answers its first result; nothing is applied twice.
        kioskd = try KioskdProcess(config: fixture.directory, environment: environment, dataDirectory: data)
        try kioskd.waitFor("/api/v1/health", status: 200)
        try Self.waitUntil("the outbox to drain") {
            let (status, upstream) = try Self.upstream(kioskd)
            return status == "ok" && upstream["depth"] as? Int == 0 && upstream["state"] as? String == "ok"
        }
        let applied = platform.applied
        let keys = applied.map { "\($0.call.rawValue):\($0.key)" }
        #expect(keys.count == Set(keys).count, "applied twice: \(keys)")
        #expect(applied.filter { $0.call == .filing }.map(\.key) == [number])
        #expect(applied.filter { $0.call == .page }.count >= 4)
        let filingPosts = platform.received.filter { $0.method == "POST" && $0.path == "/v1/filings" }
        // While the platform was down only the first page was tried (the filing waits behind its
        // pages); then the post whose reply was lost, and its replay after the restart.
        #expect(filingPosts.count == 2)
        #expect(platform.received.filter { $0.method == "PUT" }.count > applied.filter { $0.call == .page }.count)
        #expect(Set(filingPosts.map(\.idempotencyKey)) == [number])
        #expect(filingPosts.allSatisfy { $0.authorization == "Bearer \(Self.token)" })
        // Pages went before their filing.
        let firstFiling = try #require(keys.firstIndex(of: "filing:\(number)"))
        #expect(keys.prefix(firstFiling).allSatisfy { $0.hasPrefix("page:") })

        let outbox = try ChildProcess.run(kioskctl, ["outbox", "--json", "--config", fixture.directory, "--data", data.path])
        #expect(outbox.status == 0)
        #expect(outbox.stdout.contains("\"depth\" : 0") || outbox.stdout.contains("\"depth\":0"), "\(outbox.stdout)")
        _ = try kioskd.terminate()
        for log in [firstLog, kioskd.log] {
            #expect(!log.contains(Self.token), "the bearer token reached kioskd's log")
            #expect(!log.contains("440524188001010014"), "a full ID number reached kioskd's log")
        }
        try await platform.stop()
    }
}

extension String {
    /// The text with the first line that starts with `prefix` replaced whole, or nil if none does.
    func replacingFirstLine(startingWith prefix: String, with line: String) -> String? {
        var lines = components(separatedBy: "\n")
        guard let index = lines.firstIndex(where: { $0.hasPrefix(prefix) }) else { return nil }
        lines[index] = line
        return lines.joined(separator: "\n")
    }
}
