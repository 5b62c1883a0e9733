import FakePlatform
import Foundation
import KioskTestSupport
import Testing

/// 一表申请 / 一张表单 through the HTTP API of a real `kioskd` with the card reader simulated and the
/// fake platform on loopback: the 社保医保 bundle's one form asks each shared field once, pre-fills
/// from the card (the ID number only masked on the screen), refuses bad answers field by field and
/// an incomplete form at submit, and each filing reaches the platform with its item's answers.
@Suite(.serialized) struct FormEndToEndTests {
    static let bundle = "YJS-370481-003"
    static let idNumber = "37048119900101002X"
    static let token = "e2e-form-token-5d0c2b7e"

    static func problem(_ method: String, _ url: String, _ body: String, status: Int) throws -> [String: Any] {
        let answer = try #require(HTTP.request(method, url, headers: ["Content-Type": "application/json"], body: Data(body.utf8)))
        #expect(answer.status == status, "\(String(decoding: answer.body, as: UTF8.self))")
        #expect(answer.headers["content-type"]?.hasPrefix("application/problem+json") == true)
        return try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
    }

    static func keys(_ problem: [String: Any]) -> [String] {
        (problem["fields"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String }
    }

    @Test func aBundleFormWithSharedFieldsAskedOnceReachesThePlatformWithEachFiling() async throws {
        let platform = try await FakePlatform.start(expectedToken: Self.token)
        let fixture = try UpstreamEndToEndTests.fixture(endpoint: platform.baseURL)
        defer { fixture.remove() }
        let kioskd = try KioskdProcess(config: fixture.directory, environment: ["ONEWINDOW_E2E_TOKEN": Self.token])
        try kioskd.waitFor("/api/v1/health", status: 200)
        let base = kioskd.baseURL

        let session = try #require(try HTTP.json("POST", base + "/api/v1/sessions", expect: 201)["id"] as? String)
        _ = try HTTP.json("POST", base + "/api/v1/sim/idcard/place", #"""
            {"name":"王芳","idNumber":"\#(Self.idNumber)","sex":"female","nation":"汉","birthDate":"1990-01-01","address":"山东省滕州市荆河街道善国北路12号"}
            """#, expect: 202)
        for _ in 0..<100 where HTTP.request("GET", base + "/api/v1/sessions/\(session)/identity")?.status != 200 { usleep(20_000) }

        // The draft exposes one form: every key once, the shared ones for both items.
        let opened = try #require(HTTP.request("POST", base + "/api/v1/sessions/\(session)/filings",
                                               headers: ["Content-Type": "application/json"], body: Data(#"{"bundleCode":"\#(Self.bundle)"}"#.utf8)))
        #expect(opened.status == 201)
        #expect(!String(decoding: opened.body, as: UTF8.self).contains(Self.idNumber))
        let draft = try #require(try JSONSerialization.jsonObject(with: opened.body) as? [String: Any])
        let draftID = try #require(draft["id"] as? String)
        let fields = try #require((draft["form"] as? [String: Any])?["fields"] as? [[String: Any]])
        let keys = fields.compactMap { $0["key"] as? String }
        #expect(keys.count == Set(keys).count)
        #expect(keys.filter { $0 == "phone" }.count == 1)
        let field = { (key: String) in fields.first { $0["key"] as? String == key } ?? [:] }
        #expect((field("phone")["forItems"] as? [String])?.count == 2)
        #expect(field("idNumber")["value"] as? String == "3704**********002X")
        #expect(field("idNumber")["masked"] as? Bool == true && field("idNumber")["locked"] as? Bool == true)
        #expect(field("householdAddress")["value"] as? String == "山东省滕州市荆河街道善国北路12号")
        #expect(field("householdAddress")["prefilled"] as? Bool == true && field("householdAddress")["locked"] as? Bool == false)
        #expect(field("sex")["value"] as? String == "女")
        // The paper 参保登记表 (M10, M12) are not asked for.
        let materials = try #require(draft["materials"] as? [[String: Any]])
        #expect(!materials.contains { ["M10", "M12"].contains($0["code"] as? String ?? "") })

        // Submit refuses the incomplete form, naming the unanswered keys.
        let incomplete = try Self.problem("POST", base + "/api/v1/filings/\(draftID)/submit", "{}", status: 422)
        #expect((incomplete["type"] as? String)?.hasSuffix("/form-incomplete") == true)
        #expect(Self.keys(incomplete) == ["phone", "contributionLevel", "receivesOtherPension", "insuredCategory", "hasEmployeeInsurance"])

        // Answers are checked per field (Chinese messages), unknown and card-locked keys refused.
        let form = base + "/api/v1/filings/\(draftID)/form"
        let invalid = try Self.problem("PUT", form, #"{"answers":{"phone":"12345","insuredCategory":"外星人"}}"#, status: 422)
        #expect((invalid["type"] as? String)?.hasSuffix("/invalid-form-answers") == true)
        #expect(Self.keys(invalid) == ["phone", "insuredCategory"])
        #expect((invalid["fields"] as? [[String: Any]])?.first?["message"] as? String == "联系电话请填写11位手机号码或带区号的固定电话")
        let unknown = try Self.problem("PUT", form, #"{"answers":{"shoeSize":42}}"#, status: 422)
        #expect((unknown["type"] as? String)?.hasSuffix("/unknown-form-field") == true && Self.keys(unknown) == ["shoeSize"])
        let locked = try Self.problem("PUT", form, #"{"answers":{"idNumber":"11010519491231002X"}}"#, status: 409)
        #expect((locked["type"] as? String)?.hasSuffix("/form-field-locked") == true && Self.keys(locked) == ["idNumber"])

        let saved = try HTTP.json("PUT", form, #"""
            {"answers":{"phone":"13800000000","contributionLevel":"500","receivesOtherPension":false,"insuredCategory":"城乡居民","hasEmployeeInsurance":false}}
            """#, expect: 200)
        #expect(saved["complete"] as? Bool == true)

        for material in materials where material["need"] as? String == "required" && material["held"] == nil {
            let code = try #require(material["code"] as? String)
            for page in 0..<(material["pagesExpected"] as? Int ?? 1) {
                let answer = try #require(HTTP.request("POST", base + "/api/v1/filings/\(draftID)/materials/\(code)/pages",
                                                       headers: ["Content-Type": "image/jpeg"], body: Data(TestPages.jpeg("\(code) \(page) form"))))
                #expect(answer.status == 201)
            }
        }
        let submitted = try HTTP.json("POST", base + "/api/v1/filings/\(draftID)/submit", "{}", expect: 201)
        let numbers = try #require(submitted["filings"] as? [[String: Any]]).compactMap { $0["number"] as? String }
        #expect(numbers.count == 2)

        // The platform (strict about the FormAnswer list) applied both filings, each with its item's answers.
        try UpstreamEndToEndTests.waitUntil("the platform to apply both filings") {
            Set(platform.applied.filter { $0.call == .filing }.map(\.key)) == Set(numbers)
        }
        var answersByItem: [String: [String: Any]] = [:]
        for applied in platform.applied where applied.call == .filing {
            let body = try #require(try JSONSerialization.jsonObject(with: Data(applied.body)) as? [String: Any])
            let form = try #require(body["form"] as? [[String: Any]])
            answersByItem[body["itemCode"] as? String ?? ""] = Dictionary(form.map { ($0["key"] as! String, $0["value"] as Any) },
                                                                         uniquingKeysWith: { a, _ in a })
        }
        let pension = try #require(answersByItem["12370481494128679J3720117001000001"])
        let medical = try #require(answersByItem["11370481MB2852071H3720147001000001"])
        for answers in [pension, medical] {
            #expect(answers["phone"] as? String == "13800000000")
            #expect(answers["idNumber"] as? String == Self.idNumber)
            #expect(answers["householdAddress"] as? String == "山东省滕州市荆河街道善国北路12号")
        }
        #expect(pension["contributionLevel"] as? String == "500" && pension["insuredCategory"] == nil)
        #expect(medical["insuredCategory"] as? String == "城乡居民" && medical["contributionLevel"] == nil)
        #expect(medical["hasEmployeeInsurance"] as? Bool == false)

        _ = try HTTP.json("DELETE", base + "/api/v1/sessions/\(session)", expect: 204)
        #expect(try kioskd.terminate() == 0)
        #expect(!kioskd.log.contains(Self.idNumber))
        try await platform.stop()
    }
}
