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
    }

    struct TicketIssued: ResponseEncodable {
        var ticket: String
        var category: String
        var waiting: Int
        var priority: Bool
        var slip: SlipView
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
            EvaluationPromptRoutes(desk: desk, pad: padRatings, gate: RatingGate(desk: desk, sessions: sessions)).add(to: router)
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
            let session = try liveSession(try context.parameters.require("id"))
            guard let identity = session.identity else {
                throw APIProblem(.notFound, code: "no-card", title: "请将身份证放在读卡区", detail: "no ID card was read in this session")
            }
            return MaskedIdentity(name: PersonalDataMask.name(identity.name), idNumber: PersonalDataMask.idNumber(identity.idNumber),
                                  documentKind: identity.documentKind)
        }
        router.post("/api/v1/sessions/{id}/filings") { request, context -> EditedResponse<DraftView> in
            let session = try liveSession(try context.parameters.require("id"))
            let body = try await request.decodeJSON(NewFiling.self, context: context)
            let subject: FilingSubject
            switch (body.itemCode, body.bundleCode) {
            case let (code?, nil): subject = .item(code)
            case let (nil, code?): subject = .bundle(code)
            default: throw APIProblem.invalid("give exactly one of itemCode and bundleCode")
            }
            guard let applicant = session.identity else {
                throw APIProblem(.conflict, code: "no-card", title: "请先将身份证放在读卡区", detail: "a filing needs the applicant's ID card read first")
            }
            if session.awaitingPrincipalCard {
                throw APIProblem(.conflict, code: "principal-card-awaited", title: "请将被代办人的身份证放在读卡区",
                                 detail: "an agent filing waits for the principal's card (or POST …/principal with the name and ID number)")
            }
            // 帮办代办: the card read is the agent's, the filing the principal's.
            let draft = try await desk.openDraft(subject: subject, applicant: session.principal ?? applicant,
                                                 agent: session.principal == nil ? nil : applicant, sessionID: session.id)
            return EditedResponse(status: .created, response: view(draft))
        }
        router.get("/api/v1/filings/{id}") { _, context -> DraftView in
            await view(try openDraft(try context.parameters.require("id")))
        }
        router.post("/api/v1/filings/{id}/materials/{material}/pages") { request, context -> EditedResponse<PageAdded> in
            let draft = try await openDraft(try context.parameters.require("id"))
            let material = try context.parameters.require("material")
            guard draft.slots.contains(where: { $0.requirement.material.code == material }) else {
                throw APIProblem.notFound("the filing asks for no material \(material)")
            }
            var bytes = try await request.pageBody(limit: pages.maximumPageBytes)
            if bytes.isEmpty {
                // No upload: take the page from the document camera, then check it before keeping it.
                guard let camera else {
                    throw APIProblem(.serviceUnavailable, code: "no-camera", title: "高拍仪暂时无法使用，请联系工作人员",
                                     detail: "no document camera is configured; upload the page as image/jpeg")
                }
                bytes = try await CameraCapture.page(from: camera)
            } else {
                // An uploaded page meets the same check as a captured one (every page is checked).
                try await CameraCapture.checked(bytes, thresholds: camera?.profile.thresholds ?? .standard, source: "uploaded")
            }
            let (sha, count) = try await CameraCapture.storing { () async throws(MaterialsStore.AddError) in
                try await pages.addPage(bytes, desk: desk, draftID: draft.id, materialCode: material)
            }
            return EditedResponse(status: .created, response: PageAdded(sha256: sha, pages: count))
        }
        router.delete("/api/v1/filings/{id}/materials/{material}/pages/{sha256}") { _, context -> HTTPResponse.Status in
            let draft = try await openDraft(try context.parameters.require("id"))
            let removed = try await desk.removePage(draftID: draft.id, materialCode: try! context.parameters.require("material"),
                                                    sha256: try! context.parameters.require("sha256"))
            guard removed else { throw APIProblem.notFound("no such page") }
            return .noContent
        }
        router.post("/api/v1/filings/{id}/submit") { request, context -> EditedResponse<Submitted> in
            let draft = try await openDraft(try context.parameters.require("id"))
            let body = try await request.decodeJSON(SubmitBody.self, context: context)
            if body.mailTo != nil {
                throw APIProblem.invalid("mailTo was replaced by mailing {phone, region, town, street?, community?, detail, recipient?}")
            }
            let result = try await desk.submit(draftID: draft.id, commitmentSigned: body.commitmentSigned ?? false, mailing: body.mailing)
            switch result {
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
            case let .filed(records):
                // The session that submitted may rate what it filed (and nobody else without the slip's code).
                if let session = draft.sessionID {
                    for number in records.compactMap(\.number) { sessions.recordService(.filing(number), in: session) }
                }
                let slip = await printNotices(records, draftID: draft.id, commitmentSigned: body.commitmentSigned ?? false)
                let filings = records.map { r in
                    Submitted.Filing(number: r.number ?? "", itemCode: r.itemCode, status: r.status.description,
                                     promisedDeadline: r.promisedDeadline?.description ?? r.receivedDay?.description,
                                     progressUrl: desk.progressURL(token: r.progressToken),
                                     missingMaterials: r.deferred.map(Self.deferredView))
                }
                let first = filings[0]
                return EditedResponse(status: .created, response: Submitted(
                    number: first.number, status: first.status, missingMaterials: first.missingMaterials,
                    promisedDeadline: first.promisedDeadline, progressUrl: first.progressUrl, slip: slip, filings: filings))
            }
        }

        addSupplements(to: router)
        router.post("/api/v1/sessions/{id}/principal") { request, context -> AgentView in
            let session = try liveSession(try context.parameters.require("id"))
            guard let agent = session.identity else {
                throw APIProblem(.conflict, code: "no-card", title: "请代办人先将本人身份证放在读卡区",
                                 detail: "an agent filing starts with the agent's ID card read")
            }
            let body = try await request.decodeJSON(PrincipalBody.self, context: context, emptyAs: PrincipalBody())
            var principal: Applicant? = nil
            switch (body.name, body.idNumber) {
            case (nil, nil): break   // the principal's card comes next
            case let (name?, number?): principal = try AgentFiling.enteredPrincipal(name: name, idNumber: number)
            default: throw APIProblem.invalid("give both name and idNumber of the principal, or neither to read the principal's card")
            }
            if principal?.idNumber == agent.idNumber { throw WorkflowError.invalidPrincipal(reason: "the principal is the agent") }
            guard let updated = sessions.fileForPrincipal(session.id, principal: principal) else { throw APIProblem.notFound("no open session") }
            return AgentView(updated)
        }
        router.get("/api/v1/sessions/{id}/principal") { _, context -> AgentView in
            AgentView(try liveSession(try context.parameters.require("id")))
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

        router.post("/api/v1/tickets") { request, context -> EditedResponse<TicketIssued> in
            let body = try await request.decodeJSON(TicketBody.self, context: context)
            var applicant: Applicant? = nil
            if let id = body.sessionId { applicant = try liveSession(id).identity }
            let ticket = try await tickets.ticket(category: body.category, applicant: applicant)
            if let session = body.sessionId { sessions.recordService(.ticket(ticket.id), in: session) }
            let slip = await printTicket(ticket)
            return EditedResponse(status: .created, response: TicketIssued(
                ticket: ticket.number.description, category: ticket.category, waiting: ticket.waitingAhead,
                priority: ticket.priority, slip: slip))
        }

        router.post("/api/v1/evaluations") { request, context -> EditedResponse<EvaluationRecorded> in
            let body = try await request.decodeJSON(EvaluationBody.self, context: context)
            let subject: EvaluationSubject
            switch (body.filingNumber, body.ticket) {
            case let (number?, nil): subject = .filing(number)
            case let (nil, ticket?):
                let found = try await desk.ticket(number: ticket)
                subject = .ticket(found.id)
            default: throw APIProblem.invalid("give exactly one of filingNumber and ticket")
            }
            try await RatingGate(desk: desk, sessions: sessions).admit(subject, sessionId: body.sessionId, ratingCode: body.ratingCode)
            let record = try await desk.rate(subject, level: body.level, comment: body.comment, channel: "screen")
            return EditedResponse(status: .created, response: EvaluationRecorded(
                id: record.id, level: record.level.rawValue, levelName: record.level.chineseName,
                rectification: record.rectification?.status.rawValue))
        }
    }

    // MARK: helpers

    func liveSession(_ id: String) throws -> CitizenSession {
        guard let session = sessions.touch(id) else {
            throw APIProblem(.notFound, code: "session-ended", title: "本次办理已结束，请重新开始", detail: "no open session \(id)")
        }
        return session
    }

    /// An open draft whose session is still live (its idle clock restarted).
    func openDraft(_ id: String) async throws -> Draft {
        let draft = try await desk.draft(id: id)
        guard draft.state == .open else {
            throw APIProblem(.conflict, code: "draft-closed", title: "本次申请已提交或已结束", detail: "draft \(id) is \(draft.state)")
        }
        if let session = draft.sessionID { _ = try liveSession(session) }
        return draft
    }

    func view(_ draft: Draft) -> DraftView {
        DraftView(id: draft.id, title: draft.title, subject: "\(draft.subject)", materials: draft.slots.map { slot in
            DraftView.Slot(code: slot.requirement.material.code, name: slot.requirement.material.name,
                           need: slot.requirement.need.rawValue, pagesExpected: max(1, slot.requirement.material.pages),
                           pages: slot.pages, held: slot.held?.chineseDescription,
                           acceptanceStandard: slot.requirement.material.acceptanceStandard)
        })
    }

    static func deferredView(_ m: DeferredMaterial) -> DeferredMaterialView {
        DeferredMaterialView(code: m.code, name: m.name, howToSupply: m.howToSupply, deadline: m.deadline.description)
    }

    /// The printer for a slip (see `SlipDesk.printer(for:)`).
    func printer(for kind: DeviceKind) -> SlipPrinter? { slips.printer(for: kind) }

    /// Prints and announces the outcome on the event stream.
    func print(_ document: SlipDocument, on printer: SlipPrinter, reference: String) async throws(PrintError) -> PrintOutcome {
        try await slips.print(document, on: printer, reference: reference)
    }

    /// Prints one notice per filing; answers the first slip's state.
    func printNotices(_ records: [FilingRecord], draftID: String, commitmentSigned: Bool) async -> SlipView {
        let applicant = (try? await desk.applicant(draftID: draftID)) ?? nil
        let agent = (try? await desk.agent(draftID: draftID)) ?? nil
        return SlipView(await slips.printNotices(records, applicant: applicant, agent: agent, commitmentSigned: commitmentSigned))
    }

    func printTicket(_ ticket: QueueTicket) async -> SlipView {
        SlipView(await slips.printTicket(ticket))
    }
}

extension CitizenRoutes.SlipView {
    init(_ outcome: SlipOutcome) {
        self.init(jobId: outcome.jobId, state: outcome.state, message: outcome.message)
    }
}
