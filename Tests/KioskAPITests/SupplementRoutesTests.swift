import Foundation
import FrontDesk
import Hummingbird
import HummingbirdTesting
import KioskTestSupport
import Logging
import NIOCore
import Testing
import Workflow
@testable import KioskRuntime

/// 补交 through the kiosk's routes on the kiosk's one clock: a 容缺 filing's deferred material
/// handed in before its deadline (by the card, and by the filing number and the ID ending), and a
/// deadline that passes: the staff alert the working day before, the supplement refused after it,
/// the catalogue's consequence (退件 for the deed replacement's 结婚证) applied exactly once with its
/// audit record and upstream message, and the progress page saying so.
@Suite struct SupplementRoutesTests {
    static let deed = "11370481004397113L3707121008000001"   // 不动产权证书补证: M04 结婚证 deferrable, 5 WD, 退件
    static let holder = Applicant(name: "王五", idNumber: "370481198805051234", documentKind: "resident", verifiedByCard: true)

    /// Mon 2026-11-23 10:00 in the hall (Asia/Shanghai).
    static let monday = Date(timeIntervalSince1970: 1_795_399_200)

    /// 10:00 hall time on `day` (`YYYY-MM-DD`).
    static func tenOClock(_ day: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        return try #require(formatter.date(from: "\(day)T10:00:00+08:00"))
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] { try InProcessKiosk.json(buffer) }

