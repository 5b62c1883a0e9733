import DeviceKit
import Foundation
import Hummingbird
import HummingbirdTesting
import KioskTestSupport
import Logging
import NIOCore
import PageImaging
import Testing
@testable import KioskAPI
@testable import KioskRuntime
import KioskServices

/// The camera's preview for the screen (rate-limited) and the simulator's generated pages.
@Suite struct CameraRoutesTests {
    @Test func thePreviewIsASmallJPEGAndIsRateLimited() async throws {
        let data = try TemporaryDirectory("preview")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: RepoPaths.defaultConfig, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/api/v1/camera/preview", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/jpeg")
                let header = try JPEGDecoder.header(Array(buffer: response.body))
                #expect(header == JPEGHeader(width: 640, height: 480))
            }
            // The shipped limit is 5 a second: of 8 asked at once (a preview takes a while to make in a
            // debug build, so they must arrive together), at most 5 are served, the rest refused.
            try await Task.sleep(for: .milliseconds(1100))
            let answers = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await client.execute(uri: "/api/v1/camera/preview", method: .get) { ($0.status, $0.headers[.retryAfter]) }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let statuses = answers.map(\.0)
            let retryAfter = answers.first { $0.0 == .tooManyRequests }?.1
            #expect(statuses.contains(.tooManyRequests), "\(statuses)")
            #expect(statuses.filter { $0 == .ok }.count == 5, "\(statuses)")
            #expect(retryAfter == "1")
            try await Task.sleep(for: .milliseconds(1100))
            try await client.execute(uri: "/api/v1/camera/preview", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func simulatorConditionsBlurTheGeneratedPagesAndAreChecked() async throws {
        let data = try TemporaryDirectory("conditions")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: RepoPaths.defaultConfig, dataDirectory: data.path), logger: Logger(label: "test"))
        let camera = try #require(kiosk.devices.compactMap { $0 as? SimulatedCamera }.first)
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            try await client.execute(uri: "/api/v1/sim/camera/conditions", method: .post, body: ByteBuffer(string: #"{"blurRadius":6}"#)) {
                #expect($0.status == .accepted)
            }
            #expect(camera.conditions == .init(blurRadius: 6, exposure: 1))
            for bad in [#"{"blurRadius":-1}"#, #"{"exposure":0}"#, #"{"exposure":99}"#] {
                try await client.execute(uri: "/api/v1/sim/camera/conditions", method: .post, body: ByteBuffer(string: bad)) {
                    #expect($0.status == .unprocessableContent, "\(bad)")
                }
            }
            try await client.execute(uri: "/api/v1/sim/camera/conditions", method: .post, body: ByteBuffer(string: "{nope")) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/sim/camera/conditions", method: .post, body: ByteBuffer(string: "{}")) {
                #expect($0.status == .accepted)
            }
            #expect(camera.conditions == .init())
        }
    }

    @Test func capturesBeyondTheFilingLimitAreRefusedAndNothingIsKept() async throws {
        let fixture = try ConfigFixture()
        let data = try TemporaryDirectory("limits")
        defer { fixture.remove(); data.remove() }
        try fixture.replaceFirst("  maximumPageKilobytes: 10240", with: "  maximumPageKilobytes: 1024", in: "kiosk.yaml")
        try fixture.replaceFirst("  maximumFilingMegabytes: 100", with: "  maximumFilingMegabytes: 1", in: "kiosk.yaml")
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            let filing = try await Self.openBirthRegistration(client, kiosk)
            // The simulator's 5 MP pages are about 600 KB: the first fits the 1 MiB filing, the second does not.
            try await client.execute(uri: "/api/v1/filings/\(filing)/materials/M03/pages", method: .post) { #expect($0.status == .created) }
            try await client.execute(uri: "/api/v1/filings/\(filing)/materials/M03/pages", method: .post) { response in
                #expect(response.status == .contentTooLarge)
                let problem = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(problem["type"] as? String == "https://onewindow.local/problems/filing-too-large")
                #expect(problem["title"] as? String == "本次申请的材料页数过多，请删除部分页面后再拍")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: data.file("pages")).count == 1)
        }
    }

    /// An uploaded page meets the same check as a captured one: a blurred, a dark and an
    /// undecodable upload are refused with the screen's reason and not kept; a sharp one is kept.
    @Test func uploadedPagesAreQualityCheckedToo() async throws {
        let data = try TemporaryDirectory("upload-check")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: RepoPaths.defaultConfig, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            let filing = try await Self.openBirthRegistration(client, kiosk)
            let refused: [(String, [UInt8], String)] = [
                ("blurred", try SyntheticPage(width: 1296, height: 972, seed: 3, blurRadius: 6).jpeg(), "图像模糊，请放平材料后重拍"),
                ("dark", try SyntheticPage(width: 1296, height: 972, seed: 4, exposure: 0.25).jpeg(), "光线太暗，请调整后重拍"),
                ("truncated", Array(TestPages.base.prefix(300)), ""),
            ]
            for (what, bytes, title) in refused {
                try await client.execute(uri: "/api/v1/filings/\(filing)/materials/M03/pages", method: .post,
                                         headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: bytes)) { response in
                    #expect(response.status == .unprocessableContent, "\(what)")
                    let problem = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                    #expect(problem["type"] as? String == "https://onewindow.local/problems/page-quality", "\(what)")
                    if !title.isEmpty { #expect(problem["title"] as? String == title, "\(what)") }
                    #expect((problem["detail"] as? String)?.contains("uploaded page") == true, "\(what)")
                }
            }
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: data.file("pages"))) ?? []).isEmpty)
            try await client.execute(uri: "/api/v1/filings/\(filing)/materials/M03/pages", method: .post,
                                     headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: TestPages.jpeg("sharp"))) {
                #expect($0.status == .created)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: data.file("pages")).count == 1)
        }
    }

    /// The data directory on a real 8 MiB tmpfs (mounting needs root, as `make test` runs): less free
    /// space than the 32 MiB reserve refuses the capture with 507 and the screen's sentence; nothing
    /// is written and the store keeps working.
    @Test func aFullDataDiskRefusesCapturesWith507() async throws {
        let scratch = try TemporaryDirectory("full-disk")
        defer { scratch.remove() }
        let mountPoint = scratch.file("data")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try ChildProcess.run(try ChildProcess.which("mount", package: "mount"), ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mountPoint])
        try #require(mount.status == 0, "mounting a tmpfs needs root: \(mount.stderr)")
        // Lazy: the kiosk in this process still holds its store open, and a plain umount would leave the mount behind.
        defer { _ = try? ChildProcess.run("/bin/umount", ["-l", mountPoint]) }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: RepoPaths.defaultConfig, dataDirectory: mountPoint), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in
            let filing = try await Self.openBirthRegistration(client, kiosk)
            try await client.execute(uri: "/api/v1/filings/\(filing)/materials/M03/pages", method: .post) { response in
                #expect(response.status.code == 507)
                let problem = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(problem["type"] as? String == "https://onewindow.local/problems/disk-full")
                #expect(problem["title"] as? String == "存储空间不足，暂时无法拍照，请联系工作人员")
            }
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: mountPoint + "/pages")) ?? []).isEmpty)
            // The draft is intact and still answers.
            try await client.execute(uri: "/api/v1/filings/\(filing)", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func theLimiterAdmitsNPerSlidingSecond() {
        let limiter = PreviewRateLimiter(perSecond: 2)
        let start = ContinuousClock.now
        #expect(limiter.admit(now: start))
        #expect(limiter.admit(now: start + .milliseconds(100)))
        #expect(!limiter.admit(now: start + .milliseconds(900)))
        #expect(limiter.admit(now: start + .milliseconds(1001)))
        #expect(!limiter.admit(now: start + .milliseconds(1050)))
        #expect(limiter.admit(now: start + .milliseconds(1101)))
    }

    @Test func theSimulatorGeneratesPagesThatPassAndBlurredOnesThatAreRefused() async throws {
        let camera = SimulatedCamera(binding: .init(id: "camera", kind: .documentCamera, driver: .simulated),
                                     profile: .init(name: "t", capture: .init(width: 1296, height: 972, format: .mjpeg)))
        let first = try await camera.capture()
        let second = try await camera.capture()
        #expect(first != second)   // a new seed each time
        #expect(PageQualityCheck.check(jpeg: first).passed)
        camera.set(conditions: .init(blurRadius: 4))
        #expect(PageQualityCheck.check(jpeg: try await camera.capture()).problem == .blurred)
        camera.set(conditions: .init(exposure: 0.25))
        #expect(PageQualityCheck.check(jpeg: try await camera.capture()).problem == .tooDark)
        _ = try await camera.reset()
        #expect(PageQualityCheck.check(jpeg: try await camera.capture()).passed)
        let off = SimulatedCamera(binding: .init(id: "camera", kind: .documentCamera, driver: .simulated), generatesPages: false)
        await #expect(throws: CaptureError.noPage) { try await off.capture() }
    }

    /// A session with 李四's card read and a 出生登记 draft open; returns the draft's id.
    static func openBirthRegistration(_ client: some TestClientProtocol, _ kiosk: Kiosk) async throws -> String {
        let session = try await client.execute(uri: "/api/v1/sessions", method: .post) {
            try #require(try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])["id"] as? String ?? ""
        }
        try await client.execute(uri: "/api/v1/sim/idcard/place", method: .post,
                                 body: ByteBuffer(string: #"{"name":"李四","idNumber":"11010519491231002X"}"#)) { _ in }
        await kiosk.sessions.cardInserted(.init(try #require(kiosk.devices.compactMap { $0 as? IDCardReaderService }.first?.currentCard)))
        return try await client.execute(uri: "/api/v1/sessions/\(session)/filings", method: .post,
                                        body: ByteBuffer(string: #"{"itemCode":"11370481004396815B3707104001000001"}"#)) {
            try #require(try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])["id"] as? String ?? ""
        }
    }
}
