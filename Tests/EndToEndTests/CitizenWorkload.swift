import Foundation
import KioskTestSupport

/// A citizen at a real kioskd, for the tests that need filings in its store (backup, crash points):
/// each citizen has an ID number of their own, so every journey opens a fresh session.
enum CitizenWorkload {
    static let item = "11370481004396815B3707104001000001"

    /// A valid GB 11643 ID number for citizen `n` (born 1980-01-01 in 110105).
    static func idNumber(_ n: Int) -> String {
        let body = "11010519800101" + String(format: "%03d", n % 1000)
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        return body + String(Array("10X98765432")[sum % 11])
    }

    /// Session, card, draft, every required page, submit (`submitting` is called just before the
    /// submit is sent); the filing number and the notice's print state from the answer.
    static func journey(_ base: String, citizen: Int, submitting: () -> Void = {}) throws -> (number: String, slip: String) {
        let (session, draftID) = try prepare(base, citizen: citizen)
        submitting()
        let submitted = try HTTP.json("POST", base + "/api/v1/filings/\(draftID)/submit", "{}", expect: 201)
        _ = HTTP.request("DELETE", base + "/api/v1/sessions/\(session)")
        return (submitted["number"] as? String ?? "", (submitted["slip"] as? [String: Any])?["state"] as? String ?? "?")
    }

    /// Session, card, draft and every required page: a draft ready to submit (session and draft ids).
    static func prepare(_ base: String, citizen: Int) throws -> (session: String, draft: String) {
        let session = try HTTP.json("POST", base + "/api/v1/sessions", expect: 201)["id"] as? String ?? ""
        _ = try HTTP.json("POST", base + "/api/v1/sim/idcard/place",
                          #"{"name":"测试\#(citizen)","idNumber":"\#(idNumber(citizen))","sex":"male","birthDate":"1980-01-01"}"#, expect: 202)
        var tries = 0
        while HTTP.request("GET", base + "/api/v1/sessions/\(session)/identity")?.status != 200 {
            tries += 1
            if tries > 100 { throw TestSupportError("the card was not read") }
            usleep(20_000)
        }
        let draft = try HTTP.json("POST", base + "/api/v1/sessions/\(session)/filings", #"{"itemCode":"\#(item)"}"#, expect: 201)
        let draftID = draft["id"] as? String ?? ""
        for material in draft["materials"] as? [[String: Any]] ?? [] where material["need"] as? String == "required" && material["held"] == nil {
            let code = material["code"] as? String ?? ""
            for page in 0..<(material["pagesExpected"] as? Int ?? 1) {
                let answer = HTTP.request("POST", base + "/api/v1/filings/\(draftID)/materials/\(code)/pages",
                                          headers: ["Content-Type": "image/jpeg"], body: Data(TestPages.jpeg("\(citizen) \(code) \(page)")))
                guard answer?.status == 201 else { throw TestSupportError("page: \(answer?.status ?? 0)") }
            }
        }
        return (session, draftID)
    }
}
