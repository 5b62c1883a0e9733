import DeviceKit
import Foundation
import HTTPTypes
import Hummingbird
import IDCard

/// Routes that drive the simulated devices (the demo and the acceptance tests): 404 when the
/// device is real, so they can never fake a card on a kiosk with a reader.
public struct SimulatorRoutes: Sendable {
    let reader: IDCardReaderService?

    public init(devices: [any KioskDevice]) {
        reader = devices.compactMap { $0 as? IDCardReaderService }.first { $0.simulator != nil }
    }

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
        var issueCount: String?
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
            values["issueCount"] = card.issueCount
            let text = CardText.encode(type: type, values: values.compactMapValues { $0 })
            simulator.withSimulator { $0.place(SAMSimulator.Card(text: text, photo: [UInt8](repeating: 0, count: CardText.photoLength))) }
            _ = await reader.pollOnce()   // read it now rather than at the next poll
            return .accepted
        }
        router.post("/api/v1/sim/idcard/remove") { _, _ -> HTTPResponse.Status in
            guard let reader, let simulator = reader.simulator else { throw APIProblem.notFound("the ID-card reader is not simulated") }
            simulator.withSimulator { $0.remove() }
            _ = await reader.pollOnce()
            return .accepted
        }
    }
}
