import Crypto
import DeviceKit
import Foundation
import FrontDesk
import HTTPTypes
import Hummingbird
import KioskConfig
import NIOCore
import Slips
import Workflow

/// The citizen's touch screen as kioskd serves it: the page (`GET /`) and its assets
/// (`GET /screen/{file}`, plain HTML, CSS and JavaScript modules shipped as resources of this
/// target, read once at start), and the few routes the screen needs beyond the citizen API: its
/// settings, the queue categories with people waiting, the one-time notice printed, a QR code as
/// SVG, Mandarin voice prompts, and the session keep-alive the page sends when the citizen taps.
public struct ScreenRoutes: Sendable {
    /// What the screen is told at start (`GET /api/v1/screen/settings`).
    public struct Settings: Sendable, Encodable {
        public var hallName: String
        public var kioskId: String
        public var consultationPhone: String?
        public var voicePrompts: Bool
        public var sessionTimeoutSeconds: Int
        public var warningSeconds: Int
        public var previewsPerSecond: Int
        public var addressPrefix: String?
        public var towns: [ScreenSettings.Town]
        /// How many times the hall display speaks each call (kiosk.yaml `hall.callRepeat`, default 2).
        public var callRepeat: Int
        /// This kiosk's filing numbers begin so (`370481-TZ01-`): 补交 by number asks only the date and sequence.
        public var filingNumberPrefix: String?

        public init(hallName: String, kioskId: String, consultationPhone: String?, voicePrompts: Bool, sessionTimeoutSeconds: Int,
                    warningSeconds: Int, previewsPerSecond: Int, addressPrefix: String?, towns: [ScreenSettings.Town], callRepeat: Int = 2,
                    filingNumberPrefix: String? = nil) {
            self.callRepeat = callRepeat
            self.filingNumberPrefix = filingNumberPrefix
            self.hallName = hallName
            self.kioskId = kioskId
            self.consultationPhone = consultationPhone
            self.voicePrompts = voicePrompts
            self.sessionTimeoutSeconds = sessionTimeoutSeconds
            self.warningSeconds = warningSeconds
            self.previewsPerSecond = previewsPerSecond
            self.addressPrefix = addressPrefix
            self.towns = towns
        }
    }

    struct Asset: Sendable {
        var bytes: [UInt8]
        var contentType: String
    }

    struct QueueCategoryView: ResponseEncodable {
        var code: String
        var name: String
        var prefix: String
        var description: String?
        var waiting: Int
        var acceptsAppointments: Bool
    }

    /// The hall's green channel as the ticket screen needs it.
    struct GreenChannelView: ResponseEncodable {
        var grounds: [String]
        var elderlyAge: Int?
        var declarable: [String]

        init(_ green: GreenChannel) {
            grounds = PriorityReason.allCases.filter { green.grounds.contains($0) }.map(\.rawValue)
            elderlyAge = green.grounds.contains(.elderly) ? green.elderlyAge : nil
            declarable = green.declarable.map(\.rawValue)
        }
    }

    struct NoticePrinted: ResponseEncodable {
        var jobId: Int64?
        var state: String
        var message: String?
    }

    struct KeptAlive: ResponseEncodable {
        var id: String
        var expiresAt: Date
    }

    let settings: Settings
    let citizen: CitizenRoutes
    let assets: [String: Asset]
    let voice: VoicePrompts?

    /// `voiceCache` is where spoken prompts are kept (`<data>/voice`); nil or `settings.voicePrompts`
    /// false: the voice route answers 404 `voice-off`.
    public init(settings: Settings, citizen: CitizenRoutes, voiceCache: String?) throws {
        self.settings = settings
        self.citizen = citizen
        assets = try Self.loadAssets()
        voice = (settings.voicePrompts ? voiceCache : nil).map { VoicePrompts(directory: $0) }
    }

