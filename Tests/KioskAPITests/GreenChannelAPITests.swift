import Foundation
import DeviceKit
import Hummingbird
import HummingbirdTesting
import KioskConfig
import KioskTestSupport
import Logging
import NIOCore
import Testing
@testable import KioskAPI
@testable import KioskRuntime

/// 绿色通道 through the API: the grounds the screen offers, a card holder old enough by the card's
/// birth date, a declared ground, a ground the hall does not offer, and the window's view.
@Suite struct GreenChannelAPITests {
    func json(_ buffer: ByteBuffer) throws -> [String: Any] { try InProcessKiosk.json(buffer) }

    @Test func theCardsBirthDateAndADeclarationMakePriorityTicketsWithTheirReason() async throws {
        let fixture = try InProcessKiosk.fixture { fixture in
            try fixture.replaceFirst("grounds: [elderly, disabled, pregnant]", with: "grounds: [elderly, disabled]", in: "queue.yaml")
        }
        let data = try TemporaryDirectory("green-api")
        defer { fixture.remove(); data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/api/v1/queue/green-channel", method: .get) { response in
                #expect(response.status == .ok)
                let body = try json(response.body)
                #expect(body["grounds"] as? [String] == ["elderly", "disabled"])
                #expect(body["declarable"] as? [String] == ["disabled"])
                #expect(body["elderlyAge"] as? Int == 65)
            }
            let session = try await client.execute(uri: "/api/v1/sessions", method: .post) { try json($0.body)["id"] as? String ?? "" }
            let card = #"{"name":"张三","idNumber":"11010519491231002X","sex":"male","nation":"汉","birthDate":"1949-12-31"}"#
            try await client.execute(uri: "/api/v1/sim/idcard/place", method: .post, body: ByteBuffer(string: card)) { #expect($0.status == .accepted) }
            let read = try #require(kiosk.devices.compactMap { $0 as? IDCardReaderService }.first?.currentCard)
            await kiosk.sessions.cardInserted(.init(read))

            let elder = try await client.execute(uri: "/api/v1/tickets", method: .post,
                                                 body: ByteBuffer(string: #"{"category":"general","sessionId":"\#(session)"}"#)) {
                #expect($0.status == .created)
                return try json($0.body)
            }
            #expect(elder["priority"] as? Bool == true && elder["priorityReason"] as? String == "elderly")
            let declared = try await client.execute(uri: "/api/v1/tickets", method: .post,
                                                    body: ByteBuffer(string: #"{"category":"general","greenChannel":"disabled"}"#)) {
                #expect($0.status == .created)
                return try json($0.body)
            }
            #expect(declared["priorityReason"] as? String == "disabled" && declared["waiting"] as? Int == 1)
            // Not offered by this hall: refused with its own problem, nothing issued.
            try await client.execute(uri: "/api/v1/tickets", method: .post, body: ByteBuffer(string: #"{"category":"general","greenChannel":"pregnant"}"#)) {
                #expect($0.status == .conflict)
                let problem = try json($0.body)
                #expect(problem["type"] as? String == "https://onewindow.local/problems/green-channel-not-offered")
                #expect((problem["title"] as? String)?.contains("绿色通道") == true)
            }
            // The elderly ground is never declared: it comes from the card.
            try await client.execute(uri: "/api/v1/tickets", method: .post, body: ByteBuffer(string: #"{"category":"general","greenChannel":"elderly"}"#)) {
                #expect($0.status == .badRequest)
            }
            let ordinary = try await client.execute(uri: "/api/v1/tickets", method: .post, body: ByteBuffer(string: #"{"category":"general"}"#)) {
                try json($0.body)
            }
            #expect(ordinary["priority"] as? Bool == false && ordinary["priorityReason"] == nil && ordinary["waiting"] as? Int == 2)
            #expect(try await kiosk.desk.waitingCount(category: "general") == 3)
        }
    }
}
