import DeviceKit
import Foundation
import FrontDesk
import HTTPTypes
import Hummingbird
import IDCard
import KioskConfig
import NIOCore
import Printing
import Workflow

/// Routes that drive the simulated devices (the demo and the acceptance tests): 404 when the
/// device is real, so they can never fake a card on a kiosk with a reader.
public struct SimulatorRoutes: Sendable {
    let reader: IDCardReaderService?
    let devices: [any KioskDevice]
    let camera: SimulatedCamera?
    /// The simulated evaluation pad, pressed by `POST /api/v1/sim/pad/press`.
    let pad: EvaluationPadDevice?
    let events: KioskEventLog
    /// kioskd's `--test-clock` (nil on any other kiosk: the clock routes answer 404).
    let testClock: OffsetClock?
    /// The front desk a test-clock kiosk sweeps on demand (deadlines passed by the moved clock).
    let desk: FrontDesk?
    /// Called after a simulated device changed, so health and maintenance follow at once.
    let onChange: @Sendable () async -> Void

    public init(devices: [any KioskDevice], events: KioskEventLog, testClock: OffsetClock? = nil, desk: FrontDesk? = nil,
                onChange: @escaping @Sendable () async -> Void = {}) {
        self.testClock = testClock
        self.desk = desk
        reader = devices.compactMap { $0 as? IDCardReaderService }.first { $0.simulator != nil }
        camera = devices.compactMap { $0 as? SimulatedCamera }.first
        pad = devices.compactMap { $0 as? EvaluationPadDevice }.first { $0.simulator != nil }
        self.devices = devices
        self.events = events
        self.onChange = onChange
    }

    struct PadPress: Decodable { var level: Int }
    /// Moves the test clock forward: by `seconds`, or to the instant `to` (ISO 8601, not in the past).
    struct ClockMove: Decodable {
        var seconds: Double?
        var to: String?
    }
    struct ClockNow: ResponseEncodable {
        var now: Date
        var offsetSeconds: Double
    }
    /// What one supervision sweep did (on a test-clock kiosk, on demand).
    struct SweepDone: ResponseEncodable {
        var lapsedDeferrals: [String]
        var changedLights: Int
    }
    struct CameraConditions: Decodable {
        var blurRadius: Int?
        var exposure: Double?
    }
    struct Paper: Decodable { var state: String }

    /// A card in the keys of `kioskctl idcard read --json --reveal`.
    struct PlacedCard: Decodable {
        var cardType: String?
        var name: String
        var englishName: String?
        var sex: String?
        var nation: String?
        var nationality: String?
        var birthDate: String?
        var address: String?
        var idNumber: String
        var issuingAuthority: String?
        var validFrom: String?
        var validUntil: String?
        var passNumber: String?
        /// A string or a number: `kioskctl idcard read --json` prints it as a number.
        var issueCount: StringOrNumber?
    }

