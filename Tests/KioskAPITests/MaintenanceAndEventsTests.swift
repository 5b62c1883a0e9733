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
import Synchronization
import PageImaging
import Testing
@testable import KioskAPI
@testable import KioskRuntime
import KioskServices

/// Automatic maintenance from device states, the event log's resume semantics, the simulators
/// of pad, camera and printers, and the session timeout's wipe.
@Suite struct MaintenanceAndEventsTests {
    func report(_ id: String, _ kind: DeviceKind, _ status: DeviceStatus, paper: PaperState? = nil) -> DeviceStatusReport {
        DeviceStatusReport(id: id, kind: kind, driver: .simulated, status: status, paper: paper)
    }

    @Test func maintenanceIsEnteredWhenNoReaderOrNoPrinterCanServeAndLeftWhenOneRecovers() {
        let changes = Mutex<[Bool]>([])
        let mode = MaintenanceMode(file: nil) { state in changes.withLock { $0.append(state.on) } }
        let reader = report("idcard", .idCardReader, .online)
        let receipt = report("receipt", .receiptPrinter, .online, paper: .full)
        let ticket = report("ticket", .ticketPrinter, .online, paper: .unknown)
        #expect(!mode.evaluate([reader, receipt, ticket]).on)
        // One printer out of paper: the other covers for it.
        #expect(!mode.evaluate([reader, report("receipt", .receiptPrinter, .userError, paper: .out), ticket]).on)
        // Both unable to print.
        let down = mode.evaluate([reader, report("receipt", .receiptPrinter, .userError, paper: .out),
                                  report("ticket", .ticketPrinter, .online, paper: .jammed)])
        #expect(down.on && down.automatic && !down.manual)
        #expect(down.message == "设备维护中，请到人工窗口办理")
        #expect(down.reasons == ["no printer can print (receipt: paper out, ticket: paper jammed)"])
        #expect(mode.evaluate([reader, receipt, ticket]).on == false)
        // The reader unplugged.
        let unplugged = mode.evaluate([report("idcard", .idCardReader, .powerOff), receipt, ticket])
        #expect(unplugged.on && unplugged.reasons.first?.hasPrefix("no ID-card reader") == true)
        // A device still starting is not down.
        #expect(!mode.evaluate([report("idcard", .idCardReader, .starting), receipt, ticket]).on)
        #expect(changes.withLock { $0 } == [true, false, true, false])
        // Staff maintenance stays on while the devices recover, and its message wins.
        _ = try? mode.set(on: true, message: "系统升级中")
        let manual = mode.evaluate([reader, receipt, ticket])
        #expect(manual.on && manual.manual && manual.message == "系统升级中")
    }

    @Test func theManualSwitchSurvivesARestart() throws {
        let dir = try TemporaryDirectory("maintenance")
        defer { dir.remove() }
        try MaintenanceMode(file: dir.file("m.json")).set(on: true, message: nil)
        let again = MaintenanceMode(message: "请到人工窗口", file: dir.file("m.json")).current
        #expect(again.on && again.manual && again.message == "请到人工窗口")
        // A corrupted file is not a reason to refuse citizens forever: it reads as off.
        try "{garbage".write(toFile: dir.file("m.json"), atomically: true, encoding: .utf8)
        #expect(!MaintenanceMode(file: dir.file("m.json")).current.on)
    }

    @Test func aReconnectingScreenGetsWhatItMissedAndAResyncWhenItIsGone() async throws {
        let log = KioskEventLog(capacity: 4, firstID: 100)
        for level in 1...3 { log.publish(.padPressed, PadPressedEvent(level: level, levelName: "x")) }
        let (replay, gap, live) = log.subscribe(after: 100)
        #expect(replay.map(\.id) == [101, 102])
        #expect(!gap)
        log.publish(.sessionEnded, SessionEndedEvent(sessionId: "s", reason: "timeout"))
        var iterator = live.makeAsyncIterator()
        let next = await iterator.next()
        #expect(next?.id == 103)
        #expect(next?.serverSentEvent == "id: 103\nevent: sessionEnded\ndata: {\"reason\":\"timeout\",\"sessionId\":\"s\"}\n\n")
        for level in 1...3 { log.publish(.padPressed, PadPressedEvent(level: level, levelName: "x")) }
        // Capacity 4: 100…102 are gone; a screen that saw 99 missed some.
        let (kept, lost, _) = log.subscribe(after: 99)
        #expect(kept.map(\.id) == [103, 104, 105, 106])
        #expect(lost)
        // A screen that is up to date gets nothing again and no resync.
        let (none, noGap, _) = log.subscribe(after: 106)
        #expect(none.isEmpty && !noGap)
        // Without Last-Event-ID, a new screen starts from now.
        #expect(log.subscribe(after: nil).replay.isEmpty)
    }