    /// The screen's files, by name, from the `Screen` resource folder.
    static func loadAssets() throws -> [String: Asset] {
        guard let folder = Bundle.module.url(forResource: "Screen", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "the Screen folder is missing from the KioskAPI resources"])
        }
        var found: [String: Asset] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let type: String
            switch (name as NSString).pathExtension {
            case "html": type = "text/html; charset=utf-8"
            case "js": type = "text/javascript; charset=utf-8"
            case "css": type = "text/css; charset=utf-8"
            case "svg": type = "image/svg+xml"
            default: continue
            }
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            found[name] = Asset(bytes: [UInt8](data), contentType: type)
        }
        return found
    }

    public func add(to router: Router<KioskRequestContext>) {
        router.get("/") { _, _ -> Response in
            try asset("index.html")
        }
        router.get("/hall") { _, _ -> Response in
            try asset("hall.html")
        }
        router.get("/window") { _, _ -> Response in
            try asset("window.html")
        }
        router.get("/fleet") { _, _ -> Response in
            try asset("fleet.html")
        }
        router.get("/screen/{file}") { _, context -> Response in
            try asset(try context.parameters.require("file"))
        }
        router.get("/api/v1/screen/settings") { _, _ -> Response in
            let data = try KioskJSON.encoder.encode(settings)
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.post("/api/v1/sessions/{id}/keepalive") { _, context -> KeptAlive in
            // Only the page's handling of a citizen's tap sends this: the preview, the event stream
            // and the page's own checks carry no session and never keep one alive.
            let session = try citizen.visit.liveSession(try context.parameters.require("id"))
            return KeptAlive(id: session.id, expiresAt: session.expiresAt(timeout: citizen.sessions.timeout))
        }
        router.get("/api/v1/queue/categories") { _, _ -> [QueueCategoryView] in
            var views: [QueueCategoryView] = []
            for category in citizen.desk.categories {
                let waiting = try await citizen.desk.waitingCount(category: category.code)
                views.append(QueueCategoryView(code: category.code, name: category.name, prefix: category.prefix,
                                               description: category.description, waiting: waiting,
                                               acceptsAppointments: category.acceptsAppointments ?? false))
            }
            return views
        }
        router.get("/api/v1/queue/green-channel") { _, _ -> GreenChannelView in
            GreenChannelView(citizen.desk.greenChannel)
        }
        router.post("/api/v1/catalog/items/{code}/notice/print") { _, context -> EditedResponse<NoticePrinted> in
            try await printNotice(.item(try context.parameters.require("code")))
        }
        router.post("/api/v1/catalog/bundles/{code}/notice/print") { _, context -> EditedResponse<NoticePrinted> in
            try await printNotice(.bundle(try context.parameters.require("code")))
        }
        router.get("/api/v1/qr") { request, _ -> Response in
            guard let text = request.uri.queryParameters.get("text"), !text.isEmpty, text.utf8.count <= 512 else {
                throw APIProblem.invalid("text must be 1–512 bytes")
            }
            let matrix: QRMatrix
            do throws(QRError) { matrix = try QRMatrix(text) } catch { throw APIProblem.invalid(error.description) }
            return Response(status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: Self.svg(matrix))))
        }
        router.get("/api/v1/voice") { request, _ -> Response in
            guard let voice else {
                throw APIProblem(.notFound, code: "voice-off", title: "语音提示未开启", detail: "voice prompts are switched off (screen.yaml voicePrompts)")
            }
            guard let text = request.uri.queryParameters.get("text"), VoicePrompts.isSpeakable(text) else {
                throw APIProblem.invalid("text must be 1–80 characters of speakable text")
            }
            let wav: [UInt8]
            do { wav = try await voice.wav(text) } catch {
                throw APIProblem(.serviceUnavailable, code: "voice-failed", title: "语音提示暂不可用", detail: "\(error)")
            }
            return Response(status: .ok, headers: [.contentType: "audio/wav", .cacheControl: "max-age=86400"],
                            body: .init(byteBuffer: ByteBuffer(bytes: wav)))
        }
    }

    func asset(_ name: String) throws -> Response {
        guard let asset = assets[name] else { throw APIProblem.notFound("no screen file \(name)") }
        return Response(status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "no-cache"],
                        body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }

    func printNotice(_ subject: FilingSubject) async throws -> EditedResponse<NoticePrinted> {
        let guide: ServiceGuide
        do { guide = try ServiceGuide(subject: subject, catalogue: citizen.desk.catalogue) } catch {
            throw APIProblem.notFound("no such item or bundle")
        }
        guard let outcome = await citizen.slips.printOneTimeNotice(guide, subject: subject) else {
            throw APIProblem(.serviceUnavailable, code: "no-printer", title: "告知单暂无法打印，请在屏幕上查看或到服务窗口咨询",
                             detail: "no printer is configured")
        }
        return EditedResponse(status: .created, response: NoticePrinted(jobId: outcome.jobId, state: outcome.state, message: outcome.message))
    }

    /// A QR symbol as an SVG with its quiet zone, one unit per module.
    static func svg(_ matrix: QRMatrix) -> String {
        let side = matrix.size + 2 * QRMatrix.quietZone
        var path = ""
        path.reserveCapacity(matrix.size * matrix.size * 6)
        for y in 0..<matrix.size {
            var x = 0
            while x < matrix.size {
                guard matrix.isDark(x: x, y: y) else { x += 1; continue }
                var run = 1
                while x + run < matrix.size, matrix.isDark(x: x + run, y: y) { run += 1 }
                path += "M\(x + QRMatrix.quietZone) \(y + QRMatrix.quietZone)h\(run)v1h-\(run)z"
                x += run
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/><path d="\(path)" fill="#000"/></svg>
            """
    }
}

/// Mandarin voice prompts spoken by `espeak-ng -v cmn`, one WAV per text, cached as
/// `<directory>/<sha256 of the text>.wav` (at most `cacheLimit` files; beyond, texts are spoken
/// but not kept). One synthesis at a time.
public actor VoicePrompts {
    let directory: String
    let cacheLimit: Int
    let executable: String

    public init(directory: String, cacheLimit: Int = 500, executable: String = "/usr/bin/espeak-ng") {
        self.directory = directory
        self.cacheLimit = cacheLimit
        self.executable = executable
    }

    /// Whether a text may be spoken: 1–80 characters, no control characters, not option-like.
    public static func isSpeakable(_ text: String) -> Bool {
        (1...80).contains(text.count) && !text.hasPrefix("-") && !text.unicodeScalars.contains { scalar in unspeakable.contains { $0.contains(scalar.value) } }
    }

    /// Control characters and the invisible formatting ones, exactly the set `openapi.yaml`'s
    /// pattern for `text` excludes (so the document and the route agree on what is valid).
    static let unspeakable: [ClosedRange<UInt32>] = [0x00...0x1F, 0x7F...0x9F, 0xAD...0xAD, 0x200B...0x200F, 0x202A...0x202E,
                                                     0x2060...0x206F, 0xFEFF...0xFEFF]

    /// The prompt's WAV bytes, from the cache or spoken now.
    public func wav(_ text: String) async throws -> [UInt8] {
        let name = SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined() + ".wav"
        let path = directory + "/" + name
        if let cached = FileManager.default.contents(atPath: path) { return [UInt8](cached) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let count = (try? FileManager.default.contentsOfDirectory(atPath: directory).count) ?? 0
        let keep = count < cacheLimit
        // Each request speaks into its own file: two asking for the same prompt at once (the hall
        // display and a phone, two displays) never write one file together.
        let target = keep ? path + ".\(UUID().uuidString).part" : directory + "/uncached-\(UUID().uuidString).wav"
        try await Self.speak(text, to: target, executable: executable)
        defer { if !keep { try? FileManager.default.removeItem(atPath: target) } }
        guard let bytes = FileManager.default.contents(atPath: target), !bytes.isEmpty else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "espeak-ng wrote no audio"])
        }
        // Atomic: a prompt is either cached whole or not at all.
        if keep, rename(target, path) != 0 { try? FileManager.default.removeItem(atPath: target) }
        return [UInt8](bytes)
    }

    static func speak(_ text: String, to path: String, executable: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-v", "cmn", "-s", "150", "-w", path, text]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        guard status == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "espeak-ng exited with \(status)"])
        }
    }
}