    /// A JSON value given as a string or as an integer.
    struct StringOrNumber: Decodable {
        var text: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int.self) {
                // Out of 0–99 it keeps its digits (and is refused by the route), never wraps.
                text = (0...99).contains(number) ? String(format: "%02d", number) : String(number)
            } else {
                text = try container.decode(String.self)
            }
        }
    }

    public func add(to router: Router<KioskRequestContext>) {
        router.post("/api/v1/sim/idcard/place") { request, context -> HTTPResponse.Status in
            guard let reader, let simulator = reader.simulator else { throw APIProblem.notFound("the ID-card reader is not simulated") }
            let card = try await request.decodeJSON(PlacedCard.self, context: context)
            guard let type = CardType(rawValue: card.cardType ?? CardType.resident.rawValue) else {
                throw APIProblem.invalid("cardType must be one of \(CardType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard !card.name.isEmpty, card.name.count <= 15, (15...18).contains(card.idNumber.count) else {
                throw APIProblem.invalid("name (1–15 characters) and idNumber (15–18 characters) are required")
            }
            // The limits of the document (PlacedCard), each field named when it is out of them.
            let lengths: [(String, String?, Int)] = [("englishName", card.englishName, 60), ("nation", card.nation, 10),
                                                     ("nationality", card.nationality, 3), ("address", card.address, 70),
                                                     ("issuingAuthority", card.issuingAuthority, 15), ("passNumber", card.passNumber, 9)]
            for (field, value, limit) in lengths where (value?.count ?? 0) > limit {
                throw APIProblem.invalid("\(field) is at most \(limit) characters")
            }
            guard card.idNumber.unicodeScalars.allSatisfy({ $0.isASCII && CharacterSet.alphanumerics.contains($0) }) else {
                throw APIProblem.invalid("idNumber is 15–18 letters and digits")
            }
            if let sex = card.sex, !["male", "female", "unknown", "unspecified"].contains(sex) {
                throw APIProblem.invalid("sex must be one of male, female, unknown, unspecified")
            }
            if let count = card.issueCount?.text, !(1...2).contains(count.count) || !count.allSatisfy({ ("0"..."9").contains($0) }) {
                throw APIProblem.invalid("issueCount is one or two digits (0–99)")
            }
            // Dates as `kioskctl idcard read --json` prints them: a real day YYYY-MM-DD (2024-13-01
            // and 2023-02-29 are refused), or long-term for validUntil.
            for (field, value, longTerm) in [("birthDate", card.birthDate, false), ("validFrom", card.validFrom, false),
                                             ("validUntil", card.validUntil, true)] {
                guard let value, !(longTerm && value == "long-term") else { continue }
                guard value.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                      CivilDate(iso: value) != nil else {
                    throw APIProblem.invalid("\(field) '\(value)' is not a date YYYY-MM-DD\(longTerm ? " or long-term" : "")")
                }
            }
            func compact(_ date: String?) -> String? { date.map { $0 == "long-term" ? "长期" : $0.replacingOccurrences(of: "-", with: "") } }
            var values: [String: String] = ["name": card.name, "idNumber": card.idNumber]
            values["sex"] = switch card.sex { case "female": "2"; case "male": "1"; default: "1" }
            values["nation"] = card.nation.flatMap { name in (1...58).map { String(format: "%02d", $0) }.first { Nations.name(code: $0) == name } } ?? "01"
            values["birth"] = compact(card.birthDate) ?? String(card.idNumber.dropFirst(6).prefix(8))
            values["address"] = card.address ?? "山东省滕州市"
            values["authority"] = card.issuingAuthority ?? "滕州市公安局"
            values["validFrom"] = compact(card.validFrom) ?? "20200101"
            values["validUntil"] = compact(card.validUntil) ?? "长期"
            values["englishName"] = card.englishName
            values["nationality"] = card.nationality
            values["passNumber"] = card.passNumber
            values["issueCount"] = card.issueCount?.text
            let text = CardText.encode(type: type, values: values.compactMapValues { $0 })
            simulator.withSimulator { $0.place(SAMSimulator.Card(text: text, photo: [UInt8](repeating: 0, count: CardText.photoLength))) }
            // Read it now rather than at the next poll, and read again a card already lying there:
            // this one may be another card put in its place (a swap ends the first session).
            _ = await reader.pollOnce(recheck: true)
            return .accepted
        }
        router.post("/api/v1/sim/clock") { request, context -> ClockNow in
            guard let testClock else {
                throw APIProblem.notFound("the kiosk's clock is the system's (only kioskd --test-clock, in tests, can be moved)")
            }
            let move = try await request.decodeJSON(ClockMove.self, context: context)
            let seconds: Double
            switch (move.seconds, move.to) {
            case let (s?, nil): seconds = s
            case let (nil, text?):
                guard let target = ISO8601DateFormatter().date(from: text) else { throw APIProblem.invalid("to '\(text)' is not an ISO 8601 date-time") }
                seconds = target.timeIntervalSince(testClock.now())
            default: throw APIProblem.invalid("give exactly one of seconds and to")
            }
            guard seconds >= 0, seconds <= 400 * 86_400 else { throw APIProblem.invalid("the test clock moves forward only, at most 400 days at a time") }
            let now = testClock.advance(by: seconds)
            return ClockNow(now: now, offsetSeconds: testClock.offsetSeconds)
        }
        router.post("/api/v1/sim/supervision/sweep") { _, _ -> SweepDone in
            guard testClock != nil, let desk else {
                throw APIProblem.notFound("an on-demand sweep is for test-clock kiosks (the supervision service sweeps every 5 minutes)")
            }
            let sweep = try await desk.sweepSupervision()
            return SweepDone(lapsedDeferrals: sweep.lapsedDeferrals, changedLights: sweep.changed)
        }
        router.post("/api/v1/sim/idcard/remove") { _, _ -> HTTPResponse.Status in
            guard let reader, let simulator = reader.simulator else { throw APIProblem.notFound("the ID-card reader is not simulated") }
            simulator.withSimulator { $0.remove() }
            _ = await reader.pollOnce()
            return .accepted
        }
        router.post("/api/v1/sim/pad/press") { request, context -> HTTPResponse.Status in
            guard let pad, let simulator = pad.simulator else { throw APIProblem.notFound("the evaluation pad is not simulated") }
            let body = try await request.decodeJSON(PadPress.self, context: context)
            guard let level = EvaluationLevel(rawValue: body.level) else { throw APIProblem.invalid("level must be 1…5") }
            // Through the simulated pad's driver to the rating logic, as a real key would go; read
            // it now rather than at the pad's next read.
            simulator.press(level: level.rawValue)
            await pad.pollOnce()
            return .accepted
        }
        router.post("/api/v1/sim/printers/{id}/paper") { request, context -> HTTPResponse.Status in
            let id = try context.parameters.require("id")
            let body = try await request.decodeJSON(Paper.self, context: context)
            guard let paper = SimulatedPaper(rawValue: body.state) else {
                throw APIProblem.invalid("state must be one of \(SimulatedPaper.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let printerKinds: Set<DeviceKind> = [.receiptPrinter, .ticketPrinter]
            let printer: (any KioskDevice)? = devices.first { device in device.binding.id == id && printerKinds.contains(device.binding.kind) }
            switch printer {
            case let simulated as SimulatedDevice:
                simulated.set(status: .online, paper: paper.paperState)
            case let cups as SlipPrinter:
                do throws(PrintError) { try await cups.paperSensor().orRefused(id).simulatePaper(paper) } catch {
                    if case .refused = error { throw APIProblem.notFound("printer \(id) is not simulated: \(error)") }
                    throw APIProblem(.serviceUnavailable, code: "cups", title: "打印服务不可用", detail: "\(error)")
                }
            default:
                throw APIProblem.notFound("no simulated printer '\(id)'")
            }
            await onChange()
            return .accepted
        }
        router.post("/api/v1/sim/camera/conditions") { request, context -> HTTPResponse.Status in
            guard let camera else { throw APIProblem.notFound("the document camera is not simulated") }
            let body = try await request.decodeJSON(CameraConditions.self, context: context)
            let blur = body.blurRadius ?? 0
            let exposure = body.exposure ?? 1
            guard (0...40).contains(blur) else { throw APIProblem.invalid("blurRadius must be 0…40 pixels") }
            guard exposure.isFinite, (0.05...4).contains(exposure) else { throw APIProblem.invalid("exposure must be 0.05…4 (1 is normal)") }
            camera.set(conditions: .init(blurRadius: blur, exposure: exposure))
            return .accepted
        }
        router.post("/api/v1/sim/camera/next-page") { request, _ -> HTTPResponse.Status in
            guard let camera else { throw APIProblem.notFound("the document camera is not simulated") }
            let bytes = try await request.pageBody(limit: MaterialsStore.defaultMaximumPageBytes)
            guard !bytes.isEmpty else { throw APIProblem.invalid("send the next page as an image/jpeg body") }
            guard camera.feed(bytes) else {
                throw APIProblem(.conflict, code: "camera-queue-full", title: "待拍页面过多", detail: "\(camera.capacity) pages already wait for capture")
            }
            return .accepted
        }
    }
}
