import Foundation
import FrontDesk
import Hummingbird
import HummingbirdTesting
import KioskTestSupport
import Logging
import NIOCore
import Slips
import Testing
import Upstream
import Workflow
@testable import KioskRuntime

/// 帮办代办 through the kiosk's routes: the agent's card is read; the principal is entered (then the
/// catalogue's 授权委托书 is required) or read from their own card. The notice prints both masked,
/// never a full ID number; the upstream filing carries both whole.
@Suite struct AgentFilingTests {
    static let deed = "11370481004397113L3707121008000001"   // lists 授权委托书 (M18)
    static let birth = "11370481004396815B3707104001000001"  // lists none
    static let agent = Applicant(name: "李代办", idNumber: "11010519491231002X", documentKind: "resident", verifiedByCard: true)
    static let principal = (name: "王老五", idNumber: "370481195001011235")

    static func capture(_ client: some TestClientProtocol, draft: [String: Any], codes: Set<String>? = nil) async throws {
        let id = try #require(draft["id"] as? String)
        for material in try #require(draft["materials"] as? [[String: Any]]) {
            let code = try #require(material["code"] as? String)
            if let codes { guard codes.contains(code) else { continue } } else {
                guard material["need"] as? String == "required", material["held"] == nil else { continue }
            }
            for page in 0..<(material["pagesExpected"] as? Int ?? 1) {
                try await client.execute(uri: "/api/v1/filings/\(id)/materials/\(code)/pages", method: .post, headers: [.contentType: "image/jpeg"],
                                         body: ByteBuffer(bytes: TestPages.jpeg("agent \(id) \(code)-\(page)"))) { #expect($0.status == .created) }
            }
        }
    }

    /// The printed notice's text (ESC/POS decoded as GB18030).
    static func notice(_ kiosk: Kiosk, number: String) async throws -> String {
        let jobID = try #require(try await kiosk.desk.latestPrintJobID(reference: number))
        let bytes = try #require(try await kiosk.store.printJob(id: jobID)).document
        let gb18030 = String.Encoding(rawValue: 0x8000_0632)
        return try EscPosReader(bytes).textLines.compactMap { String(data: Data($0), encoding: gb18030) }.joined(separator: "\n")
    }

