import FakePlatform
import Foundation
@_spi(StoreTesting) import Store
import FrontDesk
import KioskConfig
import KioskTestSupport
import Logging
import Testing
import Upstream
import Workflow

@Suite struct PlatformAdapterTests {
    @Test func theTokenNeverReachesALogLineAnErrorOrADescription() async throws {
        try await RelayRig.run { rig in
            let number = try await rig.file(1)
            // Failures of every kind, a refusal, then success: each is logged (at trace level here).
            rig.platform.queue([.status(500), .reset, .hang], for: .page)
            rig.platform.queue([.reject(status: 400, reason: "bad request, token \(RelayRig.token) echoed back")], for: .filing)
            try await rig.drain()
            #expect(try rig.allRows().contains { $0.state == "rejected" })
            let report = try await rig.ledger.report(now: rig.clock.now())
            #expect(report.rejections.first?.reason.contains("[redacted]") == true)
            let logs = rig.logs.all
            #expect(logs.count >= 5)
            #expect(logs.contains { $0.contains("rejected") })
            #expect(!logs.contains { $0.contains(RelayRig.token) })
            let stored = try await rig.store.pool.read { db in try String.fetchAll(db, sql: "SELECT COALESCE(lastError, '') FROM outbox") }
            #expect(!stored.contains { $0.contains(RelayRig.token) })
            // It was sent, though: the platform saw it in the Authorization header.
            #expect(rig.platform.received.contains { $0.authorization == "Bearer \(RelayRig.token)" })

            let token = BearerToken(RelayRig.token)
            var dumped = ""
            dump(token, to: &dumped)
            for text in ["\(token)", String(reflecting: token), dumped, "\(rig.adapter)", String(reflecting: rig.adapter)] {
                #expect(!text.contains(RelayRig.token), "\(text)")
            }
            _ = number
        }
    }

    @Test func theTokenIsReadFromItsFileOrEnvironmentVariableAndErrorsDoNotShowIt() throws {
        let directory = try TemporaryDirectory("token")
        defer { directory.remove() }
        try "  s3cr3t-file-token\n".write(toFile: directory.file("token"), atomically: true, encoding: .utf8)
        let fromFile = try BearerToken.load(file: directory.file("token"), environmentVariable: nil)
        #expect("\(fromFile)" == "BearerToken(redacted)")
        let fromEnv = try BearerToken.load(file: nil, environmentVariable: "PLATFORM_TOKEN", environment: ["PLATFORM_TOKEN": "env-token"])
        #expect(!"\(fromEnv)".contains("env-token"))
        #expect(throws: UpstreamSetupError.self) { try BearerToken.load(file: directory.file("absent"), environmentVariable: nil) }
        #expect(throws: UpstreamSetupError.self) { try BearerToken.load(file: nil, environmentVariable: "UNSET_VAR", environment: [:]) }
        try "two tokens\nhere".write(toFile: directory.file("bad"), atomically: true, encoding: .utf8)
        do {
            _ = try BearerToken.load(file: directory.file("bad"), environmentVariable: nil)
            Issue.record("two tokens accepted")
        } catch {
            #expect(!error.description.contains("two tokens"))
        }
    }

