import FakePlatform
import Foundation
import KioskTestSupport
import Testing

/// 补交 against a real `kioskd` and the fake platform on loopback, over the HTTP API: a
/// deed-replacement filing is accepted 容缺 (the 结婚证 to follow within 5 working days, else 退件);
/// the applicant comes back without the card, is identified by the filing number and the ID ending
/// (a wrong ending refused), hands in the 结婚证 and gets the receipt; the filing is accepted and the
/// platform gets the supplement after the two pages it names, with no ID number in it or the log.
/// A deadline passing needs the kiosk's clock moved: `SupplementDeadlineEndToEndTests` below runs
/// it against a real kioskd on its `--test-clock` (libfaketime under kioskd stalls its timed
/// waits); the staff alert before it runs on a hand-moved clock in `SupplementRoutesTests`.
@Suite(.serialized) struct SupplementEndToEndTests {
    static let deed = "11370481004397113L3707121008000001"
    static let idNumber = "370481198805051234"
    static func json(_ method: String, _ url: String, _ body: String? = nil, expect status: Int) throws -> [String: Any] {
        try HTTP.json(method, url, body, expect: status)
    }

    /// A session with the card placed, a deed-replacement filing without the 结婚证, submitted 容缺.
    static func conditionalFiling(_ base: String) throws -> [String: Any] {
        let session = try #require(try json("POST", base + "/api/v1/sessions", expect: 201)["id"] as? String)
        _ = try json("POST", base + "/api/v1/sim/idcard/place",
                     #"{"name":"王五","idNumber":"\#(idNumber)","sex":"male","birthDate":"1988-05-05"}"#, expect: 202)
        for _ in 0..<100 where HTTP.request("GET", base + "/api/v1/sessions/\(session)/identity")?.status != 200 { usleep(20_000) }
        let draft = try json("POST", base + "/api/v1/sessions/\(session)/filings", #"{"itemCode":"\#(deed)"}"#, expect: 201)
        let id = try #require(draft["id"] as? String)
        for material in try #require(draft["materials"] as? [[String: Any]]) where material["need"] as? String == "required" && material["held"] == nil {
            try upload(base, draft: id, material: try #require(material["code"] as? String), pages: material["pagesExpected"] as? Int ?? 1, tag: "filing \(id)")
        }
        let filed = try json("POST", base + "/api/v1/filings/\(id)/submit", #"{"commitmentSigned":true}"#, expect: 201)
        _ = HTTP.request("POST", base + "/api/v1/sim/idcard/remove")
        _ = HTTP.request("DELETE", base + "/api/v1/sessions/\(session)")
        return filed
    }

    static func upload(_ base: String, draft: String, material: String, pages: Int, tag: String) throws {
        for page in 0..<pages {
            let answer = try #require(HTTP.request("POST", base + "/api/v1/filings/\(draft)/materials/\(material)/pages",
                                                   headers: ["Content-Type": "image/jpeg"], body: Data(TestPages.jpeg("\(tag) \(material) \(page)"))))
            #expect(answer.status == 201, "\(String(decoding: answer.body, as: UTF8.self))")
        }
    }

    static func supplements(_ platform: FakePlatform) -> [[String: Any]] {
        platform.applied.filter { $0.call == .supplement }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] }
    }

    @Test func aDeferredMaterialHandedInLaterThroughARealKioskdReachesThePlatformAfterItsPages() async throws {
        let platform = try await FakePlatform.start(expectedToken: UpstreamEndToEndTests.token)
        let fixture = try UpstreamEndToEndTests.fixture(endpoint: platform.baseURL)
        defer { fixture.remove() }
        let kioskd = try KioskdProcess(config: fixture.directory, environment: ["ONEWINDOW_E2E_TOKEN": UpstreamEndToEndTests.token])
        try kioskd.waitFor("/api/v1/health", status: 200)
        let base = kioskd.baseURL
        let filed = try Self.conditionalFiling(base)
        #expect(filed["status"] as? String == "conditionallyAccepted")
        let missing = try #require(filed["missingMaterials"] as? [[String: Any]])
        #expect(missing.map { $0["code"] as? String } == ["M04"])
        #expect((filed["slip"] as? [String: Any])?["state"] as? String == "completed")
        let number = try #require(filed["number"] as? String)
        let token = try #require((filed["progressUrl"] as? String)?.split(separator: "/").last.map(String.init))

        // The applicant comes back without the card: the filing number and the ID ending identify them.
        let session = try #require(try Self.json("POST", base + "/api/v1/sessions", expect: 201)["id"] as? String)
        let wrong = try #require(HTTP.request("POST", base + "/api/v1/sessions/\(session)/supplements", headers: ["Content-Type": "application/json"],
                                              body: Data(#"{"filingNumber":"\#(number)","idNumberTail":"4321"}"#.utf8)))
        #expect(wrong.status == 403)
        #expect(String(decoding: wrong.body, as: UTF8.self).contains("identity-mismatch"))
        let supplement = try Self.json("POST", base + "/api/v1/sessions/\(session)/supplements",
                                       #"{"filingNumber":"\#(number)","idNumberTail":"1234"}"#, expect: 201)
        let supplementID = try #require(supplement["id"] as? String)
        let owed = try #require((supplement["owed"] as? [[String: Any]])?.first)
        #expect(owed["deadline"] as? String == missing.first?["deadline"] as? String)
        #expect(owed["consequenceName"] as? String == "退件")
        try Self.upload(base, draft: supplementID, material: "M04", pages: 2, tag: "supplement")
        let handedIn = try Self.json("POST", base + "/api/v1/supplements/\(supplementID)/submit", expect: 201)
        #expect(handedIn["status"] as? String == "accepted")
        #expect(handedIn["complete"] as? Bool == true)
        #expect((handedIn["slip"] as? [String: Any])?["state"] as? String == "completed")
        let progress = try #require(try JSONSerialization.jsonObject(with: try kioskd.waitFor("/api/v1/progress/\(token)")) as? [String: Any])
        #expect(progress["status"] as? String == "accepted")

        // The platform has the supplement, after the two pages it names (the fake refuses it otherwise).
        try UpstreamEndToEndTests.waitUntil("the supplement to reach the platform") { !Self.supplements(platform).isEmpty }
        let sent = Self.supplements(platform)
        #expect(sent.count == 1)
        let supplied = try #require(sent.first)
        #expect(supplied["outcome"] as? String == "supplied" && supplied["filingNumber"] as? String == number)
        #expect(supplied["status"] as? String == "accepted")
        let pages = (supplied["supplied"] as? [[String: Any]])?.first?["pages"] as? [String] ?? []
        #expect(pages.count == 2)
        let keys = platform.applied.map { "\($0.call.rawValue):\($0.key)" }
        let at = try #require(keys.firstIndex { $0.hasPrefix("supplement:") })
        #expect(pages.allSatisfy { keys.prefix(at).contains("page:\($0)") }, "its pages went first")
        #expect(keys.prefix(at).contains("filing:\(number)"), "the filing went first")
        #expect(!String(decoding: try JSONSerialization.data(withJSONObject: supplied), as: UTF8.self).contains(Self.idNumber))
        _ = try kioskd.terminate()
        #expect(!kioskd.log.contains(Self.idNumber), "a full ID number reached kioskd's log")
        try await platform.stop()
    }
}

/// The deadline half of 补交 against a real `kioskd` (started with the hidden `--test-clock`, whose
/// time the simulator route moves forward: libfaketime stalls kioskd's timed waits) and the fake
/// platform: the day after the deadline the citizen is told it lapsed, the sweep applies the
/// catalogue's consequence (退件) exactly once with one audit record, the progress page says so,
/// and the platform gets the `lapsed` message once.
@Suite(.serialized) struct SupplementDeadlineEndToEndTests {
    /// 10:00 hall time (Asia/Shanghai) of the day after `day` (YYYY-MM-DD), as ISO 8601.
    static func morningAfter(_ day: String) throws -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = "yyyy-MM-dd"
        let start = try #require(formatter.date(from: day))
        return (start + 86_400 + 10 * 3_600).ISO8601Format()
    }

    static func lapses(_ platform: FakePlatform) -> [[String: Any]] {
        SupplementEndToEndTests.supplements(platform).filter { $0["outcome"] as? String == "lapsed" }
    }

    @Test func aDeadlinePassingInARealKioskdAppliesTheConsequenceOnceAndTellsThePlatformOnce() async throws {
        let platform = try await FakePlatform.start(expectedToken: UpstreamEndToEndTests.token)
        let fixture = try UpstreamEndToEndTests.fixture(endpoint: platform.baseURL)
        defer { fixture.remove() }
        let kioskd = try KioskdProcess(config: fixture.directory, environment: ["ONEWINDOW_E2E_TOKEN": UpstreamEndToEndTests.token],
                                       extraArguments: ["--test-clock"])
        try kioskd.waitFor("/api/v1/health", status: 200)
        #expect(kioskd.log.contains("TEST CLOCK"), "kioskd warns that its clock can be moved")
        let base = kioskd.baseURL
        let filed = try SupplementEndToEndTests.conditionalFiling(base)
        #expect(filed["status"] as? String == "conditionallyAccepted")
        let number = try #require(filed["number"] as? String)
        let token = try #require((filed["progressUrl"] as? String)?.split(separator: "/").last.map(String.init))
        let deadline = try #require((filed["missingMaterials"] as? [[String: Any]])?.first?["deadline"] as? String)
        try UpstreamEndToEndTests.waitUntil("the filing to reach the platform") {
            platform.applied.contains { $0.call == .filing && $0.key == number }
        }
        // In time: a sweep applies nothing.
        let early = try SupplementEndToEndTests.json("POST", base + "/api/v1/sim/supervision/sweep", expect: 200)
        #expect(early["lapsedDeferrals"] as? [String] == [])

        // The morning after the deadline, the applicant comes back with the card: told it lapsed.
        let moved = try SupplementEndToEndTests.json("POST", base + "/api/v1/sim/clock", #"{"to":"\#(try Self.morningAfter(deadline))"}"#, expect: 200)
        #expect((moved["offsetSeconds"] as? Double ?? 0) > 86_400)
        let session = try #require(try SupplementEndToEndTests.json("POST", base + "/api/v1/sessions", expect: 201)["id"] as? String)
        _ = try SupplementEndToEndTests.json("POST", base + "/api/v1/sim/idcard/place",
                                             #"{"name":"王五","idNumber":"\#(SupplementEndToEndTests.idNumber)","sex":"male","birthDate":"1988-05-05"}"#,
                                             expect: 202)
        try UpstreamEndToEndTests.waitUntil("the card to join the session") {
            HTTP.request("GET", base + "/api/v1/sessions/\(session)/identity")?.status == 200
        }
        let owed = try #require(HTTP.request("GET", base + "/api/v1/sessions/\(session)/supplements"))
        #expect(owed.status == 200)
        let owedFilings = try #require(try JSONSerialization.jsonObject(with: owed.body) as? [[String: Any]])
        #expect(owedFilings.first { $0["number"] as? String == number }?["lapsed"] as? Bool == true, "\(owedFilings)")
        let refused = try #require(HTTP.request("POST", base + "/api/v1/sessions/\(session)/supplements", headers: ["Content-Type": "application/json"],
                                                body: Data(#"{"filingNumber":"\#(number)"}"#.utf8)))
        #expect(refused.status == 409)
        let problem = String(decoding: refused.body, as: UTF8.self)
        #expect(problem.contains("deferral-lapsed") && problem.contains("退件"), "\(problem)")

        // The sweep applies the consequence once; later sweeps, days later too, do not again.
        let first = try SupplementEndToEndTests.json("POST", base + "/api/v1/sim/supervision/sweep", expect: 200)
        #expect(first["lapsedDeferrals"] as? [String] == [number])
        #expect(try SupplementEndToEndTests.json("POST", base + "/api/v1/sim/supervision/sweep", expect: 200)["lapsedDeferrals"] as? [String] == [])
        _ = try SupplementEndToEndTests.json("POST", base + "/api/v1/sim/clock", #"{"seconds":259200}"#, expect: 200)
        #expect(try SupplementEndToEndTests.json("POST", base + "/api/v1/sim/supervision/sweep", expect: 200)["lapsedDeferrals"] as? [String] == [])

        // The progress page says so.
        let progress = try SupplementEndToEndTests.json("GET", base + "/api/v1/progress/\(token)", expect: 200)
        #expect(progress["status"] as? String == "withdrawn")
        let page = try #require(HTTP.request("GET", base + "/p/\(token)"))
        #expect(String(decoding: page.body, as: UTF8.self).contains("本件已按<b>退件</b>处理"))

        // The platform is told once: the lapse after the filing, with no ID number in it.
        try UpstreamEndToEndTests.waitUntil("the lapse to reach the platform") { !Self.lapses(platform).isEmpty }
        let lapse = try #require(Self.lapses(platform).first)
        #expect(lapse["filingNumber"] as? String == number && lapse["status"] as? String == "withdrawn", "\(lapse)")
        #expect(!String(decoding: try JSONSerialization.data(withJSONObject: lapse), as: UTF8.self).contains(SupplementEndToEndTests.idNumber))
        #expect(try kioskd.terminate() == 0)
        #expect(Self.lapses(platform).count == 1)
        #expect(!kioskd.log.contains(SupplementEndToEndTests.idNumber), "a full ID number reached kioskd's log")

        // One audit record of the lapse, in a hash chain that is intact.
        let kioskctl = try RepoPaths.binary("kioskctl")
        let store = ["--config", fixture.directory, "--data", kioskd.data.path]
        let audit = try ChildProcess.run(kioskctl, ["audit", "show", number, "--json"] + store)
        #expect(audit.status == 0, "\(audit.stderr)")
        let records = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [[String: Any]])
        let lapsed = records.filter { $0["event"] as? String == "deferralLapsed" }
        #expect(lapsed.count == 1)
        #expect(lapsed.first?["from"] as? String == "conditionallyAccepted" && lapsed.first?["to"] as? String == "withdrawn")
        #expect(try ChildProcess.run(kioskctl, ["audit", "verify"] + store).status == 0)
        try await platform.stop()
    }
}
