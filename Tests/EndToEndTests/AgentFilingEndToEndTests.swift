import FakePlatform
import Foundation
import KioskTestSupport
import Testing

/// 帮办代办 against a real `kioskd`, a private real cupsd and the fake platform on loopback: the
/// agent's card is read, the principal entered (the 授权委托书 then required), the filing submitted;
/// the notice CUPS printed names both masked and neither whole; the platform has both whole; the
/// log has neither.
@Suite(.serialized) struct AgentFilingEndToEndTests {
    static let deed = "11370481004397113L3707121008000001"   // lists 授权委托书
    static let agent = (name: "李代办", idNumber: "11010519491231002X")
    static let principal = (name: "王老五", idNumber: "370481195001011235")
    static let gb18030 = String.Encoding(rawValue: 0x8000_0632)

    static func bytes(_ text: String) throws -> Data { try #require(text.data(using: gb18030)) }

    @Test func anAgentFilingIsPrintedWithBothMaskedAndReachesThePlatformWithBothWhole() async throws {
        let cups = try PrivateCUPS(queues: ["receipt", "ticket"])
        defer { cups.stop() }
        let platform = try await FakePlatform.start(expectedToken: UpstreamEndToEndTests.token)
        let fixture = try UpstreamEndToEndTests.fixture(endpoint: platform.baseURL, simulatedPrinters: false)
        defer { fixture.remove() }
        let kioskd = try KioskdProcess(config: fixture.directory,
                                       environment: ["ONEWINDOW_E2E_TOKEN": UpstreamEndToEndTests.token, "CUPS_SERVER": cups.server])
        try kioskd.waitFor("/api/v1/health", status: 200)
        let base = kioskd.baseURL

        let session = try #require(try HTTP.json("POST", base + "/api/v1/sessions", expect: 201)["id"] as? String)
        _ = try HTTP.json("POST", base + "/api/v1/sim/idcard/place",
                          #"{"name":"\#(Self.agent.name)","idNumber":"\#(Self.agent.idNumber)","sex":"male","birthDate":"1949-12-31"}"#, expect: 202)
        try UpstreamEndToEndTests.waitUntil("the agent's card to join the session") {
            HTTP.request("GET", base + "/api/v1/sessions/\(session)/identity")?.status == 200
        }
        let both = try HTTP.json("POST", base + "/api/v1/sessions/\(session)/principal",
                                 #"{"name":"\#(Self.principal.name)","idNumber":"\#(Self.principal.idNumber)"}"#, expect: 200)
        #expect((both["principal"] as? [String: Any])?["idNumber"] as? String == "3704**********1235")
        #expect((both["agent"] as? [String: Any])?["idNumber"] as? String == "1101**********002X")

        let draft = try HTTP.json("POST", base + "/api/v1/sessions/\(session)/filings", #"{"itemCode":"\#(Self.deed)"}"#, expect: 201)
        let id = try #require(draft["id"] as? String)
        let slots = try #require(draft["materials"] as? [[String: Any]])
        #expect(slots.first { $0["name"] as? String == "授权委托书" }?["need"] as? String == "required")
        for slot in slots where slot["need"] as? String == "required" && slot["held"] == nil {
            try SupplementEndToEndTests.upload(base, draft: id, material: try #require(slot["code"] as? String),
                                               pages: slot["pagesExpected"] as? Int ?? 1, tag: "agent \(id)")
        }
        let filed = try HTTP.json("POST", base + "/api/v1/filings/\(id)/submit", #"{"commitmentSigned":true}"#, expect: 201)
        let number = try #require(filed["number"] as? String)
        #expect((filed["slip"] as? [String: Any])?["state"] as? String == "completed", "\(filed)")

        // The notice as CUPS printed it: both masked, neither whole.
        let marker = try Self.bytes("代办人")
        try UpstreamEndToEndTests.waitUntil("the notice to be printed") { try cups.jobs(queue: "receipt").contains { $0.range(of: marker) != nil } }
        let printed = try #require(try cups.jobs(queue: "receipt").first { $0.range(of: marker) != nil })
        for masked in ["3704**********1235", "1101**********002X", "王**", "李**", "代办人"] {
            #expect(printed.range(of: try Self.bytes(masked)) != nil, "\(masked) is not on the printed notice")
        }
        for whole in [Self.principal.idNumber, Self.agent.idNumber, Self.principal.name, Self.agent.name] {
            #expect(printed.range(of: try Self.bytes(whole)) == nil, "\(whole) is on the printed notice")
        }

        // The platform: the principal as the applicant and the agent, both whole.
        try UpstreamEndToEndTests.waitUntil("the filing to reach the platform") {
            platform.applied.contains { $0.call == .filing && $0.key == number }
        }
        let body = try #require(platform.applied.first { $0.call == .filing && $0.key == number }?.body)
        let message = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let applicant = try #require(message["applicant"] as? [String: Any])
        let agent = try #require(message["agent"] as? [String: Any])
        #expect(applicant["idNumber"] as? String == Self.principal.idNumber && applicant["name"] as? String == Self.principal.name)
        #expect(applicant["verifiedByCard"] as? Bool == false)
        #expect(agent["idNumber"] as? String == Self.agent.idNumber && agent["name"] as? String == Self.agent.name)
        #expect(agent["verifiedByCard"] as? Bool == true)
        #expect(try kioskd.terminate() == 0)
        for whole in [Self.principal.idNumber, Self.agent.idNumber] { #expect(!kioskd.log.contains(whole), "\(whole) reached kioskd's log") }
        try await platform.stop()
    }
}
