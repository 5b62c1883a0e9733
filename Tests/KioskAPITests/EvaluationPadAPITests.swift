import DeviceKit
import Foundation
import Workflow
import FrontDesk
import Hummingbird
import HummingbirdTesting
import KioskConfig
import KioskTestSupport
import Logging
import NIOCore
import Testing
import Upstream
@testable import KioskAPI
@testable import KioskRuntime

/// The evaluation pad through the API in-process, on the shipped configuration (simulated pad):
/// a completed filing → prompt → a key on the simulated pad → the rating recorded through the
/// front desk's rules, with the timeout, debounce, double press and unplug cases.
@Suite struct EvaluationPadAPITests {
    let start = Date(timeIntervalSince1970: 1_795_000_000)

    struct Rig {
        let kiosk: Kiosk
        let clock: ManualClock
        let data: TemporaryDirectory
        var pad: EvaluationPadDevice { kiosk.devices.compactMap { $0 as? EvaluationPadDevice }.first! }
        var ratings: PadRatingService { kiosk.padRatings! }

        func events(_ type: KioskEventType) -> [[String: Any]] {
            kiosk.events.recent(500).filter { $0.type == type }.compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.json.utf8)) as? [String: Any]
            }
        }
    }

    func rig(_ label: String) async throws -> Rig {
        let data = try TemporaryDirectory(label)
        let clock = ManualClock(start)
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: RepoPaths.defaultConfig, dataDirectory: data.path, clock: clock),
                                      logger: Logger(label: "test"))
        let rig = Rig(kiosk: kiosk, clock: clock, data: data)
        await rig.pad.pollOnce()   // kioskd's pad loop opens the pad at start
        return rig
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    /// A citizen's whole filing, submitted and accepted; returns its number.
    func submittedFiling(_ client: some TestClientProtocol, _ rig: Rig) async throws -> String {
        let session = try await client.execute(uri: "/api/v1/sessions", method: .post) { try json($0.body)["id"] as? String ?? "" }
        let card = #"{"name":"张三","idNumber":"11010519491231002X"}"#
        try await client.execute(uri: "/api/v1/sim/idcard/place", method: .post, body: ByteBuffer(string: card)) { #expect($0.status == .accepted) }
        let read = try #require(rig.kiosk.devices.compactMap { $0 as? IDCardReaderService }.first?.currentCard)
        await rig.kiosk.sessions.cardInserted(.init(read))
        let filing = try await client.execute(uri: "/api/v1/sessions/\(session)/filings", method: .post,
                                              body: ByteBuffer(string: #"{"itemCode":"11370481004396815B3707104001000001"}"#)) {
            try json($0.body)["id"] as? String ?? ""
        }
        for (material, copy) in [("M03", 0), ("M02", 0), ("M02", 1), ("M26", 0)] {
            let page = ByteBuffer(bytes: TestPages.jpeg("\(material)-\(copy)"))
            try await client.execute(uri: "/api/v1/filings/\(filing)/materials/\(material)/pages", method: .post,
                                     headers: [.contentType: "image/jpeg"], body: page) { #expect($0.status == .created) }
        }
        return try await client.execute(uri: "/api/v1/filings/\(filing)/submit", method: .post, body: ByteBuffer(string: "{}")) {
            #expect($0.status == .created)
            return try #require(try json($0.body)["number"] as? String)
        }
    }

    /// Asks the pad for a filing's rating with the rating code printed on its slip.
    func prompt(_ client: some TestClientProtocol, _ number: String, expect status: HTTPResponse.Status = .accepted,
                desk: FrontDesk) async throws -> [String: Any] {
        let code = try await desk.ratingCode(for: .filing(number))
        return try await client.execute(uri: "/api/v1/evaluations/prompt", method: .post,
                                        body: ByteBuffer(string: #"{"filingNumber":"\#(number)","ratingCode":"\#(code)"}"#)) {
            #expect($0.status == status, "\(String(buffer: $0.body))")
            return try json($0.body)
        }
    }

    func press(_ client: some TestClientProtocol, _ level: Int) async throws {
        try await client.execute(uri: "/api/v1/sim/pad/press", method: .post, body: ByteBuffer(string: #"{"level":\#(level)}"#)) {
            #expect($0.status == .accepted)
        }
    }

    @Test func aCompletedFilingRatedOneOnThePadOpensARectificationAndQueuesTheRating() async throws {
        let rig = try await rig("pad-e2e")
        defer { rig.data.remove() }
        try await Application(router: rig.kiosk.makeRouter()).test(.router) { client in
            let number = try await submittedFiling(client, rig)
            let asked = try await prompt(client, number, desk: rig.kiosk.desk)
            #expect(asked["filingNumber"] as? String == number)
            #expect(asked["timeoutSeconds"] as? Int == 30)
            let prompts = rig.events(.padPrompt)
            #expect(prompts.count == 1)
            #expect(prompts.first?["filingNumber"] as? String == number)
            try await client.execute(uri: "/api/v1/evaluations/prompt", method: .get) {
                let body = try json($0.body)
                #expect(body["asking"] as? Bool == true)
            }

            await rig.pad.pollOnce()
            #expect(rig.pad.simulator?.signals.last == .prompt)   // the pad's "please rate" LED is on
            try await press(client, 1)
            await rig.pad.pollOnce()
            #expect(rig.pad.simulator?.signals.last == .idle)     // and off again once rated

            let pressed = try #require(rig.events(.padPressed).first)
            #expect(pressed["level"] as? Int == 1)
            #expect(pressed["levelName"] as? String == "非常不满意")
            #expect(pressed["filingNumber"] as? String == number)
            #expect(pressed["rectification"] as? String == "pendingVerification")
            let evaluationID = try #require(pressed["evaluationId"] as? Int)
            #expect(rig.events(.padPromptEnded).first?["outcome"] as? String == "rated")
            // The 差评's rectification record is open, due in the configured working days.
            let record = try await rig.kiosk.desk.evaluation(id: Int64(evaluationID))
            #expect(record.channel == "pad")
            #expect(record.level == .veryDissatisfied)
            let rectification = try #require(record.rectification)
            #expect(rectification.status == .pendingVerification)
            await #expect(try rig.kiosk.desk.openRectifications().map(\.id) == [rectification.id])
            // The rating waits in the outbox behind its filing, under the filing's order key.
            let rows = try await OutboxLedger(store: rig.kiosk.store).report(now: rig.clock.now()).rows
            let row = try #require(rows.first { $0.kind == .evaluation })
            #expect(row.subject == "evaluation:\(evaluationID)")
            #expect(row.orderKey == number)
            #expect(row.state == .pending)
            #expect(rows.filter { $0.kind == .evaluation }.count == 1)

            // A second press on the thank-you screen is refused, and so is a second prompt.
            rig.clock.advance(by: 1)
            try await press(client, 5)
            #expect(rig.ratings.counters.refused == 1)
            #expect(rig.events(.padPressed).count == 1)
            let again = try await prompt(client, number, expect: .conflict, desk: rig.kiosk.desk)
            #expect(again["title"] as? String == "该服务已评价，感谢您的参与")
            await #expect(try OutboxLedger(store: rig.kiosk.store).report(now: rig.clock.now()).rows.filter { $0.kind == .evaluation }.count == 1)
        }
    }

    @Test func noKeyBeforeTheTimeoutIsUnratedNotALevel() async throws {
        let rig = try await rig("pad-timeout")
        defer { rig.data.remove() }
        try await Application(router: rig.kiosk.makeRouter()).test(.router) { client in
            let number = try await submittedFiling(client, rig)
            let asked = try await prompt(client, number, desk: rig.kiosk.desk)
            #expect(asked["timeoutSeconds"] as? Int == 30)
            rig.clock.advance(by: 29)
            await rig.ratings.expireIfDue()
            #expect(rig.ratings.current?.filingNumber == number)
            rig.clock.advance(by: 1)
            await rig.ratings.expireIfDue()
            #expect(rig.ratings.current == nil)
            let ended = try #require(rig.events(.padPromptEnded).first)
            #expect(ended["outcome"] as? String == "unrated")
            #expect(ended["reason"] as? String == "timeout")
            // 未评价: an audit record on the filing, no evaluation row, no level.
            let unrated = try await rig.kiosk.desk.auditTrail(subject: "filing:" + number).filter { $0.event == "unrated" }
            #expect(unrated.count == 1)
            #expect(unrated.first?.to == "未评价")
            await #expect(try !rig.kiosk.desk.isRated(.filing(number)))
            #expect(rig.ratings.counters.unrated == 1)
            // The 未评价 record is part of the audit chain like every other step.
            guard case .intact = try await rig.kiosk.desk.verifyAudit() else {
                Issue.record("the audit chain is not intact after the 未评价 record")
                return
            }
            // A late key rates nothing.
            try await press(client, 5)
            #expect(rig.ratings.counters.ignoredIdle == 1)
            await #expect(try !rig.kiosk.desk.isRated(.filing(number)))
            // The citizen may still rate once (e.g. on the screen, or asked again).
            rig.clock.advance(by: 1)
            _ = try await prompt(client, number, desk: rig.kiosk.desk)
            try await press(client, 4)
            await #expect(try rig.kiosk.desk.isRated(.filing(number)))
        }
    }

    @Test func aBouncedOrHeldKeyCountsOnce() async throws {
        let rig = try await rig("pad-debounce")
        defer { rig.data.remove() }
        try await Application(router: rig.kiosk.makeRouter()).test(.router) { client in
            let number = try await submittedFiling(client, rig)
            _ = try await prompt(client, number, desk: rig.kiosk.desk)
            // Held: a press with auto-repeats; bounced: up and down again at once (no time passes).
            rig.pad.simulator?.press(level: 4, repeats: 5)
            rig.pad.simulator?.press(level: 4)
            await rig.pad.pollOnce()
            #expect(rig.events(.padPressed).count == 1)
            #expect(rig.events(.padPressed).first?["level"] as? Int == 4)
            let counters = rig.ratings.counters
            #expect(counters.rated == 1)
            #expect(counters.debounced == 1)
            #expect(counters.heldOrReleased == 7)
            #expect(counters.refused == 0)
            // After the debounce window a deliberate second press is refused, not recorded.
            rig.clock.advance(by: 1)
            try await press(client, 2)
            #expect(rig.ratings.counters.refused == 1)
            await #expect(try rig.kiosk.desk.evaluation(id: 1).level == .satisfied)
            await #expect(try rig.kiosk.desk.openRectifications().isEmpty)
        }
    }

    @Test func unplugDuringThePromptEndsItUnratedAndThePadIsRefusedUntilItReturns() async throws {
        let rig = try await rig("pad-unplug")
        defer { rig.data.remove() }
        try await Application(router: rig.kiosk.makeRouter()).test(.router) { client in
            let number = try await submittedFiling(client, rig)
            _ = try await prompt(client, number, desk: rig.kiosk.desk)
            rig.pad.simulator?.setUnplugged(true)
            await rig.pad.pollOnce()
            #expect(await rig.pad.checkStatus().status == .powerOff)
            let ended = try #require(rig.events(.padPromptEnded).first)
            #expect(ended["reason"] as? String == "padUnavailable")
            await #expect(try rig.kiosk.desk.auditTrail(subject: "filing:" + number).contains { $0.event == "unrated" })
            let refused = try await prompt(client, number, expect: .serviceUnavailable, desk: rig.kiosk.desk)
            #expect(refused["title"] as? String == "评价器暂不可用，请在屏幕上评价")
            // Plugged back: asked again, rated once.
            rig.pad.simulator?.setUnplugged(false)
            await rig.pad.pollOnce()
            _ = try await prompt(client, number, desk: rig.kiosk.desk)
            try await press(client, 5)
            await #expect(try rig.kiosk.desk.isRated(.filing(number)))
            #expect(rig.events(.padPressed).first?["levelName"] as? String == "非常满意")
        }
    }

    @Test func keysNobodyAskedForAreIgnoredAndCountedAndBadPromptsAreRefused() async throws {
        let rig = try await rig("pad-idle")
        defer { rig.data.remove() }
        try await Application(router: rig.kiosk.makeRouter()).test(.router) { client in
            for level in [5, 3, 1] { try await press(client, level) }
            #expect(rig.ratings.counters.ignoredIdle == 3)
            #expect(rig.events(.padPressed).isEmpty)
            try await client.execute(uri: "/metrics", method: .get) {
                let text = String(buffer: $0.body)
                #expect(text.contains(#"kiosk_pad_keys{outcome="ignoredIdle"} 3"#))
                #expect(text.contains(#"kiosk_pad_keys{outcome="heldOrReleased"} 3"#))
                #expect(text.contains("kiosk_pad_prompts_unrated 0"))
            }
            #expect(rig.events(.padPrompt).isEmpty)
            _ = try await prompt(client, "370481-TZ01-20261122-99999", expect: .notFound, desk: rig.kiosk.desk)
            try await client.execute(uri: "/api/v1/evaluations/prompt", method: .post,
                                     body: ByteBuffer(string: #"{"filingNumber":"x","ticket":"A001"}"#)) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.execute(uri: "/api/v1/evaluations/prompt", method: .post, body: ByteBuffer(string: "[1")) {
                #expect($0.status == .badRequest)
            }
            // A ticket that was never called is no service yet.
            let ticket = try await client.execute(uri: "/api/v1/tickets", method: .post, body: ByteBuffer(string: #"{"category":"social-insurance"}"#)) {
                try json($0.body)["ticket"] as? String ?? ""
            }
            let ticketCode = try await rig.kiosk.desk.ratingCode(for: .ticket(try rig.kiosk.desk.ticket(number: ticket).id))
            try await client.execute(uri: "/api/v1/evaluations/prompt", method: .post,
                                     body: ByteBuffer(string: #"{"ticket":"\#(ticket)","ratingCode":"\#(ticketCode)"}"#)) {
                #expect($0.status == .conflict)
            }
            try await client.execute(uri: "/api/v1/evaluations/prompt", method: .delete) { #expect($0.status == .notFound) }
            // A called ticket is: asked, then withdrawn by the screen (未评价).
            try await rig.kiosk.desk.assignWindow("1", categories: ["social-insurance"])
            _ = try await rig.kiosk.desk.callNext(window: "1")
            try await client.execute(uri: "/api/v1/evaluations/prompt", method: .post,
                                     body: ByteBuffer(string: #"{"ticket":"\#(ticket)","ratingCode":"\#(ticketCode)"}"#)) {
                #expect($0.status == .accepted)
                let body = try json($0.body)
                #expect(body["ticket"] as? String == ticket)
            }
            try await client.execute(uri: "/api/v1/evaluations/prompt", method: .delete) { #expect($0.status == .noContent) }
            #expect(rig.events(.padPromptEnded).last?["reason"] as? String == "cancelled")
            #expect(rig.events(.padPromptEnded).last?["ticket"] as? String == ticket)
        }
    }
}
