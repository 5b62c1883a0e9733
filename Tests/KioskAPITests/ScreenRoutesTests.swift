import Foundation
import Workflow
import FrontDesk
import Hummingbird
import HummingbirdTesting
import KioskTestSupport
import Logging
import NIOCore
import Testing
@testable import KioskAPI
@testable import KioskRuntime

/// The touch screen's routes in process: the page and its assets, the settings, the keepalive and
/// what does not keep a session alive (the camera preview), the queue categories,
/// the one-time notice slip, the QR SVG and the voice route's refusals.
@Suite struct ScreenRoutesTests {
    @Test func thePageAndItsAssetsAreServedWithTheirTypes() async throws {
        let data = try TemporaryDirectory("screen")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: RepoPaths.defaultConfig, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let html = String(buffer: response.body)
                #expect(html.contains("<html lang=\"zh-CN\">") && html.contains("/screen/app.js"))
                // No CDN, no web font: every reference is local.
                #expect(!html.contains("http://") && !html.contains("https://"))
            }
            try await client.execute(uri: "/screen/app.js", method: .get) { #expect($0.headers[.contentType] == "text/javascript; charset=utf-8") }
            try await client.execute(uri: "/screen/screen.css", method: .get) { response in
                #expect(response.headers[.contentType] == "text/css; charset=utf-8")
                #expect(!String(buffer: response.body).contains("@font-face") && !String(buffer: response.body).contains(":hover"))
            }
            try await client.execute(uri: "/screen/..%2Fopenapi.yaml", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/v1/screen/settings", method: .get) { response in
                let settings = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(settings["hallName"] as? String == "滕州市政务服务中心24小时自助服务区")
                #expect(settings["sessionTimeoutSeconds"] as? Int == 120)
                #expect((settings["towns"] as? [Any])?.isEmpty == false)
            }
        }
    }

    @Test func aTapsKeepaliveRestartsTheIdleClockAndThePreviewDoesNot() async throws {
        let data = try TemporaryDirectory("screen")
        defer { data.remove() }
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000))
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: RepoPaths.defaultConfig, dataDirectory: data.path, clock: clock),
                                      logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            let session = try await client.execute(uri: "/api/v1/sessions", method: .post) {
                try #require(try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])["id"] as? String ?? ""
            }
            clock.advance(by: 100)
            try await client.execute(uri: "/api/v1/sessions/\(session)/keepalive", method: .post) { response in
                #expect(response.status == .ok)
                let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(body["id"] as? String == session)
            }
            // 119 s after the tap the preview is still being shown: it names no session and does not count
            // (nor does the event stream, which names none either; the browser test times out with both open).
            clock.advance(by: 119)
            for _ in 0..<3 { try await client.execute(uri: "/api/v1/camera/preview", method: .get) { _ in } }
            await kiosk.sessions.reap()
            #expect(kiosk.sessions.count == 1)
            clock.advance(by: 2)
            await kiosk.sessions.reap()
            #expect(kiosk.sessions.count == 0)
            try await client.execute(uri: "/api/v1/sessions/\(session)/keepalive", method: .post) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("session-ended"))
            }
        }
    }

    @Test func queueCategoriesNoticeSlipQRAndVoiceRefusals() async throws {
        let data = try TemporaryDirectory("screen")
        defer { data.remove() }
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        try fixture.bindPrintersToSimulator()
        try fixture.replaceFirst("voicePrompts: true", with: "voicePrompts: false", in: "screen.yaml")
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/api/v1/tickets", method: .post, body: ByteBuffer(string: #"{"category":"real-estate"}"#)) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/api/v1/queue/categories", method: .get) { response in
                let categories = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
                let estate = try #require(categories.first { $0["code"] as? String == "real-estate" })
                #expect(estate["prefix"] as? String == "C" && estate["name"] as? String == "不动产登记")
                #expect(estate["waiting"] as? Int == 1)
                #expect(categories.first { $0["code"] as? String == "social-insurance" }?["waiting"] as? Int == 0)
            }
            try await client.execute(uri: "/api/v1/catalog/items/1237040049308563813720124002000001/notice/print", method: .post) { response in
                #expect(response.status == .created)
                #expect(String(buffer: response.body).contains("\"state\":\"completed\""))
            }
            try await client.execute(uri: "/api/v1/catalog/bundles/YJS-370481-001/notice/print", method: .post) { #expect($0.status == .created) }
            try await client.execute(uri: "/api/v1/catalog/items/nope/notice/print", method: .post) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/v1/qr?text=https%3A%2F%2Fx.cn%2Fp%2Fabc", method: .get) { response in
                #expect(response.headers[.contentType] == "image/svg+xml")
                let svg = String(buffer: response.body)
                #expect(svg.hasPrefix("<svg") && svg.contains("<path d=\"M"))
            }
            try await client.execute(uri: "/api/v1/qr", method: .get) { #expect($0.status == .unprocessableContent) }
            try await client.execute(uri: "/api/v1/voice?text=%E8%AF%B7", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("voice-off"))
            }
        }
        #expect(VoicePrompts.isSpeakable("请将身份证放在读卡区"))
        #expect(!VoicePrompts.isSpeakable("") && !VoicePrompts.isSpeakable("-v en") && !VoicePrompts.isSpeakable("a\u{7}b")
                    && !VoicePrompts.isSpeakable(String(repeating: "字", count: 81)))
    }
}
