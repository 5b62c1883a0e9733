import Foundation
import Workflow
import FrontDesk
import Hummingbird
import HummingbirdTesting
import KioskTestSupport
import Logging
import NIOCore
import Testing
@testable import KioskRuntime

/// The 差评 follow-up reachable by staff: list, move a step with a note (audited under the staff
/// member, queued for the platform), refused steps, and an overdue rectification in the alerts.
@Suite struct RectificationRoutesTests {
    @Test func staffMoveA差评ThroughVerifyRectifyAnswerAndOverdueOnesAreAlerts() async throws {
        let fixture = try InProcessKiosk.fixture()
        defer { fixture.remove() }
        let data = try TemporaryDirectory("rectify")
        defer { data.remove() }
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_399_200))   // Mon 2026-11-23 10:00 hall time
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path, clock: clock),
                                      logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            let (session, number, _) = try await InProcessKiosk.submitted(client, kiosk)
            try await client.execute(uri: "/api/v1/evaluations", method: .post,
                                     body: ByteBuffer(string: #"{"filingNumber":"\#(number)","level":1,"comment":"态度差","sessionId":"\#(session)"}"#)) {
                #expect($0.status == .created)
            }
            let (_, staff) = try await InProcessKiosk.login(client, "wangfang", InProcessKiosk.staffPIN)
            var bearer: HTTPFields = [.authorization: "Bearer \(try #require(staff["token"] as? String))"]
            let list = { () async throws -> [[String: Any]] in
                try await client.execute(uri: "/api/v1/staff/rectifications", method: .get, headers: bearer) {
                    try #require(try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [[String: Any]])
                }
            }
            let open = try await list()
            #expect(open.count == 1)
            let id = try #require(open.first?["id"] as? Int)
            #expect(open.first?["status"] as? String == "pendingVerification")
            #expect(open.first?["next"] as? [String] == ["rectifying", "appealed"])
            #expect(open.first?["overdue"] as? Bool == false)
            let move = { (to: String, note: String) async throws -> (HTTPResponse.Status, [String: Any]) in
                try await client.execute(uri: "/api/v1/staff/rectifications/\(id)/move", method: .post, headers: bearer,
                                         body: ByteBuffer(string: #"{"to":"\#(to)","note":"\#(note)"}"#)) { ($0.status, try InProcessKiosk.json($0.body)) }
            }
            // A step the table does not allow is refused and changes nothing.
            let (refused, _) = try await move("answered", "跳过核实")
            #expect(refused == .conflict)
            // Past the deadline (5 working days) without an answer: an alert.
            clock.advance(by: 8 * 86_400)
            // A staff token lasts 15 minutes of the kiosk's one clock: eight days on, staff log in again.
            let (_, again) = try await InProcessKiosk.login(client, "wangfang", InProcessKiosk.staffPIN)
            bearer = [.authorization: "Bearer \(try #require(again["token"] as? String))"]
            try await client.execute(uri: "/api/v1/staff/alerts", method: .get, headers: bearer) { response in
                let alerts = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
                #expect(alerts.contains { $0["code"] as? String == "rectification-overdue" })
            }
            #expect(try await list().first?["overdue"] as? Bool == true)
            #expect(try await move("rectifying", "已核实，窗口人员已约谈").0 == .ok)
            let (answered, body) = try await move("answered", "已电话回访申请人")
            #expect(answered == .ok)
            #expect(body["statusName"] as? String == "已反馈")
            #expect(try await list().isEmpty)
            try await client.execute(uri: "/api/v1/staff/rectifications?all=true", method: .get, headers: bearer) { response in
                let all = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
                #expect(all.map { $0["status"] as? String } == ["answered"])
            }
        }
        // Each step audited under the rectification and found under the staff member; each queued upstream.
        let trail = try await kiosk.desk.auditTrail(subject: "rectification:1")
        #expect(trail.map(\.to) == ["pendingVerification", "rectifying", "answered"])
        #expect(trail.last?.reason == "by wangfang: 已电话回访申请人")
        await #expect(try kiosk.desk.auditTrail(subject: "staff:wangfang").filter { $0.event == "move" }.count == 2)
        let steps = try await kiosk.desk.outboxSummary(limit: 100).rows.map(\.kind).filter { $0 == "evaluation" || $0 == "rectification" }
        #expect(steps == ["evaluation", "rectification", "rectification"])
    }

    @Test func kioskctlListsAndMovesRectifications() async throws {
        let fixture = try InProcessKiosk.fixture()
        defer { fixture.remove() }
        let data = try TemporaryDirectory("rectify-cli")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            let (session, number, _) = try await InProcessKiosk.submitted(client, kiosk)
            try await client.execute(uri: "/api/v1/evaluations", method: .post,
                                     body: ByteBuffer(string: #"{"filingNumber":"\#(number)","level":2,"sessionId":"\#(session)"}"#)) {
                #expect($0.status == .created)
            }
        }
        let kioskctl = try RepoPaths.binary("kioskctl")
        let common = ["--config", fixture.directory, "--data", data.path]
        let listed = try ChildProcess.run(kioskctl, ["rectifications", "list", "--json"] + common)
        #expect(listed.status == 0, "\(listed.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["status"] as? String } == ["pendingVerification"])
        let refused = try ChildProcess.run(kioskctl, ["rectifications", "move", "1", "--to", "dismissed"] + common)
        #expect(refused.status == 2)
        let moved = try ChildProcess.run(kioskctl, ["rectifications", "move", "1", "--to", "appealed", "--note", "部门申诉：材料齐全", "--by", "zhaolei"] + common)
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(moved.stdout.contains("申诉中"))
        await #expect(try kiosk.desk.auditTrail(subject: "staff:zhaolei").map(\.to) == ["appealed"])
    }
}
