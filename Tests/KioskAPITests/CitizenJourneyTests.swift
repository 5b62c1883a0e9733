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

/// The citizen journey through the HTTP API in-process, on the shipped configuration with a
/// simulated card reader (printers point at a CUPS that is not there, so slips are held).
@Suite struct CitizenJourneyTests {
    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    @Test func sessionCardFilingPagesSubmitProgressRating() async throws {
        let data = try TemporaryDirectory("journey")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: RepoPaths.defaultConfig, dataDirectory: data.path),
                                      logger: Logger(label: "test"))
        let app = Application(router: kiosk.makeRouter())
        try await app.test(.router) { client in
            let session = try await client.execute(uri: "/api/v1/sessions", method: .post) { response in
                #expect(response.status == .created)
                return try json(response.body)["id"] as? String ?? ""
            }
            try await client.execute(uri: "/api/v1/sessions/\(session)/identity", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                let body = try json(response.body)

                #expect(body["title"] as? String == "请将身份证放在读卡区")
            }
            let card = #"{"name":"张三","idNumber":"11010519491231002X","sex":"male","nation":"汉","birthDate":"1949-12-31"}"#
            try await client.execute(uri: "/api/v1/sim/idcard/place", method: .post, body: ByteBuffer(string: card)) { response in
                #expect(response.status == .accepted)
            }
            // The reader service is not running in this in-process test: hand the read card to the sessions.
            let read = try #require(kiosk.devices.compactMap { $0 as? IDCardReaderService }.first?.currentCard)
            await kiosk.sessions.cardInserted(.init(read))
            try await client.execute(uri: "/api/v1/sessions/\(session)/identity", method: .get) { response in
                let identity = try json(response.body)
                #expect(identity["idNumber"] as? String == "1101**********002X")
                #expect(identity["name"] as? String == "张*")
            }

            let filing = try await client.execute(uri: "/api/v1/sessions/\(session)/filings", method: .post,
                                                  body: ByteBuffer(string: #"{"itemCode":"11370481004396815B3707104001000001"}"#)) { response in
                #expect(response.status == .created)
                return try json(response.body)["id"] as? String ?? ""
            }
            for (material, copy) in [("M03", 0), ("M02", 0), ("M02", 1), ("M26", 0)] {
                let page = ByteBuffer(bytes: TestPages.jpeg("\(material)-\(copy)"))
                try await client.execute(uri: "/api/v1/filings/\(filing)/materials/\(material)/pages", method: .post,
                                         headers: [.contentType: "image/jpeg"], body: page) { response in
                    #expect(response.status == .created)
                }
            }
            try await client.execute(uri: "/api/v1/filings/\(filing)/materials/M03/pages", method: .post,
                                     headers: [.contentType: "image/png"], body: ByteBuffer(string: "png")) { response in
                #expect(response.status == .unsupportedMediaType)
            }
            try await client.execute(uri: "/api/v1/filings/\(filing)/submit", method: .post, body: ByteBuffer(string: "{not json")) { response in
                #expect(response.status == .badRequest)
                let body = try json(response.body)

                #expect(body["detail"] != nil)
            }
            let submitted = try await client.execute(uri: "/api/v1/filings/\(filing)/submit", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .created)
                return try json(response.body)
            }
            #expect(submitted["status"] as? String == "accepted")
            let number = try #require(submitted["number"] as? String)
            #expect(number.hasPrefix("370481-TZ01-"))
            #expect((submitted["slip"] as? [String: Any])?["jobId"] as? Int == 1)
            let url = try #require(submitted["progressUrl"] as? String)
            let token = String(url.split(separator: "/").last!)

            try await client.execute(uri: "/api/v1/progress/\(token)", method: .get) { response in
                let body = String(buffer: response.body)
                #expect(response.status == .ok)
                #expect(body.contains("\"statusName\":\"已受理\""))
                #expect(!body.contains("张三") && !body.contains("11010519491231002X"))
            }
            try await client.execute(uri: "/p/\(token)", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(String(buffer: response.body).contains("已受理"))
            }
            try await client.execute(uri: "/p/nosuchtoken", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/evaluations", method: .post,
                                     body: ByteBuffer(string: #"{"filingNumber":"\#(number)","level":2,"comment":"等太久","sessionId":"\#(session)"}"#)) { response in
                #expect(response.status == .created)
                let body = try json(response.body)

                #expect(body["rectification"] as? String == "pendingVerification")
            }
            try await client.execute(uri: "/api/v1/evaluations", method: .post,
                                     body: ByteBuffer(string: #"{"filingNumber":"\#(number)","level":5,"sessionId":"\#(session)"}"#)) { response in
                #expect(response.status == .conflict)
                let body = try json(response.body)

                #expect(body["title"] as? String == "该服务已评价，感谢您的参与")
            }
            try await client.execute(uri: "/api/v1/evaluations", method: .post, body: ByteBuffer(string: #"{"filingNumber":"x","level":"five"}"#)) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/tickets", method: .post,
                                     body: ByteBuffer(string: #"{"category":"general","sessionId":"\#(session)"}"#)) { response in
                #expect(response.status == .created)
                let body = try json(response.body)

                #expect(body["ticket"] as? String == "G001")
            }

            // A second draft left open is wiped when the session ends.
            let open = try await client.execute(uri: "/api/v1/sessions/\(session)/filings", method: .post,
                                                body: ByteBuffer(string: #"{"bundleCode":"YJS-370481-001"}"#)) { response in
                try json(response.body)["id"] as? String ?? ""
            }
            try await client.execute(uri: "/api/v1/sessions/\(session)", method: .delete) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/sessions/\(session)/identity", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/filings/\(open)", method: .get) { response in
                #expect(response.status == .conflict)
            }
            await #expect(try kiosk.desk.applicant(draftID: open) == nil)
        }
    }
}
