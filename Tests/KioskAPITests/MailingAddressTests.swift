import Foundation
import FrontDesk
import Hummingbird
import HummingbirdTesting
import KioskTestSupport
import Logging
import NIOCore
import Testing
import Upstream
import Workflow
@testable import KioskRuntime

/// Mailed delivery (邮寄送达) through the submit route: the address and phone as parts, each part
/// checked (a bad one refused with its own type, naming the field, nothing filed), the retired
/// one-string `mailTo` refused, and the filing's upstream message carrying the parts; the
/// progress page and the audit trail never show the address.
@Suite struct MailingAddressTests {
    static let mailing = #"{"phone":"13805321234","region":"山东省枣庄市滕州市","town":"荆河街道","street":"善国北路","community":"杏坛社区","detail":"12号"}"#

    @Test func aStructuredAddressGoesUpstreamInPartsAndBadPartsAreRefused() async throws {
        let fixture = try InProcessKiosk.fixture()
        defer { fixture.remove() }
        let data = try TemporaryDirectory("mailing")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path,
                                                         clock: ManualClock(Date(timeIntervalSince1970: 1_795_399_200))),
                                            logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            // A draft with every required page, not yet submitted.
            _ = try await client.execute(uri: "/api/v1/sessions", method: .post) { try InProcessKiosk.json($0.body) }
            let session = await kiosk.sessions.cardInserted(.init(name: "张三", idNumber: "11010519491231002X", documentKind: "resident", verifiedByCard: true))
            let draft = try await client.execute(uri: "/api/v1/sessions/\(session.id)/filings", method: .post,
                                                 body: ByteBuffer(string: #"{"itemCode":"\#(InProcessKiosk.item)"}"#)) { try InProcessKiosk.json($0.body) }
            let id = try #require(draft["id"] as? String)
            for material in try #require(draft["materials"] as? [[String: Any]]) where material["need"] as? String == "required" && material["held"] == nil {
                let code = try #require(material["code"] as? String)
                for page in 0..<(material["pagesExpected"] as? Int ?? 1) {
                    try await client.execute(uri: "/api/v1/filings/\(id)/materials/\(code)/pages", method: .post, headers: [.contentType: "image/jpeg"],
                                             body: ByteBuffer(bytes: TestPages.jpeg("mail \(code)-\(page)"))) { #expect($0.status == .created) }
                }
            }
            let submit = { (body: String) async throws -> (HTTPResponse.Status, [String: Any]) in
                try await client.execute(uri: "/api/v1/filings/\(id)/submit", method: .post, body: ByteBuffer(string: body)) {
                    ($0.status, try InProcessKiosk.json($0.body))
                }
            }
            // Each bad part is refused with its field named; nothing is filed.
            for (body, field) in [
                (Self.mailing.replacingOccurrences(of: "13805321234", with: "12345"), "phone"),
                (Self.mailing.replacingOccurrences(of: #""town":"荆河街道""#, with: #""town":"  ""#), "town"),
                (Self.mailing.replacingOccurrences(of: #""detail":"12号""#, with: #""detail":"12号\n楼""#), "detail"),
                (Self.mailing.replacingOccurrences(of: #","detail":"12号""#, with: ""), "detail"),
            ] {
                let (status, problem) = try await submit(#"{"mailing":\#(body)}"#)
                #expect(status == .unprocessableContent || status == .badRequest, "\(field): \(problem)")
                if status == .unprocessableContent {
                    #expect(problem["type"] as? String == "https://onewindow.local/problems/invalid-mailing-address")
                    #expect((problem["detail"] as? String)?.contains("mailing.\(field)") == true, "\(problem)")
                }
            }
            let (retired, retiredProblem) = try await submit(#"{"mailTo":"滕州市荆河街道杏坛社区善国北路12号"}"#)
            #expect(retired == .unprocessableContent)
            #expect(retiredProblem["type"] as? String == "https://onewindow.local/problems/invalid-field")
            #expect(try await kiosk.desk.recentFilings().isEmpty)

            let (filed, answer) = try await submit(#"{"mailing":\#(Self.mailing)}"#)
            #expect(filed == .created, "\(answer)")
            let token = try #require((answer["progressUrl"] as? String)?.split(separator: "/").last.map(String.init))
            let page = try await client.execute(uri: "/p/\(token)", method: .get) { String(buffer: $0.body) }
            #expect(!page.contains("善国北路") && !page.contains("13805321234"))
        }
        // Upstream, the filing carries the address in parts (and in one line for older platforms).
        let row = try #require(try await kiosk.desk.outboxSummary(limit: 100).rows.first { $0.kind == "filing" })
        let payload = try #require(try await OutboxLedger(store: kiosk.desk.store).payload(id: row.id))
        let message = try JSONDecoder.iso8601.decode(FilingMessage.self, from: Data(payload.utf8))
        #expect(message.mailing == MailingAddress(phone: "13805321234", region: "山东省枣庄市滕州市", town: "荆河街道", street: "善国北路",
                                                  community: "杏坛社区", detail: "12号"))
        #expect(message.mailTo == "山东省枣庄市滕州市荆河街道善国北路杏坛社区12号")
        let audit = try await kiosk.desk.auditTrail(subject: "filing:\(message.number)")
        #expect(audit.contains { $0.reason == "送达方式：邮寄" })
        #expect(!audit.contains { ($0.reason ?? "").contains("善国北路") || ($0.reason ?? "").contains("13805321234") })
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
