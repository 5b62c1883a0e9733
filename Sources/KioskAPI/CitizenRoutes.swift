import DeviceKit
import Foundation
import FrontDesk
import HTTPTypes
import Hummingbird
import KioskConfig
import IDCard
import KioskServices
import NIOCore
import PageImaging
import Printing
import Slips
import Store
import Workflow

/// The touch screen's routes: catalogue, sessions, filings with their pages, submit (with the
/// printed notice), progress (JSON and the QR's HTML page), queue tickets and ratings.
public struct CitizenRoutes: Sendable {
    let desk: FrontDesk
    let sessions: CitizenSessions
    let printers: [SlipPrinter]
    let slipContext: SlipContext
    let pages: MaterialsStore
    let events: KioskEventLog
    let camera: (any DocumentCamera)?
    let board: DeviceStatusBoard?
    /// The evaluation pad's prompts (`/api/v1/evaluations/prompt`); nil without a pad.
    let padRatings: PadRatingService?
    /// Whether the platform is unreachable now (the outbox's last attempt failed): only then does a
    /// notice say it was accepted locally and will be sent when the network returns.
    let upstreamOffline: @Sendable () -> Bool
    /// Printing the citizen's slips (printer choice, notices, tickets): the use case below the routes.
    let slips: SlipDesk
    /// Taking a ticket (check-in of an appointment, or a new ticket).
    let tickets: TicketCounter
    /// The visit behind a request: its live session and open draft.
    let visit: CitizenVisit
    /// A material's page from the camera or an upload, checked and stored.
    let capture: PageCapture
    /// Submitting a draft and printing its notices.
    let submission: FilingSubmission
    /// Who may rate, and the rating.
    let ratings: RatingDesk
    /// 补交: what is owed, opening a filing's supplement, handing it in with its receipt.
    let supplements: SupplementDesk

    public init(desk: FrontDesk, sessions: CitizenSessions, printers: [SlipPrinter], slipContext: SlipContext, pages: MaterialsStore,
                events: KioskEventLog = KioskEventLog(), camera: (any DocumentCamera)? = nil, board: DeviceStatusBoard? = nil,
                padRatings: PadRatingService? = nil, upstreamOffline: @escaping @Sendable () -> Bool = { false }) {
        self.padRatings = padRatings
        self.upstreamOffline = upstreamOffline
        self.desk = desk
        self.sessions = sessions
        self.printers = printers
        self.slipContext = slipContext
        self.pages = pages
        self.events = events
        self.camera = camera
        self.board = board
        slips = SlipDesk(desk: desk, printers: printers, board: board, context: slipContext, upstreamOffline: upstreamOffline) {
            [events] outcome, template, reference in
            events.publish(.slipPrinted, SlipPrintedEvent(jobId: outcome.jobId, printerId: outcome.printerId, state: outcome.state.rawValue,
                                                          template: template, reference: reference))
        }
        tickets = TicketCounter(desk: desk)
        visit = CitizenVisit(desk: desk, sessions: sessions)
        capture = PageCapture(visit: visit, pages: pages, camera: camera)
        submission = FilingSubmission(visit: visit, slips: slips)
        ratings = RatingDesk(desk: desk, sessions: sessions)
        supplements = SupplementDesk(visit: visit, slips: slips)
    }

    // MARK: bodies and answers

    struct ItemSummary: ResponseEncodable {
        var code: String
        var name: String
        var itemType: String
        var department: String
        var caseType: String
        var promisedTimeLimit: String
        var supportsKiosk: Bool
        var supportsAppointment: Bool
        var queueCategory: String?
    }

    struct BundleSummary: ResponseEncodable {
        var code: String
        var name: String
        var description: String?
        var itemCodes: [String]
    }

    struct SessionCreated: ResponseEncodable {
        var id: String
        var expiresAt: Date
    }

    struct MaskedIdentity: ResponseEncodable {
        var name: String
        var idNumber: String
        var documentKind: String?
    }

    /// 帮办代办: the principal entered (name and ID number), or nothing to read the principal's card next.
    struct PrincipalBody: Decodable {
        var name: String?
        var idNumber: String?
    }

    /// The agent and the principal of a session, masked.
    struct AgentView: ResponseEncodable {
        var agent: MaskedIdentity?
        var principal: MaskedIdentity?
        /// The principal's card was read (else entered, and the 授权委托书 is required).
        var principalReadFromCard: Bool?
        var awaitingPrincipalCard: Bool