    static func array(_ buffer: ByteBuffer) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [[String: Any]], "\(String(buffer: buffer))")
    }

    static func session(_ client: some TestClientProtocol, _ kiosk: Kiosk, card: Bool = true) async throws -> String {
        let id = try await client.execute(uri: "/api/v1/sessions", method: .post) { try json($0.body)["id"] as? String ?? "" }
        if card { _ = await kiosk.sessions.cardInserted(holder) }
        return id
    }

    /// Captures `pages` pages of each slot that is asked for (not held), or of the given codes.
    static func capture(_ client: some TestClientProtocol, draft: [String: Any], only codes: Set<String>? = nil, tag: String) async throws {
        let id = try #require(draft["id"] as? String)
        for material in try #require(draft["materials"] as? [[String: Any]]) {
            let code = try #require(material["code"] as? String)
            if let codes { guard codes.contains(code) else { continue } } else {
                guard material["need"] as? String == "required", material["held"] == nil else { continue }
            }
            for page in 0..<(material["pagesExpected"] as? Int ?? 1) {
                try await client.execute(uri: "/api/v1/filings/\(id)/materials/\(code)/pages", method: .post,
                                         headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: TestPages.jpeg("\(tag) \(code)-\(page)"))) {
                    #expect($0.status == .created, "\(String(buffer: $0.body))")
                }
            }
        }
    }

    /// A deed-replacement filing with everything but the 结婚证, accepted 容缺 with the commitment signed.
    static func conditionalFiling(_ client: some TestClientProtocol, _ kiosk: Kiosk) async throws -> (number: String, token: String, deadline: String) {
        let session = try await session(client, kiosk)
        let draft = try await client.execute(uri: "/api/v1/sessions/\(session)/filings", method: .post,
                                             body: ByteBuffer(string: #"{"itemCode":"\#(deed)"}"#)) { try json($0.body) }
        try await capture(client, draft: draft, tag: "filing")
        let id = try #require(draft["id"] as? String)
        let filed = try await client.execute(uri: "/api/v1/filings/\(id)/submit", method: .post,
                                             body: ByteBuffer(string: #"{"commitmentSigned":true}"#)) {
            #expect($0.status == .created, "\(String(buffer: $0.body))")
            return try json($0.body)
        }
        #expect(filed["status"] as? String == "conditionallyAccepted")
        let missing = try #require(filed["missingMaterials"] as? [[String: Any]])
        #expect(missing.map { $0["code"] as? String } == ["M04"])
        let token = try #require((filed["progressUrl"] as? String)?.split(separator: "/").last.map(String.init))
        _ = await kiosk.sessions.end(session)
        return (try #require(filed["number"] as? String), token, try #require(missing.first?["deadline"] as? String))
    }

    @Test func aDeferredMaterialHandedInBeforeItsDeadlineCompletesTheFilingAndGoesUpstreamAfterItsPages() async throws {
        let fixture = try InProcessKiosk.fixture()
        defer { fixture.remove() }
        let data = try TemporaryDirectory("supplement")
        defer { data.remove() }
        let clock = ManualClock(Self.monday)
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path, clock: clock),
                                            logger: Logger(label: "test"))
        let number = try await Application(router: kiosk.makeRouter()).test(.router) { client in
            let (number, token, deadline) = try await Self.conditionalFiling(client, kiosk)
            // The conditional notice states the catalogue's consequence of a late material.
            #expect(deadline > "2026-11-23")

            // Two days later the applicant comes back with the card: the screen lists what is owed.
            clock.set(try Self.tenOClock("2026-11-25"))
            let session = try await Self.session(client, kiosk)
            let owed = try await client.execute(uri: "/api/v1/sessions/\(session)/supplements", method: .get) { try Self.array($0.body) }
            #expect(owed.count == 1)
            #expect(owed.first?["number"] as? String == number)
            #expect(owed.first?["lapsed"] as? Bool == false)
            let material = try #require((owed.first?["owed"] as? [[String: Any]])?.first)
            #expect(material["code"] as? String == "M04")
            #expect(material["deadline"] as? String == deadline)
            #expect(material["consequenceName"] as? String == "退件")

            let supplement = try await client.execute(uri: "/api/v1/sessions/\(session)/supplements", method: .post,
                                                      body: ByteBuffer(string: #"{"filingNumber":"\#(number)"}"#)) {
                #expect($0.status == .created, "\(String(buffer: $0.body))")
                return try Self.json($0.body)
            }
            #expect((supplement["materials"] as? [[String: Any]])?.map { $0["code"] as? String } == ["M04"])
            let id = try #require(supplement["id"] as? String)
            // Nothing captured yet: refused with its own type, nothing changes.
            try await client.execute(uri: "/api/v1/supplements/\(id)/submit", method: .post) { response in
                #expect(response.status == .unprocessableContent)
                let problem = try Self.json(response.body)
                #expect(problem["type"] as? String == "https://onewindow.local/problems/nothing-captured")
            }
            // A material the filing does not owe cannot be captured into the supplement.
            try await client.execute(uri: "/api/v1/filings/\(id)/materials/M16/pages", method: .post,
                                     headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: TestPages.jpeg("not owed"))) {
                #expect($0.status == .notFound)
            }
            try await Self.capture(client, draft: supplement, only: ["M04"], tag: "supplement")
            // A filing's submit route does not take a supplement.
            try await client.execute(uri: "/api/v1/filings/\(id)/submit", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .conflict)
                let problem = try Self.json(response.body)
                #expect(problem["type"] as? String == "https://onewindow.local/problems/wrong-draft-kind")
            }
            let handedIn = try await client.execute(uri: "/api/v1/supplements/\(id)/submit", method: .post) {
                #expect($0.status == .created, "\(String(buffer: $0.body))")
                return try Self.json($0.body)
            }
            #expect(handedIn["complete"] as? Bool == true)
            #expect(handedIn["status"] as? String == "accepted")
            #expect((handedIn["supplied"] as? [[String: Any]])?.first?["pages"] as? Int == 2)
            #expect((handedIn["slip"] as? [String: Any])?["state"] as? String != "noPrinter")

            // Handed in once: again is refused, and nothing is owed any more.
            try await client.execute(uri: "/api/v1/supplements/\(id)/submit", method: .post) { #expect($0.status == .conflict) }
            try await client.execute(uri: "/api/v1/sessions/\(session)/supplements", method: .post,
                                     body: ByteBuffer(string: #"{"filingNumber":"\#(number)"}"#)) { response in
                #expect(response.status == .conflict)
                let problem = try Self.json(response.body)
                #expect(problem["type"] as? String == "https://onewindow.local/problems/nothing-owed")
            }
            let owedAfter = try await client.execute(uri: "/api/v1/sessions/\(session)/supplements", method: .get) { try Self.array($0.body) }
            #expect(owedAfter.isEmpty)

            let progress = try await client.execute(uri: "/api/v1/progress/\(token)", method: .get) { try Self.json($0.body) }
            #expect(progress["status"] as? String == "accepted")
            #expect((progress["deferredMaterials"] as? [[String: Any]])?.first?["suppliedAt"] is String)
            let page = try await client.execute(uri: "/p/\(token)", method: .get) { String(buffer: $0.body) }
            #expect(page.contains("结婚证：已补交"))
            #expect(!page.contains(Self.holder.idNumber))

            // Later that day the 容缺 deadline passing changes nothing: nothing is owed.
            clock.set(try Self.tenOClock("2026-12-10"))
            #expect(try await kiosk.desk.sweepSupervision().lapsedDeferrals.isEmpty)
            return number
        }
        // One audit record says what was handed in; upstream the supplement follows its two pages.
        let trail = try await kiosk.desk.auditTrail(subject: "filing:\(number)")
        let supplement = try #require(trail.first { $0.event == "supplement" })
        #expect(supplement.from == "conditionallyAccepted" && supplement.to == "accepted")
        #expect(supplement.reason?.contains("结婚证（2页）") == true)
        let rows = try await kiosk.desk.outboxSummary(limit: 100).rows
        let tail = rows.suffix(3).map(\.kind)
        #expect(tail == ["page", "page", "supplement"])
        #expect(rows.filter { $0.kind == "supplement" }.count == 1)
    }

    @Test func identifiedByTheFilingNumberAndTheIDEndingWithFiveWrongEndingsADay() async throws {
        let fixture = try InProcessKiosk.fixture()
        defer { fixture.remove() }
        let data = try TemporaryDirectory("supplement-tail")
        defer { data.remove() }
        let clock = ManualClock(Self.monday)
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path, clock: clock),
                                            logger: Logger(label: "test"))
        let number = try await Application(router: kiosk.makeRouter()).test(.router) { client in
            let (number, _, _) = try await Self.conditionalFiling(client, kiosk)
            clock.set(try Self.tenOClock("2026-11-24"))
            let session = try await Self.session(client, kiosk, card: false)
            let open = { (body: String) async throws -> (HTTPResponse.Status, [String: Any]) in
                try await client.execute(uri: "/api/v1/sessions/\(session)/supplements", method: .post, body: ByteBuffer(string: body)) {
                    ($0.status, try Self.json($0.body))
                }
            }
            // Neither card nor ending: the screen is told to read the card (or take the ending).
            #expect(try await open(#"{"filingNumber":"\#(number)"}"#).0 == .conflict)
            // A wrong ending is not the applicant (each refusal audited).
            for _ in 0..<4 {
                let (status, body) = try await open(#"{"filingNumber":"\#(number)","idNumberTail":"9999"}"#)
                #expect(status == .forbidden)
                #expect(body["type"] as? String == "https://onewindow.local/problems/identity-mismatch")
            }
            // The right ending opens it (the four wrong ones are not yet five).
            let (opened, supplement) = try await open(#"{"filingNumber":"\#(number)","idNumberTail":"1234"}"#)
            #expect(opened == .created)
            #expect(supplement["filingNumber"] as? String == number)
            #expect(try await open(#"{"filingNumber":"\#(number)","idNumberTail":"0000"}"#).0 == .forbidden)
            // Five wrong endings today: locked, even for the right one, until the next hall day.
            let (locked, lockedBody) = try await open(#"{"filingNumber":"\#(number)","idNumberTail":"1234"}"#)
            #expect(locked == .tooManyRequests)
            #expect(lockedBody["type"] as? String == "https://onewindow.local/problems/identification-locked")
            clock.set(try Self.tenOClock("2026-11-25"))
            let nextDay = try await Self.session(client, kiosk, card: false)
            let reopened = try await client.execute(uri: "/api/v1/sessions/\(nextDay)/supplements", method: .post,
                                                    body: ByteBuffer(string: #"{"filingNumber":"\#(number)","idNumberTail":"1234"}"#)) { $0.status }
            #expect(reopened == .created)
            // An unknown filing is not found.
            let unknown = try await client.execute(uri: "/api/v1/sessions/\(nextDay)/supplements", method: .post,
                                                   body: ByteBuffer(string: #"{"filingNumber":"370481-TZ01-20261123-99999","idNumberTail":"1234"}"#)) { $0.status }
            #expect(unknown == .notFound)
            return number
        }
        let refusals = try await kiosk.desk.auditTrail(subject: "filing:\(number)").filter { $0.event == "supplementIdentityRefused" }
        #expect(refusals.count == 5)
        #expect(refusals.allSatisfy { $0.reason?.contains("9999") == false && $0.reason?.contains("0000") == false })
    }

    @Test func aDeadlinePassingAppliesTheCataloguesConsequenceExactlyOnceAfterAStaffAlert() async throws {
        let fixture = try InProcessKiosk.fixture()
        defer { fixture.remove() }
        let data = try TemporaryDirectory("supplement-lapse")
        defer { data.remove() }
        let clock = ManualClock(Self.monday)
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path, clock: clock),
                                            logger: Logger(label: "test"))
        let number = try await Application(router: kiosk.makeRouter()).test(.router) { client in
            let (number, token, deadline) = try await Self.conditionalFiling(client, kiosk)
            let alerts = { () async throws -> [[String: Any]] in
                let (_, staff) = try await InProcessKiosk.login(client, "wangfang", InProcessKiosk.staffPIN)
                let bearer: HTTPFields = [.authorization: "Bearer \(try #require(staff["token"] as? String))"]
                return try await client.execute(uri: "/api/v1/staff/alerts", method: .get, headers: bearer) { try Self.array($0.body) }
            }
            // Days before the deadline: no alert.
            #expect(try await alerts().contains { $0["code"] as? String == "deferral-due" } == false)
            // On the deadline day (the working day before the consequence): staff are alerted.
            clock.set(try Self.tenOClock(deadline))
            let due = try #require(try await alerts().first { $0["code"] as? String == "deferral-due" })
            #expect((due["detail"] as? String)?.contains(number) == true)
            #expect(try await kiosk.desk.sweepSupervision().lapsedDeferrals.isEmpty, "the deadline day is still in time")

            // The next day, before any sweep: the supplement is refused, the consequence named.
            let after = try #require(CivilDate(iso: deadline)).adding(days: 1)
            clock.set(try Self.tenOClock(after.description))
            let session = try await Self.session(client, kiosk)
            let owed = try await client.execute(uri: "/api/v1/sessions/\(session)/supplements", method: .get) { try Self.array($0.body) }
            #expect(owed.first?["lapsed"] as? Bool == true)
            try await client.execute(uri: "/api/v1/sessions/\(session)/supplements", method: .post,
                                     body: ByteBuffer(string: #"{"filingNumber":"\#(number)"}"#)) { response in
                #expect(response.status == .conflict)
                let problem = try Self.json(response.body)
                #expect(problem["type"] as? String == "https://onewindow.local/problems/deferral-lapsed")
                #expect((problem["title"] as? String)?.contains("退件") == true)
            }

            // The sweep applies it once; later sweeps (and days) do not again.
            let first = try await kiosk.desk.sweepSupervision()
            #expect(first.lapsedDeferrals == [number])
            #expect(try await kiosk.desk.sweepSupervision().lapsedDeferrals.isEmpty)
            clock.advance(by: 3 * 86_400)
            #expect(try await kiosk.desk.sweepSupervision().lapsedDeferrals.isEmpty)

            let progress = try await client.execute(uri: "/api/v1/progress/\(token)", method: .get) { try Self.json($0.body) }
            #expect(progress["status"] as? String == "withdrawn")
            #expect((progress["deferredMaterials"] as? [[String: Any]])?.first?["lapsedAt"] is String)
            let history = try #require(progress["history"] as? [[String: Any]])
            #expect(history.last?["status"] as? String == "withdrawn")
            #expect((history.last?["note"] as? String)?.contains("按退件处理") == true)
            let page = try await client.execute(uri: "/p/\(token)", method: .get) { String(buffer: $0.body) }
            #expect(page.contains("本件已按<b>退件</b>处理"))
            // Nothing is owed any more, and the staff alert is gone.
            let later = try await Self.session(client, kiosk)
            let owedAfter = try await client.execute(uri: "/api/v1/sessions/\(later)/supplements", method: .get) { try Self.array($0.body) }
            #expect(owedAfter.isEmpty)
            #expect(try await alerts().contains { $0["code"] as? String == "deferral-due" } == false)
            return number
        }
        let lapses = try await kiosk.desk.auditTrail(subject: "filing:\(number)").filter { $0.event == "deferralLapsed" }
        #expect(lapses.count == 1)
        #expect(lapses.first?.from == "conditionallyAccepted" && lapses.first?.to == "withdrawn")
        let upstream = try await kiosk.desk.outboxSummary(limit: 100).rows.filter { $0.kind == "supplement" }
        #expect(upstream.map(\.subject) == ["lapse:\(number)"])
    }
}