    @Test func anAgentFilesForAnEnteredPrincipalWithThePowerOfAttorneyBothMaskedOnTheSlipAndWholeUpstream() async throws {
        let fixture = try InProcessKiosk.fixture()
        defer { fixture.remove() }
        let data = try TemporaryDirectory("agent")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path,
                                                         clock: ManualClock(Date(timeIntervalSince1970: 1_795_399_200))),
                                            logger: Logger(label: "test"))
        let number = try await Application(router: kiosk.makeRouter()).test(.router) { client in
            _ = try await client.execute(uri: "/api/v1/sessions", method: .post) { $0.status }
            let session = await kiosk.sessions.cardInserted(Self.agent).id
            let principal = { (body: String) async throws -> (HTTPResponse.Status, [String: Any]) in
                try await client.execute(uri: "/api/v1/sessions/\(session)/principal", method: .post, body: ByteBuffer(string: body)) {
                    ($0.status, try InProcessKiosk.json($0.body))
                }
            }
            // A number whose check character is wrong is refused with its own type.
            let (bad, badBody) = try await principal(#"{"name":"王老五","idNumber":"370481195001011236"}"#)
            #expect(bad == .conflict)
            #expect(badBody["type"] as? String == "https://onewindow.local/problems/invalid-principal")
            let (ok, both) = try await principal(#"{"name":"\#(Self.principal.name)","idNumber":"\#(Self.principal.idNumber)"}"#)
            #expect(ok == .ok)
            #expect((both["principal"] as? [String: Any])?["idNumber"] as? String == "3704**********1235")
            #expect((both["agent"] as? [String: Any])?["name"] as? String == "李**")
            #expect(both["principalReadFromCard"] as? Bool == false)

            // An item that lists no 授权委托书 needs the principal's card.
            try await client.execute(uri: "/api/v1/sessions/\(session)/filings", method: .post,
                                     body: ByteBuffer(string: #"{"itemCode":"\#(Self.birth)"}"#)) { response in
                #expect(response.status == .conflict)
                let problem = try InProcessKiosk.json(response.body)
                #expect(problem["type"] as? String == "https://onewindow.local/problems/principal-card-required")
            }
            let draft = try await client.execute(uri: "/api/v1/sessions/\(session)/filings", method: .post,
                                                 body: ByteBuffer(string: #"{"itemCode":"\#(Self.deed)"}"#)) { try InProcessKiosk.json($0.body) }
            let slots = try #require(draft["materials"] as? [[String: Any]])
            #expect(slots.first { $0["name"] as? String == "授权委托书" }?["need"] as? String == "required")
            // The principal's card was not read: the ID card licence does not stand in for their 居民身份证.
            #expect(slots.first { $0["code"] as? String == "M01" }?["held"] == nil)
            try await Self.capture(client, draft: draft, codes: Set(slots.compactMap { s in
                s["need"] as? String == "required" && s["name"] as? String != "授权委托书" ? s["code"] as? String : nil }))
            let id = try #require(draft["id"] as? String)
            // Without the power of attorney nothing is filed, and it is named.
            try await client.execute(uri: "/api/v1/filings/\(id)/submit", method: .post, body: ByteBuffer(string: #"{"commitmentSigned":true}"#)) { response in
                #expect(response.status == .unprocessableContent)
                let problem = try InProcessKiosk.json(response.body)
                #expect((problem["missingMaterials"] as? [[String: Any]])?.map { $0["name"] as? String } == ["授权委托书"])
            }
            try await Self.capture(client, draft: draft, codes: Set(slots.compactMap { s in
                s["name"] as? String == "授权委托书" ? s["code"] as? String : nil }))
            return try await client.execute(uri: "/api/v1/filings/\(id)/submit", method: .post, body: ByteBuffer(string: #"{"commitmentSigned":true}"#)) {
                #expect($0.status == .created, "\(String(buffer: $0.body))")
                return try #require(try InProcessKiosk.json($0.body)["number"] as? String)
            }
        }
        // The notice names both, masked; never a full ID number or name.
        let slip = try await Self.notice(kiosk, number: number)
        #expect(slip.contains("王**") && slip.contains("3704**********1235"), "\(slip)")
        #expect(slip.contains("代办人") && slip.contains("李**") && slip.contains("1101**********002X"), "\(slip)")
        #expect(!slip.contains(Self.principal.idNumber) && !slip.contains(Self.agent.idNumber))
        #expect(!slip.contains(Self.principal.name) && !slip.contains(Self.agent.name))
        // Upstream: the principal as the applicant and the agent, both whole.
        let row = try #require(try await kiosk.desk.outboxSummary(limit: 100).rows.first { $0.kind == "filing" })
        let payload = try #require(try await OutboxLedger(store: kiosk.desk.store).payload(id: row.id))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let message = try decoder.decode(FilingMessage.self, from: Data(payload.utf8))
        #expect(message.applicant.idNumber == Self.principal.idNumber && message.applicant.verifiedByCard == false)
        #expect(message.agent?.idNumber == Self.agent.idNumber && message.agent?.verifiedByCard == true)
    }

    @Test func thePrincipalsOwnCardJoinsTheAgentsSessionAndNeedsNoPowerOfAttorney() async throws {
        let fixture = try InProcessKiosk.fixture()
        defer { fixture.remove() }
        let data = try TemporaryDirectory("agent-card")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path,
                                                         clock: ManualClock(Date(timeIntervalSince1970: 1_795_399_200))),
                                            logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            _ = try await client.execute(uri: "/api/v1/sessions", method: .post) { $0.status }
            let session = await kiosk.sessions.cardInserted(Self.agent).id
            try await client.execute(uri: "/api/v1/sessions/\(session)/principal", method: .post) { response in
                #expect(response.status == .ok)
                let body = try InProcessKiosk.json(response.body)
                #expect(body["awaitingPrincipalCard"] as? Bool == true)
            }
            // Until the principal's card is read, no filing.
            try await client.execute(uri: "/api/v1/sessions/\(session)/filings", method: .post,
                                     body: ByteBuffer(string: #"{"itemCode":"\#(Self.birth)"}"#)) { #expect($0.status == .conflict) }
            let joined = await kiosk.sessions.cardInserted(Applicant(name: Self.principal.name, idNumber: Self.principal.idNumber,
                                                                     documentKind: "resident", verifiedByCard: true))
            #expect(joined.id == session, "the principal's card joins the agent's session")
            // Read again (the reader re-reads a card lying on it): still the same session.
            #expect(await kiosk.sessions.cardInserted(Applicant(name: Self.principal.name, idNumber: Self.principal.idNumber,
                                                                documentKind: "resident", verifiedByCard: true)).id == session)
            let draft = try await client.execute(uri: "/api/v1/sessions/\(session)/filings", method: .post,
                                                 body: ByteBuffer(string: #"{"itemCode":"\#(Self.deed)"}"#)) {
                #expect($0.status == .created)
                return try InProcessKiosk.json($0.body)
            }
            let slots = try #require(draft["materials"] as? [[String: Any]])
            #expect(slots.first { $0["name"] as? String == "授权委托书" }?["need"] as? String == "optional")
            let identity = try await client.execute(uri: "/api/v1/sessions/\(session)/principal", method: .get) { try InProcessKiosk.json($0.body) }
            #expect(identity["principalReadFromCard"] as? Bool == true)
        }
    }
}
