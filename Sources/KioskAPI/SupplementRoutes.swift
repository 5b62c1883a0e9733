import Foundation
import FrontDesk
import HTTPTypes
import Hummingbird
import KioskServices
import Workflow

/// The 补交 routes: a citizen with a 容缺 filing comes back, is identified by the card read in the
/// session (or the slip's filing number and the ID number's last four characters), sees what is
/// still owed and by when, captures it (`/api/v1/filings/{id}/materials/{code}/pages`, the same
/// camera and quality check as a filing) and hands it in, getting the 补交 receipt.
extension CitizenRoutes {
    struct OwedFilingView: ResponseEncodable {
        var number: String
        var itemCode: String
        var itemName: String
        var status: String
        var statusName: String
        var owed: [OwedMaterialView]
        /// A deadline passed: the consequence applies.
        var lapsed: Bool
    }

    struct OwedMaterialView: Encodable {
        var code: String
        var name: String
        var howToSupply: String
        var deadline: String
        /// `withdraw` (退件) or `reject` (不予受理).
        var consequence: String
        var consequenceName: String
    }

    struct OpenSupplementBody: Decodable {
        var filingNumber: String
        /// The last four characters of the applicant's ID number, when the card is not read.
        var idNumberTail: String?
    }

    struct SupplementView: ResponseEncodable {
        var id: String
        var filingNumber: String
        var title: String
        var materials: [DraftView.Slot]
        var owed: [OwedMaterialView]
    }

    struct SupplementSubmitted: ResponseEncodable {
        struct Material: Encodable {
            var code: String
            var name: String
            var pages: Int
        }
        var filingNumber: String
        var status: String
        var statusName: String
        var supplied: [Material]
        var stillOwed: [OwedMaterialView]
        var complete: Bool
        var progressUrl: String
        var slip: SlipView
    }

    func addSupplements(to router: Router<KioskRequestContext>) {
        router.get("/api/v1/sessions/{id}/supplements") { _, context -> [OwedFilingView] in
            try await supplements.owed(sessionID: try context.parameters.require("id")).map(Self.owedView)
        }
        router.post("/api/v1/sessions/{id}/supplements") { request, context -> EditedResponse<SupplementView> in
            let body = try await request.decodeJSON(OpenSupplementBody.self, context: context)
            let draft = try await supplements.open(filingNumber: body.filingNumber, idNumberTail: body.idNumberTail,
                                                   sessionID: try context.parameters.require("id"))
            return EditedResponse(status: .created, response: supplementView(draft))
        }
        router.post("/api/v1/supplements/{id}/submit") { _, context -> EditedResponse<SupplementSubmitted> in
            let submitted = try await supplements.submit(draftID: try context.parameters.require("id"))
            let (record, slip) = (submitted.record, SlipView(submitted.slip))
            return EditedResponse(status: .created, response: SupplementSubmitted(
                filingNumber: record.filing.number ?? "", status: record.filing.status.description,
                statusName: record.filing.status.chineseName,
                supplied: record.supplied.map { .init(code: $0.code, name: $0.name, pages: $0.pages.count) },
                stillOwed: record.stillOwed.map(Self.owedMaterialView), complete: record.complete,
                progressUrl: desk.progressURL(token: record.filing.progressToken), slip: slip))
        }
    }

    func supplementView(_ draft: Draft) -> SupplementView {
        SupplementView(id: draft.id, filingNumber: draft.supplementFor ?? "", title: draft.title, materials: view(draft).materials,
                       owed: draft.owed.map(Self.owedMaterialView))
    }

    static func owedView(_ filing: OwedFiling) -> OwedFilingView {
        OwedFilingView(number: filing.number, itemCode: filing.itemCode, itemName: filing.itemName, status: filing.status.description,
                       statusName: filing.status.chineseName, owed: filing.owed.map(owedMaterialView), lapsed: filing.lapsed)
    }

    static func owedMaterialView(_ m: DeferredMaterial) -> OwedMaterialView {
        OwedMaterialView(code: m.code, name: m.name, howToSupply: m.howToSupply, deadline: m.deadline.description,
                         consequence: m.effectiveConsequence.rawValue, consequenceName: m.effectiveConsequence.chineseName)
    }
}
