import DeviceKit
import Foundation
import FrontDesk
import KioskConfig
import Printing
import Slips
import Store
import Workflow

/// What became of a slip, as the citizen's screen is told it.
public struct SlipOutcome: Sendable, Hashable {
    public var jobId: Int64?
    /// The print job's state (`completed`, `held`…), or `noPrinter` / `failed`.
    public var state: String
    /// Chinese, for the screen, when the slip did not come out as expected.
    public var message: String?

    public init(jobId: Int64?, state: String, message: String?) {
        self.jobId = jobId
        self.state = state
        self.message = message
    }
}

/// The use case "print the citizen's slip": which printer (a healthy one of the kind, else any
/// healthy one — a ticket printer covers for a receipt printer out of paper — else the kind's own,
/// where the slip is held for reprint), what the acceptance notices and tickets say, and what
/// the screen is told. Called by the citizen routes; the routes only decode and encode.
public struct SlipDesk: Sendable {
    let desk: FrontDesk
    let printers: [SlipPrinter]
    let board: DeviceStatusBoard?
    let context: SlipContext
    /// Whether the platform is unreachable now (the notice then says it was accepted locally).
    let upstreamOffline: @Sendable () -> Bool
    /// Told of every slip handed to a printer (the screen's `slipPrinted` event).
    let announce: @Sendable (PrintOutcome, _ template: String, _ reference: String) -> Void

    public init(desk: FrontDesk, printers: [SlipPrinter], board: DeviceStatusBoard?, context: SlipContext,
                upstreamOffline: @escaping @Sendable () -> Bool,
                announce: @escaping @Sendable (PrintOutcome, String, String) -> Void) {
        self.desk = desk
        self.printers = printers
        self.board = board
        self.context = context
        self.upstreamOffline = upstreamOffline
        self.announce = announce
    }