    @Test func simulatorsFeedTheCameraPressThePadAndAreRefusedForRealDevices() async throws {
        let data = try TemporaryDirectory("sim")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: RepoPaths.defaultConfig, dataDirectory: data.path),
                                      logger: Logger(label: "test"))
        let (_, _, events) = kiosk.events.subscribe(after: nil)
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/api/v1/sim/pad/press", method: .post, body: ByteBuffer(string: #"{"level":1}"#)) {
                #expect($0.status == .accepted)
            }
            try await client.execute(uri: "/api/v1/sim/pad/press", method: .post, body: ByteBuffer(string: #"{"level":6}"#)) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.execute(uri: "/api/v1/sim/pad/press", method: .post, body: ByteBuffer(string: #"{"level":"1"}"#)) {
                #expect($0.status == .badRequest)
            }
            // The camera: a page fed, then captured by a page request without a body.
            let session = try await client.execute(uri: "/api/v1/sessions", method: .post) {
                try #require(try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])["id"] as? String ?? ""
            }
            let card = #"{"name":"李四","idNumber":"11010519491231002X"}"#
            try await client.execute(uri: "/api/v1/sim/idcard/place", method: .post, body: ByteBuffer(string: card)) { _ in }
            let read = try #require(kiosk.devices.compactMap { $0 as? IDCardReaderService }.first?.currentCard)
            await kiosk.sessions.cardInserted(.init(read))
            let filing = try await client.execute(uri: "/api/v1/sessions/\(session)/filings", method: .post,
                                                  body: ByteBuffer(string: #"{"itemCode":"11370481004396815B3707104001000001"}"#)) {
                try #require(try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])["id"] as? String ?? ""
            }
            // A page fed to the simulator is captured as it is, after the quality check.
            let page = try SyntheticPage(width: 1296, height: 972, seed: 11).jpeg()
            try await client.execute(uri: "/api/v1/sim/camera/next-page", method: .post, headers: [.contentType: "image/jpeg"],
                                     body: ByteBuffer(bytes: page)) { #expect($0.status == .accepted) }
            try await client.execute(uri: "/api/v1/sim/camera/next-page", method: .post, headers: [.contentType: "image/jpeg"],
                                     body: ByteBuffer(string: "not a jpeg")) { #expect($0.status == .unprocessableContent) }
            try await client.execute(uri: "/api/v1/filings/\(filing)/materials/M03/pages", method: .post) { response in
                #expect(response.status == .created)
                let sha = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])["sha256"] as? String
                #expect(try Data(contentsOf: URL(fileURLWithPath: kiosk.pages.path(try #require(sha)))) == Data(page))
            }
            // A blurred page and a dark page are refused with the screen's reason and not kept.
            let filesBefore = try FileManager.default.contentsOfDirectory(atPath: kiosk.dataDirectory + "/pages").count
            for (settings, reason, title) in [((4, 1.0), "blurred", "图像模糊，请放平材料后重拍"), ((0, 0.25), "tooDark", "光线太暗，请调整后重拍")] {
                let bad = try SyntheticPage(width: 1296, height: 972, seed: 12, blurRadius: settings.0, exposure: settings.1).jpeg()
                try await client.execute(uri: "/api/v1/sim/camera/next-page", method: .post, headers: [.contentType: "image/jpeg"],
                                         body: ByteBuffer(bytes: bad)) { #expect($0.status == .accepted) }
                try await client.execute(uri: "/api/v1/filings/\(filing)/materials/M03/pages", method: .post) { response in
                    #expect(response.status == .unprocessableContent)
                    let problem = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                    #expect(problem["title"] as? String == title)
                    #expect(problem["reason"] as? String == reason)
                }
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: kiosk.dataDirectory + "/pages").count == filesBefore)
            // Nothing fed: the simulator generates a page (the demo's camera).
            try await client.execute(uri: "/api/v1/filings/\(filing)/materials/M03/pages", method: .post) { response in
                #expect(response.status == .created)
                let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(body["pages"] as? Int == 2)
            }
            // The printers are CUPS queues of a server that is not there: not simulated, no paper to set.
            try await client.execute(uri: "/api/v1/sim/printers/receipt/paper", method: .post, body: ByteBuffer(string: #"{"state":"out"}"#)) {
                #expect($0.status == .serviceUnavailable)
            }
            try await client.execute(uri: "/api/v1/sim/printers/receipt/paper", method: .post, body: ByteBuffer(string: #"{"state":"empty"}"#)) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.execute(uri: "/api/v1/sim/printers/nosuch/paper", method: .post, body: ByteBuffer(string: #"{"state":"out"}"#)) {
                #expect($0.status == .notFound)
            }
        }
        // The press went through the simulated pad to the rating logic, which nobody had asked for
        // a rating: ignored and counted, no padPressed for the screen (EvaluationPadAPITests rate).
        #expect(kiosk.padRatings?.counters.ignoredIdle == 1)
        #expect(!kiosk.events.recent(100).contains { $0.type == .padPressed })
        _ = events
    }

    @Test func aSessionLeftAloneWarnsThenEndsAndForgetsItsCitizenAndDrafts() async throws {
        let data = try TemporaryDirectory("timeout")
        defer { data.remove() }
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: RepoPaths.defaultConfig, dataDirectory: data.path, clock: clock),
                                      logger: Logger(label: "test"))
        let (_, _, events) = kiosk.events.subscribe(after: nil)
        let (filing, sha) = try await Application(router: kiosk.makeRouter()).test(.router) { client -> (String, String) in
            let session = try await client.execute(uri: "/api/v1/sessions", method: .post) {
                try #require(try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])["id"] as? String ?? ""
            }
            let card = #"{"name":"王五","idNumber":"11010519491231002X"}"#
            try await client.execute(uri: "/api/v1/sim/idcard/place", method: .post, body: ByteBuffer(string: card)) { _ in }
            await kiosk.sessions.cardInserted(.init(try #require(kiosk.devices.compactMap { $0 as? IDCardReaderService }.first?.currentCard)))
            let filing = try await client.execute(uri: "/api/v1/sessions/\(session)/filings", method: .post,
                                                  body: ByteBuffer(string: #"{"itemCode":"11370481004396815B3707104001000001"}"#)) {
                try #require(try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])["id"] as? String ?? ""
            }
            let sha = try await client.execute(uri: "/api/v1/filings/\(filing)/materials/M03/pages", method: .post,
                                               headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: TestPages.jpeg("wiped with the session"))) {
                try #require(try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])["sha256"] as? String ?? ""
            }
            #expect(FileManager.default.fileExists(atPath: kiosk.pages.path(sha)))

            clock.advance(by: 104)
            await kiosk.sessions.reap()
            try await client.execute(uri: "/api/v1/sessions/\(session)/identity", method: .get) { #expect($0.status == .ok) }
            // The identity read restarted the idle clock; 106 s of silence later the warning comes, at 120 s the end.
            clock.advance(by: 106)
            await kiosk.sessions.reap()
            clock.advance(by: 14)
            await kiosk.sessions.reap()
            try await client.execute(uri: "/api/v1/sessions/\(session)/identity", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("本次办理已结束，请重新开始"))
            }
            try await client.execute(uri: "/api/v1/filings/\(filing)", method: .get) { #expect($0.status == .conflict) }
            return (filing, sha)
        }
        #expect(kiosk.sessions.count == 0)
        #expect(!FileManager.default.fileExists(atPath: kiosk.pages.path(sha)))
        await #expect(try kiosk.desk.draft(id: filing).state == .abandoned)
        await #expect(try kiosk.desk.applicant(draftID: filing) == nil)
        var iterator = events.makeAsyncIterator()
        var seen: [KioskEventType] = []
        while seen.count < 2, let event = await iterator.next() { seen.append(event.type) }
        #expect(seen == [.sessionExpiring, .sessionEnded])
    }
}