        init(_ session: CitizenSession) {
            func masked(_ a: Applicant) -> MaskedIdentity {
                MaskedIdentity(name: PersonalDataMask.name(a.name), idNumber: PersonalDataMask.idNumber(a.idNumber), documentKind: a.documentKind)
            }
            agent = session.principal == nil && !session.awaitingPrincipalCard ? nil : session.identity.map(masked)
            principal = session.principal.map(masked)
            principalReadFromCard = session.principal?.verifiedByCard
            awaitingPrincipalCard = session.awaitingPrincipalCard
        }
    }

    struct NewFiling: Decodable {
        var itemCode: String?
        var bundleCode: String?
    }

    struct DraftView: ResponseEncodable {
        struct Slot: Encodable {
            var code: String
            var name: String
            var need: String
            var pagesExpected: Int
            var pages: [String]
            var held: String?
            var acceptanceStandard: String
        }
        var id: String
        var title: String
        var subject: String
        var materials: [Slot]
        /// 一表申请: the draft's one form, nil when its items have none.
        var form: FormView?
    }

    /// The form as the screen renders it: each field once, its rules, and the value so far (an ID
    /// number only masked, a card-filled name masked: the full values stay in kioskd).
    struct FormView: ResponseEncodable {
        struct Field: Encodable {
            var key: String
            var label: String
            var type: String
            var required: Bool
            var options: [String]?
            var minLength: Int?
            var maxLength: Int?
            var min: Double?
            var max: Double?
            var pattern: String?
            var hint: String?
            /// The card fact it is filled from (name, idNumber, address…).
            var prefill: String?
            /// The value came from the card and was not changed.
            var prefilled: Bool
            /// A card fact the citizen confirms but cannot change.
            var locked: Bool
            /// The value shown is masked (an ID number, a card-filled name).
            var masked: Bool
            var value: FormValue?
            /// For a bundle: the names of the items that ask it.
            var forItems: [String]?
        }
        var fields: [Field]
        /// Keys of the required fields still unanswered.
        var missing: [String]
        var complete: Bool
    }

    struct FormBody: Decodable {
        /// Key → answer (text, number or true/false); null clears an answer.
        var answers: [String: FormValue?]
    }

    struct PageAdded: ResponseEncodable {
        var sha256: String
        var pages: Int
    }

    struct SubmitBody: Decodable {
        /// Mail the result (邮寄送达) to this address and phone; absent to collect it at a window.
        var mailing: MailingAddress?
        /// Replaced by `mailing` (refused, so an old client never silently loses its address).
        var mailTo: String?
        var commitmentSigned: Bool?
    }

    struct SlipView: Encodable {
        var jobId: Int64?
        var state: String
        var message: String?
    }

    struct Submitted: ResponseEncodable {
        struct Filing: Encodable {
            var number: String
            var itemCode: String
            var status: String
            var promisedDeadline: String?
            var progressUrl: String
            var missingMaterials: [DeferredMaterialView]
        }
        var number: String
        var status: String
        var missingMaterials: [DeferredMaterialView]
        var promisedDeadline: String?
        var progressUrl: String
        var slip: SlipView
        var filings: [Filing]
    }

    struct DeferredMaterialView: Encodable {
        var code: String
        var name: String
        var howToSupply: String
        var deadline: String
    }

    struct TicketBody: Decodable {
        var category: String
        var sessionId: String?
        /// 绿色通道 declared by the citizen (`disabled`, `pregnant`); the window staff verify it.
        var greenChannel: DeclaredGround?
    }

    struct TicketIssued: ResponseEncodable {
        var ticket: String
        var category: String
        var waiting: Int
        var priority: Bool
        /// Why it is called first (`appointment`, `elderly`, `disabled`, `pregnant`).
        var priorityReason: String?
        var slip: SlipView
        /// Hall mode: the ticket's live queue-position page (its QR).
        var positionUrl: String?
    }

    struct EvaluationBody: Decodable {
        var filingNumber: String?
        var ticket: String?
        var level: Int
        var comment: String?
        /// The screen's session that received the service…
        var sessionId: String?
        /// …or the rating code (评价码) printed on its slip.
        var ratingCode: String?
    }

