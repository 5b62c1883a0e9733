import Foundation
import KioskTestSupport
import Testing

/// The kiosk API against a real `kioskd` on loopback with simulated card reader, pad and camera
/// and a private real cupsd: the citizen journey with the event stream watching, the staff door
/// on its own address, maintenance when both printers run out, SSE resume, and a schema fuzz.
@Suite(.serialized) struct KioskAPIEndToEndTests {
    static let item = "11370481004396815B3707104001000001"
    static let staffPIN = "13579"

    /// A config copy with a staff account (set through `kioskctl staff set-pin`) and, when asked,
    /// the staff door on its own port.
    static func fixture(staffPort: Int? = nil, role: String = "staff") throws -> ConfigFixture {
        let fixture = try ConfigFixture()
        let kioskctl = try RepoPaths.binary("kioskctl")
        let set = try ChildProcess.run(kioskctl, ["staff", "set-pin", "wangfang", "--role", role, "--config", fixture.directory,
                                                  "--pin-stdin"], input: Data((staffPIN + "\n").utf8))
        guard set.status == 0 else { throw TestSupportError("kioskctl staff set-pin failed: \(set.stderr)") }
        if let staffPort {
            try fixture.replaceFirst("  # staffListen: 127.0.0.1:8081", with: "  staffListen: 127.0.0.1:\(staffPort)", in: "kiosk.yaml")
        }
        return fixture
    }

