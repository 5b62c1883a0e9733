import Foundation
import KioskTestSupport
import Testing

/// Another person's card placed while one lies on the reader, against a real kioskd: the first
/// citizen's session ends (and is wiped) with `anotherCard`, and a new session starts for the new
/// card — never the new card joined to the first citizen's drafts, nor ignored.
@Suite struct CardSwapTests {
    static let item = "11370481004396815B3707104001000001"

    @Test func anotherCardPlacedOverTheFirstEndsItsSessionAndStartsANewOne() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        try fixture.bindPrintersToSimulator()
        let kioskd = try KioskdProcess(config: fixture.directory)
        try kioskd.waitFor("/api/v1/health", status: 200)
        let base = kioskd.baseURL
        let events = try SSEClient(port: kioskd.port)
        defer { events.close() }
        func next(_ types: Set<String>) throws -> SSEClient.Event? {
            while let event = try events.next(timeout: .seconds(10)) { if types.contains(event.type) { return event } }
            return nil
        }

        let first = try #require(try HTTP.json("POST", base + "/api/v1/sessions", expect: 201)["id"] as? String)
        _ = try HTTP.json("POST", base + "/api/v1/sim/idcard/place", #"{"name":"张三","idNumber":"11010519491231002X"}"#, expect: 202)
        let inserted = try #require(try next(["cardInserted"]))
        #expect(inserted.data.contains(#""sessionId":"\#(first)""#))
        let draft = try HTTP.json("POST", base + "/api/v1/sessions/\(first)/filings", #"{"itemCode":"\#(Self.item)"}"#, expect: 201)
        let draftID = try #require(draft["id"] as? String)

        // Another card, the first never lifted.
        _ = try HTTP.json("POST", base + "/api/v1/sim/idcard/place", #"{"name":"李四","idNumber":"440524188001010014"}"#, expect: 202)
        let ended = try #require(try next(["sessionEnded", "cardInserted", "cardRemoved"]))
        #expect(ended.type == "sessionEnded")
        #expect(ended.data.contains(#""sessionId":"\#(first)""#) && ended.data.contains(#""reason":"anotherCard""#), "\(ended.data)")
        let second = try #require(try next(["sessionEnded", "cardInserted", "cardRemoved"]))
        #expect(second.type == "cardInserted")
        #expect(second.data.contains(#""idNumber":"4405**********0014""#), "\(second.data)")
        #expect(!second.data.contains(first))

        // The first citizen is gone with their draft; the new session holds the new card.
        #expect(HTTP.request("GET", base + "/api/v1/sessions/\(first)/identity")?.status == 404)
        #expect(HTTP.request("GET", base + "/api/v1/filings/\(draftID)")?.status == 409)
        let newID = try #require(second.data.firstMatch(of: /"sessionId":"([^"]+)"/).map { String($0.1) })
        let identity = try HTTP.json("GET", base + "/api/v1/sessions/\(newID)/identity", expect: 200)
        #expect(identity["idNumber"] as? String == "4405**********0014")
        #expect(try kioskd.terminate() == 0)
    }
}