    @Test func statusesAreTransientOrPermanentAsTheSpecSays() {
        for status in [500, 502, 503, 504, 408, 409, 429] { #expect(PlatformError.isTransient(status: status), "\(status)") }
        for status in [400, 401, 403, 404, 410, 413, 422] { #expect(!PlatformError.isTransient(status: status), "\(status)") }
        let problem = PlatformError.answer(status: 422, body: Array(#"{"type":"x","title":"材料不符","detail":"缺少出生医学证明"}"#.utf8))
        #expect(problem.isPermanent)
        #expect(problem.reason == "材料不符: 缺少出生医学证明")
        #expect(PlatformError.answer(status: 400, body: Array(#"{"error":"number malformed"}"#.utf8)).reason == "number malformed")
        #expect(PlatformError.answer(status: 400, body: Array(#"{"error":{"code":7,"message":"nested"}}"#.utf8)).reason == "nested")
        #expect(PlatformError.answer(status: 503, body: []).kind == .transient)
        let long = PlatformError.answer(status: 400, body: Array(("<html>" + String(repeating: "很长的原因\n", count: 400)).utf8))
        #expect(long.reason.count == PlatformError.maximumReasonLength)
        #expect(long.reason.hasSuffix("…"))
        #expect(!long.reason.contains("\n"))
    }

    @Test func theHTTPAdapterReadsStatusAndMapsAnUnknownFilingToPermanent() async throws {
        try await RelayRig.run { rig in
            let number = try await rig.file(1)
            try await rig.drain()
            let status = try await rig.adapter.filingStatus(number: number)
            #expect(status.number == number)
            #expect(status.caseId?.hasPrefix("CASE-") == true)
            #expect(status.history.first?.status == "received")
            do {
                _ = try await rig.adapter.filingStatus(number: "370481-TZ01-20261123-99999")
                Issue.record("an unknown filing had a status")
            } catch let error as PlatformError {
                #expect(error.isPermanent)
                #expect(error.status == 404)
            }
        }
    }

    @Test func aConnectionRefusedIsTransient() async throws {
        // A port nothing listens on: bind the fake, note its port, stop it.
        let platform = try await FakePlatform.start()
        let url = platform.baseURL
        try await platform.stop()
        let adapter = HTTPPlatformAdapter(endpoint: url, token: BearerToken("t"), timeoutSeconds: 1, logger: Logger(label: "test"))
        do {
            try await adapter.putPage(sha256: String(repeating: "a", count: 64), bytes: [1])
            Issue.record("sent to nobody")
        } catch {
            #expect(error.kind == .transient)
        }
        await adapter.shutdown()
    }

    @Test func theSimulatedPlatformAcceptsEverythingAndMovesStatusesOn() async throws {
        try await RelayRig.run { rig in
            let simulated = SimulatedPlatform(now: { Date(timeIntervalSince1970: 0) })
            let relay = OutboxRelay(store: rig.store, platform: simulated, pages: rig.pages, options: .init(kioskID: "TZ01"), clock: rig.clock)
            let number = try await rig.file(1)
            _ = try await rig.desk.rate(.filing(number), level: 5)
            let pass = await relay.runOnce()
            #expect(pass.delivered == 6)
            let counts = await simulated.counts
            #expect(counts.pages == 4 && counts.filings == 1 && counts.evaluations == 1)
            #expect(try rig.allRows().first { $0.kind == "filing" }?.platformRef == "SIM-000001")
            #expect(try await simulated.filingStatus(number: number).status == "inProgress")
            #expect(try await simulated.filingStatus(number: number).status == "concluded.approved")
            #expect(try await simulated.postFiling(.sample(number: number)).caseId == "SIM-000001")   // a replay: the first result
            #expect(rig.platform.received.isEmpty)
        }
    }

    @Test func theSimulatedPlatformRemembersOnlyItsLastFilingsAndPages() async throws {
        let simulated = SimulatedPlatform(capacity: 3)
        for n in 1...5 {
            _ = try await simulated.postFiling(.sample(number: "F\(n)"))
            try await simulated.putPage(sha256: "P\(n)", bytes: [])
            try await simulated.putPage(sha256: "P\(n)", bytes: [])     // again: counted once
        }
        let counts = await simulated.counts
        #expect(counts.filings == 5 && counts.pages == 5)
        await #expect(throws: PlatformError.self) { _ = try await simulated.filingStatus(number: "F1") }   // forgotten
        #expect(try await simulated.filingStatus(number: "F5").caseId == "SIM-000005")
        #expect(try await simulated.postFiling(.sample(number: "F3")).caseId == "SIM-000003")     // still remembered
    }

    @Test func theShippedConfigurationUsesTheSimulatedPlatform() throws {
        let configuration = try ConfigLoader.load(directory: RepoPaths.defaultConfig)
        let upstream = configuration.settings.upstream
        #expect(upstream.effectivePlatform == .simulated)
        #expect(upstream.concurrency == 4)
        #expect(PlatformConnection.policy(for: upstream) == RetryPolicy())
        #expect(try PlatformConnection.adapter(for: upstream, logger: Logger(label: "test")) is SimulatedPlatform)
    }

    @Test func upstreamSettingsAreValidatedWithTheirLines() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        let platformLine = try fixture.replaceFirst("  platform: simulated", with: "  platform: http", in: "kiosk.yaml")
        _ = try fixture.replaceFirst("  tokenFile: /etc/onewindow/upstream.token", with: "  tokenEnvironmentVariable: bad-name", in: "kiosk.yaml")
        let concurrencyLine = try fixture.replaceFirst("  concurrency: 4", with: "  concurrency: 0", in: "kiosk.yaml")
        let stuckLine = try fixture.replaceFirst("  stuckAfterAttempts: 10", with: "  stuckAfterAttempts: 0", in: "kiosk.yaml")
        let minutesLine = try fixture.replaceFirst("  stuckRetryMinutes: 30", with: "  stuckRetryMinutes: 5000", in: "kiosk.yaml")
        do {
            _ = try ConfigLoader.load(directory: fixture.directory)
            Issue.record("the broken configuration loaded")
        } catch {
            let lines = Set(error.errors.compactMap(\.line))
            #expect(lines.isSuperset(of: [concurrencyLine, stuckLine, minutesLine]), "\(error)")
            #expect(error.errors.contains { $0.message.contains("tokenEnvironmentVariable") })
            _ = platformLine
        }
        let unknown = try ConfigFixture()
        defer { unknown.remove() }
        _ = try unknown.replaceFirst("  platform: simulated", with: "  platform: carrier-pigeon", in: "kiosk.yaml")
        #expect(throws: ConfigError.self) { try ConfigLoader.load(directory: unknown.directory) }
    }
}

extension FilingMessage {
    /// A filing message with made-up content, for calling an adapter directly.
    static func sample(number: String) -> FilingMessage {
        FilingMessage(number: number, itemCode: "ITEM", bundleCode: nil, siblingNumbers: [],
                      applicant: Applicant(name: "张三", idNumber: "11010519491231002X", verifiedByCard: true), decision: "accepted",
                      receivedDay: "2026-11-23", promisedDeadline: nil, deferredMaterials: [], heldMaterials: [:], pages: [:],
                      commitmentSigned: false, mailing: nil, kioskID: "TZ01", regionCode: "370481",
                      submittedAt: Date(timeIntervalSince1970: 0), progressToken: "t", responsible: nil)
    }
}