    /// The printer for a slip of `kind` (see the type's comment for the order of choice).
    public func printer(for kind: DeviceKind) -> SlipPrinter? {
        let reports = Dictionary((board?.snapshot?.reports ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        func healthy(_ p: SlipPrinter) -> Bool { reports[p.binding.id].map { $0.isHealthy || $0.status == .starting } ?? true }
        return printers.first { $0.binding.kind == kind && healthy($0) }
            ?? printers.first(where: healthy)
            ?? printers.first { $0.binding.kind == kind } ?? printers.first
    }

    /// Prints `document` on `printer` (waiting up to 5 s for the outcome) and announces it.
    public func print(_ document: SlipDocument, on printer: SlipPrinter, reference: String) async throws(PrintError) -> PrintOutcome {
        let outcome = try await printer.print(document, reference: reference, waitUpTo: .seconds(5))
        announce(outcome, document.kind, reference)
        return outcome
    }

    /// One acceptance notice per filing of a submit (容缺 filings get the conditional notice);
    /// answers the first slip's outcome.
    public func printNotices(_ records: [FilingRecord], applicant: Applicant?, agent: Applicant? = nil, commitmentSigned: Bool) async -> SlipOutcome {
        guard let printer = printer(for: .receiptPrinter) else {
            return SlipOutcome(jobId: nil, state: "noPrinter", message: "受理通知单暂无法打印，请到服务窗口领取")
        }
        let offline = upstreamOffline()
        let acceptedAt = desk.clock.now()
        var first: SlipOutcome?
        for record in records {
            guard let number = record.number, let item = desk.catalogue.item(code: record.itemCode) else { continue }
            let document = await notice(for: record, number: number, item: item, applicant: applicant, agent: agent, acceptedAt: acceptedAt,
                                        commitmentSigned: commitmentSigned, acceptedLocallyOnly: offline)
            let outcome: SlipOutcome
            do {
                let printed = try await print(document, on: printer, reference: number)
                outcome = SlipOutcome(jobId: printed.jobId, state: printed.state.rawValue, message: printed.citizenMessage)
            } catch {
                outcome = SlipOutcome(jobId: nil, state: "failed", message: "受理通知单打印失败，请到服务窗口领取")
            }
            if first == nil { first = outcome }
        }
        return first ?? SlipOutcome(jobId: nil, state: "failed", message: nil)
    }

    /// The acceptance notice of one filing: 受理通知书, or 容缺受理通知书 listing what may follow.
    func notice(for record: FilingRecord, number: String, item: ServiceItem, applicant: Applicant?, agent: Applicant? = nil, acceptedAt: Date,
                commitmentSigned: Bool, acceptedLocallyOnly: Bool) async -> SlipDocument {
        let bundleName = record.bundleCode.flatMap { desk.catalogue.bundle(code: $0)?.name }
        let deadline = record.promisedDeadline?.description ?? record.receivedDay?.description ?? ""
        let limit = item.caseType == .immediate ? "即办" : "\(item.promisedTimeLimit.value)\(item.promisedTimeLimit.unit.chineseName)"
        let url = desk.progressURL(token: record.progressToken)
        let ratingCode = try? await desk.ratingCode(for: .filing(number))
        if record.deferred.isEmpty {
            var notice = AcceptanceNotice(filingNumber: number, itemName: item.name, bundleName: bundleName,
                                          applicantName: applicant?.name ?? "", applicantIDNumber: applicant?.idNumber ?? "",
                                          acceptedAt: acceptedAt, department: item.implementingBody, promisedDeadline: deadline,
                                          promisedTimeLimit: limit, progressURL: url, consultationPhone: item.consultationPhone,
                                          acceptedLocallyOnly: acceptedLocallyOnly, ratingCode: ratingCode,
                                          responsibleWindow: item.responsible?.window, responsiblePerson: item.responsible?.person)
            notice.agentName = agent?.name
            notice.agentIDNumber = agent?.idNumber
            return notice.document(context: context)
        }
        var conditional = ConditionalAcceptanceNotice(
            filingNumber: number, itemName: item.name, bundleName: bundleName, applicantName: applicant?.name ?? "",
            applicantIDNumber: applicant?.idNumber ?? "", acceptedAt: acceptedAt, department: item.implementingBody,
            promisedDeadline: deadline, promisedTimeLimit: limit,
            missing: record.deferred.map { .init(name: $0.name, howToSupply: $0.howToSupply, deadline: $0.deadline.description) },
            ifLate: Self.ifLate(record.deferred), commitmentSigned: commitmentSigned, progressURL: url, consultationPhone: item.consultationPhone,
            acceptedLocallyOnly: acceptedLocallyOnly, ratingCode: ratingCode,
            responsibleWindow: item.responsible?.window, responsiblePerson: item.responsible?.person)
        conditional.agentName = agent?.name
        conditional.agentIDNumber = agent?.idNumber
        return conditional.document(context: context)
    }

    /// What the catalogue says happens when a deferred material is late, as the notice prints it.
    static func ifLate(_ deferred: [DeferredMaterial]) -> String? {
        guard !deferred.isEmpty else { return nil }
        return deferred.contains { $0.effectiveConsequence == .reject }
            ? "逾期未补交的，不予受理，已提交材料退回，需重新申请。"
            : "逾期未补交的，视为撤回申请（退件），已提交材料退回，需重新申请。"
    }

    /// The 补交 receipt (补交材料收件凭证) of a supplement handed in.
    public func printSupplement(_ record: SupplementRecord, applicant: Applicant?) async -> SlipOutcome {
        guard let printer = printer(for: .receiptPrinter), let number = record.filing.number else {
            return SlipOutcome(jobId: nil, state: "noPrinter", message: "补交凭证暂无法打印，可扫描受理单二维码查看进度")
        }
        let item = desk.catalogue.item(code: record.filing.itemCode)
        let document = SupplementReceipt(
            filingNumber: number, itemName: record.itemName, applicantName: applicant?.name ?? "",
            applicantIDNumber: applicant?.idNumber ?? "", suppliedAt: record.at,
            supplied: record.supplied.map { .init(name: $0.name, pages: $0.pages.count) },
            stillOwed: record.stillOwed.map { .init(name: $0.name, deadline: $0.deadline.description, ifLate: $0.effectiveConsequence.chineseName) },
            statusName: record.filing.status.chineseName, progressURL: desk.progressURL(token: record.filing.progressToken),
            consultationPhone: item?.consultationPhone).document(context: context)
        do {
            let printed = try await print(document, on: printer, reference: "supplement:\(number)")
            return SlipOutcome(jobId: printed.jobId, state: printed.state.rawValue, message: printed.citizenMessage)
        } catch {
            return SlipOutcome(jobId: nil, state: "failed", message: "补交凭证打印失败，请到服务窗口领取")
        }
    }

    /// A queue ticket's slip on the ticket printer; without one, the screen says the number to remember.
    public func printTicket(_ ticket: QueueTicket) async -> SlipOutcome {
        guard let printer = printer(for: .ticketPrinter) else {
            return SlipOutcome(jobId: nil, state: "noPrinter", message: "请记住您的号码：\(ticket.number)")
        }
        let document = QueueTicketSlip(ticket: ticket.number.description, categoryName: ticket.categoryName, waiting: ticket.waitingAhead,
                                       issuedAt: ticket.issuedAt, qrURL: ticket.token.map(desk.queuePositionURL(token:)),
                                       ratingCode: try? await desk.ratingCode(for: .ticket(ticket.id)),
                                       greenChannel: ticket.priorityReason.flatMap { $0.isGreenChannel ? $0.chineseName : nil },
                                       greenChannelDeclared: ticket.priorityReason?.isDeclared).document(context: context)
        do {
            let outcome = try await print(document, on: printer, reference: "ticket:\(ticket.id)")
            return SlipOutcome(jobId: outcome.jobId, state: outcome.state.rawValue, message: outcome.citizenMessage)
        } catch {
            return SlipOutcome(jobId: nil, state: "failed", message: "请记住您的号码：\(ticket.number)")
        }
    }

    /// Prints the item's or bundle's one-time notice (一次性告知单); nil when no printer is configured.
    public func printOneTimeNotice(_ guide: ServiceGuide, subject: FilingSubject) async -> SlipOutcome? {
        let reference: String = switch subject {
        case let .item(code): "notice:\(code)"
        case let .bundle(code): "notice:\(code)"
        }
        guard let printer = printer(for: .receiptPrinter) else { return nil }
        let document = OneTimeNotice(guide: guide, printedAt: desk.clock.now()).document(context: context)
        do {
            let outcome = try await print(document, on: printer, reference: reference)
            return SlipOutcome(jobId: outcome.jobId, state: outcome.state.rawValue, message: outcome.citizenMessage)
        } catch {
            return SlipOutcome(jobId: nil, state: "failed", message: "告知单打印失败，请在屏幕上查看或到服务窗口咨询")
        }
    }
}