    struct EvaluationRecorded: ResponseEncodable {
        var id: Int64
        var level: Int
        var levelName: String
        var rectification: String?
    }

    // MARK: routes

    public func add(to router: Router<KioskRequestContext>) {
        if let padRatings {
            EvaluationPromptRoutes(pad: padRatings, ratings: ratings).add(to: router)
        }
        router.get("/api/v1/catalog/items") { _, _ -> [ItemSummary] in
            desk.catalogue.items.map { item in
                ItemSummary(code: item.implementationCode, name: item.name, itemType: item.itemType.rawValue,
                            department: item.implementingBody, caseType: item.caseType.rawValue,
                            promisedTimeLimit: item.caseType == .immediate ? "即办"
                                : "\(item.promisedTimeLimit.value)\(item.promisedTimeLimit.unit.chineseName)",
                            supportsKiosk: item.supportsKiosk, supportsAppointment: item.supportsAppointment,
                            queueCategory: item.queueCategory)
            }
        }
        router.get("/api/v1/catalog/items/{code}") { _, context -> ServiceGuide in
            let code = try context.parameters.require("code")
            do { return try ServiceGuide(subject: .item(code), catalogue: desk.catalogue) } catch {
                throw APIProblem.notFound("no item \(code)")
            }
        }
        router.get("/api/v1/catalog/bundles") { _, _ -> [BundleSummary] in
            desk.catalogue.bundles.map { BundleSummary(code: $0.code, name: $0.name, description: $0.description, itemCodes: $0.itemCodes) }
        }
        router.get("/api/v1/catalog/bundles/{code}") { _, context -> ServiceGuide in
            let code = try context.parameters.require("code")
            do { return try ServiceGuide(subject: .bundle(code), catalogue: desk.catalogue) } catch {
                throw APIProblem.notFound("no bundle \(code)")
            }
        }

        router.post("/api/v1/sessions") { _, _ -> EditedResponse<SessionCreated> in
            let session = await sessions.open()
            return EditedResponse(status: .created, response: SessionCreated(id: session.id, expiresAt: session.expiresAt(timeout: sessions.timeout)))
        }
        router.delete("/api/v1/sessions/{id}") { _, context -> HTTPResponse.Status in
            guard await sessions.end(try context.parameters.require("id")) else { throw APIProblem.notFound("no open session") }
            return .noContent
        }
        router.get("/api/v1/sessions/{id}/identity") { _, context -> MaskedIdentity in
            let identity = try visit.applicant(inSession: try context.parameters.require("id"), forFiling: false)
            return MaskedIdentity(name: PersonalDataMask.name(identity.name), idNumber: PersonalDataMask.idNumber(identity.idNumber),
                                  documentKind: identity.documentKind)
        }
        router.post("/api/v1/sessions/{id}/filings") { request, context -> EditedResponse<DraftView> in
            let sessionID = try context.parameters.require("id")
            _ = try visit.liveSession(sessionID)
            let body = try await request.decodeJSON(NewFiling.self, context: context)
            let subject: FilingSubject
            switch (body.itemCode, body.bundleCode) {
            case let (code?, nil): subject = .item(code)
            case let (nil, code?): subject = .bundle(code)
            default: throw APIProblem.invalid("give exactly one of itemCode and bundleCode")
            }
            let draft = try await visit.openFiling(subject, sessionID: sessionID)
            return EditedResponse(status: .created, response: view(draft))
        }
        router.get("/api/v1/filings/{id}") { _, context -> DraftView in
            view(try await visit.openDraft(try context.parameters.require("id")))
        }
        router.put("/api/v1/filings/{id}/form") { request, context -> FormView in
            let body = try await request.decodeJSON(FormBody.self, context: context)
            let draft = try await visit.saveForm(draftID: try context.parameters.require("id"), answers: body.answers)
            return formView(draft)!
        }
        router.post("/api/v1/filings/{id}/materials/{material}/pages") { request, context -> EditedResponse<PageAdded> in
            let upload = try await request.pageBody(limit: capture.maximumPageBytes)
            let (sha, count) = try await capture.addPage(draftID: try context.parameters.require("id"),
                                                         material: try context.parameters.require("material"), upload: upload)
            return EditedResponse(status: .created, response: PageAdded(sha256: sha, pages: count))
        }
        router.delete("/api/v1/filings/{id}/materials/{material}/pages/{sha256}") { _, context -> HTTPResponse.Status in
            let draft = try await visit.openDraft(try context.parameters.require("id"))
            let removed = try await desk.removePage(draftID: draft.id, materialCode: try! context.parameters.require("material"),
                                                    sha256: try! context.parameters.require("sha256"))
            guard removed else { throw APIProblem.notFound("no such page") }
            return .noContent
        }
        router.post("/api/v1/filings/{id}/submit") { request, context -> EditedResponse<Submitted> in
            let draftID = try context.parameters.require("id")
            let body = try await request.decodeJSON(SubmitBody.self, context: context)
            if body.mailTo != nil {
                throw APIProblem.invalid("mailTo was replaced by mailing {phone, region, town, street?, community?, detail, recipient?}")
            }
            let outcome = try await submission.submit(draftID: draftID, commitmentSigned: body.commitmentSigned ?? false, mailing: body.mailing)
            switch outcome {
            case let .incomplete(missing):
                throw APIProblem(.unprocessableContent, code: "incomplete-materials", title: "材料不齐，请补齐以下材料后再提交",
                                 detail: "required materials are missing: \(missing.map(\.code).joined(separator: ", "))",
                                 extensions: ["missingMaterials": .array(missing.map { m in
                                     .object(["code": .string(m.code), "name": .string(m.name), "pagesExpected": .int(m.pagesExpected),
                                              "pagesSupplied": .int(m.pagesSupplied), "acceptanceStandard": .string(m.acceptanceStandard),
                                              "forItems": .array(m.forItems.map(ProblemValue.string))])
                                 })])
            case let .commitmentRequired(deferred):
                throw APIProblem(.unprocessableContent, code: "commitment-required", title: "请签署容缺受理承诺书",
                                 detail: "only deferrable materials are missing; the applicant must sign the commitment",
                                 extensions: ["missingMaterials": .array(deferred.map { m in
                                     .object(["code": .string(m.code), "name": .string(m.name), "howToSupply": .string(m.howToSupply),
                                              "deadline": .string(m.deadline.description)])
                                 })])
            case let .filed(records, slip):
                let filings = records.map { r in
                    Submitted.Filing(number: r.number ?? "", itemCode: r.itemCode, status: r.status.description,
                                     promisedDeadline: r.promisedDeadline?.description ?? r.receivedDay?.description,
                                     progressUrl: desk.progressURL(token: r.progressToken),
                                     missingMaterials: r.deferred.map(Self.deferredView))
                }
                let first = filings[0]
                return EditedResponse(status: .created, response: Submitted(
                    number: first.number, status: first.status, missingMaterials: first.missingMaterials,
                    promisedDeadline: first.promisedDeadline, progressUrl: first.progressUrl, slip: SlipView(slip), filings: filings))
            }
        }

        addSupplements(to: router)
        router.post("/api/v1/sessions/{id}/principal") { request, context -> AgentView in
            let id = try context.parameters.require("id")
            let body = try await request.decodeJSON(PrincipalBody.self, context: context, emptyAs: PrincipalBody())
            let source: PrincipalSource
            switch (body.name, body.idNumber) {
            case (nil, nil): source = .card   // the principal's card comes next
            case let (name?, number?): source = .entered(name: name, idNumber: number)
            default: throw APIProblem.invalid("give both name and idNumber of the principal, or neither to read the principal's card")
            }
            return AgentView(try visit.fileForPrincipal(sessionID: id, source))
        }
        router.get("/api/v1/sessions/{id}/principal") { _, context -> AgentView in
            AgentView(try visit.liveSession(try context.parameters.require("id")))
        }

        router.get("/api/v1/progress/{token}") { _, context -> FilingProgress in
            let token = try context.parameters.require("token")
            guard let progress = try await desk.progress(token: token) else {
                throw APIProblem.notFound("no filing with this progress token")
            }
            return progress
        }
        router.get("/p/{token}") { _, context -> Response in
            let token = try context.parameters.require("token")
            let progress = try await desk.progress(token: token)
            return Response(status: progress == nil ? .notFound : .ok,
                            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: ProgressPage.html(progress))))
        }

        router.get("/api/v1/queue/position/{token}") { _, context -> QueuePosition in
            let token = try context.parameters.require("token")
            guard desk.isHallMode, QueuePositionPage.isWellFormed(token), let ticket = try await desk.ticket(token: token) else {
                throw APIProblem.notFound("no ticket with this queue-position token")
            }
            return QueuePosition(ticket)
        }
        router.get("/q/{token}") { _, context -> Response in
            let token = try context.parameters.require("token")
            var position: QueuePosition? = nil
            if desk.isHallMode, QueuePositionPage.isWellFormed(token) { position = try await desk.ticket(token: token).map(QueuePosition.init) }
            return Response(status: position == nil ? .notFound : .ok,
                            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: QueuePositionPage.html(position))))
        }

        router.post("/api/v1/tickets") { request, context -> EditedResponse<TicketIssued> in
            let body = try await request.decodeJSON(TicketBody.self, context: context)
            let (ticket, slip) = try await tickets.take(category: body.category, sessionID: body.sessionId, declared: body.greenChannel,
                                                        visit: visit, slips: slips)
            return EditedResponse(status: .created, response: TicketIssued(
                ticket: ticket.number.description, category: ticket.category, waiting: ticket.waitingAhead,
                priority: ticket.priority, priorityReason: ticket.priorityReason?.rawValue, slip: SlipView(slip), positionUrl: ticket.token.map(desk.queuePositionURL(token:))))
        }

        router.post("/api/v1/evaluations") { request, context -> EditedResponse<EvaluationRecorded> in
            let body = try await request.decodeJSON(EvaluationBody.self, context: context)
            guard let subject = try await ratings.subject(filingNumber: body.filingNumber, ticket: body.ticket) else {
                throw APIProblem.invalid("give exactly one of filingNumber and ticket")
            }
            let record = try await ratings.rate(subject, level: body.level, comment: body.comment, sessionId: body.sessionId,
                                                ratingCode: body.ratingCode, channel: "screen")
            return EditedResponse(status: .created, response: EvaluationRecorded(
                id: record.id, level: record.level.rawValue, levelName: record.level.chineseName,
                rectification: record.rectification?.status.rawValue))
        }
    }

    // MARK: helpers

    func view(_ draft: Draft) -> DraftView {
        DraftView(id: draft.id, title: draft.title, subject: "\(draft.subject)", materials: draft.slots.map { slot in
            DraftView.Slot(code: slot.requirement.material.code, name: slot.requirement.material.name,
                           need: slot.requirement.need.rawValue, pagesExpected: max(1, slot.requirement.material.pages),
                           pages: slot.pages, held: slot.held?.chineseDescription,
                           acceptanceStandard: slot.requirement.material.acceptanceStandard)
        }, form: formView(draft))
    }

    func formView(_ draft: Draft) -> FormView? {
        guard let form = draft.form else { return nil }
        let answers = draft.formAnswers
        let prefilled = draft.prefilledKeys
        let isBundle = if case .bundle = draft.subject { true } else { false }
        let fields = form.fields.map { merged in
            let f = merged.field
            let locked = draft.isLocked(field: f.key)
            let fromCard = prefilled.contains(f.key) && draft.savedAnswers[f.key] == nil
            var value = answers[f.key]
            var masked = false
            if case let .text(text)? = value {
                if f.type == .idNumber || f.prefill == .idNumber {
                    value = .text(PersonalDataMask.idNumber(text)); masked = true
                } else if f.prefill == .name, locked {
                    value = .text(PersonalDataMask.name(text)); masked = true
                }
            }
            return FormView.Field(
                key: f.key, label: f.label, type: f.type.rawValue, required: f.isRequired, options: f.options,
                minLength: f.minLength, maxLength: f.maxLength, min: f.min, max: f.max, pattern: f.pattern, hint: f.hint,
                prefill: f.prefill?.rawValue, prefilled: fromCard || locked, locked: locked, masked: masked, value: value,
                forItems: isBundle ? merged.itemCodes.compactMap { desk.catalogue.item(code: $0)?.name } : nil)
        }
        let missing = form.missing(in: answers)
        return FormView(fields: fields, missing: missing, complete: missing.isEmpty)
    }

    static func deferredView(_ m: DeferredMaterial) -> DeferredMaterialView {
        DeferredMaterialView(code: m.code, name: m.name, howToSupply: m.howToSupply, deadline: m.deadline.description)
    }
}

extension CitizenRoutes.SlipView {
    init(_ outcome: SlipOutcome) {
        self.init(jobId: outcome.jobId, state: outcome.state, message: outcome.message)
    }
}