    @Test func citizenJourneyWithEventsThenStaffAndMaintenanceOnARealKioskd() throws {
        let cups = try PrivateCUPS(queues: ["receipt", "ticket"])
        defer { cups.stop() }
        let staffPort = try ChildProcess.freePort()
        let fixture = try Self.fixture(staffPort: staffPort)
        defer { fixture.remove() }
        let kioskd = try KioskdProcess(config: fixture.directory, environment: ["CUPS_SERVER": cups.server])
        try kioskd.waitFor("/api/v1/health", status: 200) { String(decoding: $0, as: UTF8.self).contains("\"status\":\"ok\"") }
        let base = kioskd.baseURL
        let events = try SSEClient(port: kioskd.port)

        // session → card (read by the reader service, joined to the session) → identity
        let session = try #require(try HTTP.json("POST", base + "/api/v1/sessions", expect: 201)["id"] as? String)
        _ = try HTTP.json("POST", base + "/api/v1/sim/idcard/place",
                          #"{"name":"张三","idNumber":"11010519491231002X","sex":"male","birthDate":"1949-12-31"}"#, expect: 202)
        let inserted = try #require(try events.next())
        #expect(inserted.type == "cardInserted")
        #expect(inserted.data.contains("\"sessionId\":\"\(session)\""))
        #expect(inserted.data.contains("1101**********002X") && !inserted.data.contains("11010519491231002X"))
        let identity = try HTTP.json("GET", base + "/api/v1/sessions/\(session)/identity", expect: 200)
        #expect(identity["name"] as? String == "张*")

        // filing → the pages each required material asks for → submit → the notice printed by CUPS
        let draft = try HTTP.json("POST", base + "/api/v1/sessions/\(session)/filings", #"{"itemCode":"\#(Self.item)"}"#, expect: 201)
        let draftID = try #require(draft["id"] as? String)
        let materials = try #require(draft["materials"] as? [[String: Any]])
        var uploaded = 0
        for material in materials where material["need"] as? String == "required" && material["held"] == nil {
            let code = try #require(material["code"] as? String)
            for page in 0..<(material["pagesExpected"] as? Int ?? 1) {
                let jpeg = Data(TestPages.jpeg("\(code) page \(page)"))
                let answer = try #require(HTTP.request("POST", base + "/api/v1/filings/\(draftID)/materials/\(code)/pages",
                                                       headers: ["Content-Type": "image/jpeg"], body: jpeg))
                #expect(answer.status == 201, "\(String(decoding: answer.body, as: UTF8.self))")
                uploaded += 1
            }
        }
        #expect(uploaded >= 3)
        let submitted = try HTTP.json("POST", base + "/api/v1/filings/\(draftID)/submit", "{}", expect: 201)
        let number = try #require(submitted["number"] as? String)
        let slip = try #require(submitted["slip"] as? [String: Any])
        #expect(slip["state"] as? String == "completed")
        let printed = try #require(try events.next())
        #expect(printed.type == "slipPrinted")
        #expect(printed.data.contains("\"reference\":\"\(number)\"") && printed.data.contains("\"state\":\"completed\""))
        let job = try #require(try cups.jobs(queue: "receipt").last)
        #expect(String(decoding: job, as: UTF8.self).contains(number))

        // progress (JSON and the QR's page, no personal data) → rating → the session ends, wiped
        let token = try #require((submitted["progressUrl"] as? String)?.split(separator: "/").last.map(String.init))
        let progress = try #require(HTTP.request("GET", base + "/api/v1/progress/\(token)"))
        #expect(progress.status == 200)
        #expect(!String(decoding: progress.body, as: UTF8.self).contains("张三"))
        #expect(HTTP.request("GET", base + "/p/\(token)")?.headers["content-type"]?.hasPrefix("text/html") == true)
        // The rating on the (simulated) evaluation pad: the screen asks, the pad's key is recorded.
        // A filing number alone is no proof of having received the service (numbers are sequential).
        _ = try HTTP.json("POST", base + "/api/v1/evaluations/prompt", #"{"filingNumber":"\#(number)"}"#, expect: 403)
        let prompt = try HTTP.json("POST", base + "/api/v1/evaluations/prompt", #"{"filingNumber":"\#(number)","sessionId":"\#(session)"}"#, expect: 202)
        #expect(prompt["timeoutSeconds"] as? Int == 30)
        _ = try HTTP.json("POST", base + "/api/v1/sim/pad/press", #"{"level":5}"#, expect: 202)
        var padEvents: [SSEClient.Event] = []
        while padEvents.last?.type != "padPromptEnded", let event = try events.next(timeout: .seconds(10)) {
            if event.type.hasPrefix("pad") { padEvents.append(event) }
        }
        #expect(padEvents.map(\.type) == ["padPrompt", "padPressed", "padPromptEnded"])
        #expect(padEvents.dropFirst().first?.data.contains(#""levelName":"非常满意""#) == true)
        #expect(padEvents.dropFirst().first?.data.contains(#""filingNumber":"\#(number)""#) == true)
        _ = try HTTP.json("POST", base + "/api/v1/evaluations", #"{"filingNumber":"\#(number)","level":1}"#, expect: 403)
        _ = try HTTP.json("POST", base + "/api/v1/evaluations", #"{"filingNumber":"\#(number)","level":1,"sessionId":"\#(session)"}"#, expect: 409)
        _ = try HTTP.json("DELETE", base + "/api/v1/sessions/\(session)", expect: 204)
        let ended = try #require(try events.next())
        #expect(ended.type == "sessionEnded" && ended.data.contains("\"reason\":\"ended\""))
        _ = try HTTP.json("GET", base + "/api/v1/sessions/\(session)/identity", expect: 404)

        // The staff door is on its own address only.
        let staffBase = "http://127.0.0.1:\(staffPort)"
        _ = try HTTP.json("POST", base + "/api/v1/staff/login", #"{"account":"wangfang","pin":"\#(Self.staffPIN)"}"#, expect: 404)
        let login = try HTTP.json("POST", staffBase + "/api/v1/staff/login", #"{"account":"wangfang","pin":"\#(Self.staffPIN)"}"#, expect: 200)
        let bearer = ["Authorization": "Bearer \(try #require(login["token"] as? String))"]

        // Both printers out of paper: citizen routes close with the maintenance message; the
        // alerts say why; paper back and a restock open them again.
        for printer in ["receipt", "ticket"] {
            _ = try HTTP.json("POST", base + "/api/v1/sim/printers/\(printer)/paper", #"{"state":"out"}"#, expect: 202)
        }
        let closed = try #require(HTTP.request("POST", base + "/api/v1/sessions"))
        #expect(closed.status == 503)
        #expect(String(decoding: closed.body, as: UTF8.self).contains("设备维护中，请到人工窗口办理"))
        let alerts = try #require(HTTP.request("GET", staffBase + "/api/v1/staff/alerts", headers: bearer))
        let alertText = String(decoding: alerts.body, as: UTF8.self)
        #expect(alertText.contains("paper-out") && alertText.contains("\"code\":\"maintenance\""))
        _ = try HTTP.json("POST", base + "/api/v1/sim/printers/receipt/paper", #"{"state":"ok"}"#, expect: 202)
        let restock = try HTTP.json("POST", staffBase + "/api/v1/staff/printers/receipt/restock", headers: bearer, expect: 200)
        #expect(restock["printerId"] as? String == "receipt")
        try kioskd.waitFor("/api/v1/catalog/items", status: 200, timeout: .seconds(10))
        // A ticket prints on the restocked receipt printer while the ticket printer has no paper.
        let ticket = try HTTP.json("POST", base + "/api/v1/tickets", #"{"category":"social-insurance"}"#, expect: 201)
        #expect((ticket["slip"] as? [String: Any])?["state"] as? String == "completed")

        events.close()
        #expect(try kioskd.terminate() == 0)
        #expect(kioskd.log.contains("\"action\":\"restock\""))
        #expect(!kioskd.log.contains("11010519491231002X"))
    }

    @Test func aScreenThatReconnectsWithLastEventIDGetsWhatItMissedInOrder() throws {
        let kioskd = try KioskdProcess(environment: ["CUPS_SERVER": "127.0.0.1:1"])
        try kioskd.waitFor("/api/v1/health", status: 200)
        let base = kioskd.baseURL
        // Device-status events may come and go meanwhile: the simulated reader's card placements
        // and removals are followed (the printers' CUPS is not there, so citizen routes are closed,
        // but simulators stay open; pad keys make no event while no rating is asked).
        let cardEvents: Set<String> = ["cardInserted", "cardRemoved"]
        func cards(_ client: SSEClient, _ count: Int) throws -> [SSEClient.Event] {
            var found: [SSEClient.Event] = []
            while found.count < count, let event = try client.next(timeout: .seconds(10)) {
                if cardEvents.contains(event.type) { found.append(event) }
            }
            return found
        }
        func placeAndLift() throws {
            _ = try HTTP.json("POST", base + "/api/v1/sim/idcard/place", #"{"name":"张三","idNumber":"11010519491231002X"}"#, expect: 202)
            _ = try HTTP.json("POST", base + "/api/v1/sim/idcard/remove", expect: 202)
        }
        let first = try SSEClient(port: kioskd.port)
        for _ in 0..<2 { try placeAndLift() }
        let seen = try cards(first, 4)
        #expect(seen.map(\.type) == ["cardInserted", "cardRemoved", "cardInserted", "cardRemoved"])
        #expect(seen.filter { $0.type == "cardInserted" }.allSatisfy { $0.data.contains(#""idNumber":"1101**********002X""#) })
        first.close()
        // While the screen is away.
        for _ in 0..<3 { try placeAndLift() }
        let lastSeen = try #require(seen.last?.id)
        let again = try SSEClient(port: kioskd.port, lastEventID: lastSeen)
        let missed = try cards(again, 6)
        #expect(missed.map(\.type) == Array(repeating: ["cardInserted", "cardRemoved"], count: 3).flatMap { $0 })
        let ids = missed.compactMap(\.id)
        #expect(ids.count == 6 && ids.first! > lastSeen && ids == ids.sorted() && Set(ids).count == 6)
        // Then live again, nothing twice.
        try placeAndLift()
        let live = try cards(again, 2)
        #expect(live.map(\.type) == ["cardInserted", "cardRemoved"])
        #expect(try #require(live.first?.id) > ids.last!)
        // A bad Last-Event-ID is refused, not ignored.
        #expect(HTTP.request("GET", base + "/api/v1/events", headers: ["Last-Event-ID": "yesterday"])?.status == 422)
        // kioskd stops promptly with a screen still listening.
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try kioskd.terminate(timeout: .seconds(10)) == 0)
        #expect(clock.now - start < .seconds(5))
        again.close()
    }

    @Test func aSchemaFuzzOfTheOpenAPIDocumentFindsNoServerError() throws {
        let cups = try PrivateCUPS(queues: ["receipt", "ticket"])
        defer { cups.stop() }
        let fixture = try Self.fixture(role: "technician")
        defer { fixture.remove() }
        let kioskd = try KioskdProcess(config: fixture.directory, environment: ["CUPS_SERVER": cups.server])
        try kioskd.waitFor("/api/v1/health", status: 200) { String(decoding: $0, as: UTF8.self).contains("\"status\":\"ok\"") }
        // The fuzzer goes through the staff door too, as a technician.
        let login = try HTTP.json("POST", kioskd.baseURL + "/api/v1/staff/login", #"{"account":"wangfang","pin":"\#(Self.staffPIN)"}"#, expect: 200)
        let token = try #require(login["token"] as? String)
        let script = RepoPaths.scripts + "/schema-fuzz.sh"
        // Not fuzzed: paper out and maintenance on close citizen routes with a documented 503, and a
        // logout would end the fuzzer's own token. Every check runs (status codes, content types,
        // headers and schemas of the answers, 405s, negative and positive data), except one the API
        // departs from by design (README): a session's identity is 404 until a card is read.
        let result = try ChildProcess.run(script, [kioskd.baseURL, RepoPaths.root + "/Sources/KioskAPI/openapi.yaml",
                                                   "--checks", "all", "--exclude-checks", "ensure_resource_availability",
                                                   "--exclude-path", "/api/v1/sim/printers/{id}/paper",
                                                   "--exclude-path", "/api/v1/staff/maintenance",
                                                   "--exclude-path", "/api/v1/staff/logout",
                                                   "--header", "Authorization: Bearer \(token)"],
                                          environment: ["SCHEMA_FUZZ_EXAMPLES": "20"], timeout: .seconds(600))
        #expect(result.stdout.contains("no server errors"))
        #expect(result.status == 0, "schemathesis found a failure:\n\(result.stdout.suffix(6000))\n\(result.stderr.suffix(2000))")
        #expect(kioskd.process.isRunning)
        #expect(!kioskd.log.contains("\"level\":\"error\""), "kioskd logged errors during the fuzz:\n\(kioskd.log.suffix(4000))")
    }
}
