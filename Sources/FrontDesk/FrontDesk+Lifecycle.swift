import Foundation
import Store
import Workflow

/// A filing's progress as the public page shows it: status and history, no personal data.
public struct FilingProgress: Sendable, Hashable, Codable {
    /// One step of the history.
    public struct Step: Sendable, Hashable, Codable {
        public var at: Date
        public var status: String
        public var statusName: String
        /// 自助机 / 窗口工作人员 / 审批部门.
        public var by: String
        public var note: String?
    }

    public var number: String
    public var itemName: String
    public var department: String
    public var bundleName: String?
    public var status: String
    public var statusName: String
    public var receivedDay: String?
    public var promisedDeadline: String?
    public var light: String?
    public var lightName: String?
    public var deferredMaterials: [DeferredMaterial]
    /// The filing's own status steps (lifecycle transitions only: no staff action such as a reprint).
    public var history: [Step]
    /// The rating code (评价码) printed on the slip: whoever holds the slip or its QR may rate.
    public var ratingCode: String?
    /// Once concluded: where and how the result is collected (出件) or that it was mailed (送达).
    public var result: ResultDelivery?

    /// How a concluded filing's result reaches the citizen, without personal data (never the address).
    public struct ResultDelivery: Sendable, Hashable, Codable {
        /// `collect` (at a window) or `mail`.
        public var method: String
        /// The Chinese sentence the page and the screen show.
        public var text: String
        public var place: String?
        public var hours: String?
        public var note: String?
        public var waybill: String?
        public var carrier: String?
    }
}

extension FrontDesk {
    /// Applies a lifecycle event to a filing (staff at a window, the platform through progress sync):
    /// refused with a typed error when the table does not allow it; otherwise the status changes and
    /// the audit record is appended in the same transaction. Returns the new status.
    @discardableResult
    public func apply(_ event: FilingEvent, toFiling number: String, by actor: FilingActor,
                      reason: String? = nil) async throws(FrontDeskError) -> FilingStatus {
        let now = clock.now()
        let today = hall.moment(now).day
        return try await write { [self] tx in
            guard let filing = try tx.filings.find(number: number) else { throw WorkflowError.notFound("filing \(number)") }
            let current = filing.status
            let next = try FilingLifecycle.next(from: current, on: event, by: actor)
            var concluded: CivilDate? = nil
            if case .concluded = next { concluded = today }
            try tx.filings.setStatus(id: filing.id, next, concludedDay: concluded, at: now)
            try appendAudit(tx, subject: "filing:\(number)", actor: actor, at: now, event: event.description,
                            from: current.description, to: next.description, reason: reason)
            return next
        }
    }

    /// The filing with this number.
    public func filing(number: String) async throws(FrontDeskError) -> FilingRecord {
        try await read { tx in
            guard let filing = try tx.filings.find(number: number) else { throw WorkflowError.notFound("filing \(number)") }
            return filing
        }
    }

    /// The filings of a draft (one per item of a bundle).
    public func filings(draftID: String) async throws(FrontDeskError) -> [FilingRecord] {
        try await read { tx in try tx.filings.filings(draftID: draftID) }
    }

    /// Public progress for a token; nil when no filing has it. Carries no personal data.
    public func progress(token: String) async throws(FrontDeskError) -> FilingProgress? {
        guard ProgressToken(token) != nil else { return nil }
        return try await read { [self] tx in
            guard let filing = try tx.filings.find(progressToken: token) else { return nil }
            guard let number = filing.number else { return nil }
            let item = catalogue.item(code: filing.itemCode)
            let history = try tx.audit.records(subject: "filing:\(number)")
                // Only the lifecycle's own steps: staff actions on the filing (a reprint), supervision
                // and rating records are for the audit trail, not the citizen's page.
                .filter { FilingStatus($0.to) != nil }.map { r in
                FilingProgress.Step(at: Date(timeIntervalSince1970: Double(r.atMilliseconds) / 1000), status: r.to,
                                    statusName: FilingStatus(r.to)?.chineseName ?? r.to, by: r.actor.chineseName,
                                    note: r.actor == .kiosk ? r.reason : nil)
            }
            let notes = try tx.filings.resultNotes(id: filing.id)
            let result = Self.resultDelivery(status: filing.status, item: item, mailed: try tx.drafts.isMailed(id: filing.draftID),
                                             collection: notes.collection, mailing: notes.mailing)
            return FilingProgress(
                number: number, itemName: item?.name ?? filing.itemCode, department: item?.implementingBody ?? "",
                bundleName: filing.bundleCode.flatMap { catalogue.bundle(code: $0)?.name },
                status: filing.status.description, statusName: filing.status.chineseName,
                receivedDay: filing.receivedDay?.description, promisedDeadline: filing.promisedDeadline?.description,
                light: filing.light?.rawValue, lightName: filing.light?.chineseName,
                deferredMaterials: filing.deferred, history: history,
                ratingCode: filing.status == .submitted ? nil : try ratingCode(tx, for: .filing(number)), result: result)
        }
    }

    /// Where a concluded (or delivered) filing's result is: what the platform reported (a place to
    /// collect it, or the waybill it was mailed with), else what the filing and the catalogue say.
    static func resultDelivery(status: FilingStatus, item: ServiceItem?, mailed: Bool, collection: String?, mailing: String?)
        -> FilingProgress.ResultDelivery? {
        switch status {
        case .concluded, .delivered: break
        default: return nil
        }
        func object(_ json: String?) -> [String: String]? {
            json.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }?.compactMapValues { $0 as? String }
        }
        if let m = object(mailing), let waybill = m["waybill"] {
            let carrier = m["carrier"] ?? "EMS"
            return .init(method: "mail", text: "办理结果已通过\(carrier)邮寄，运单号 \(waybill)，请留意查收", waybill: waybill, carrier: carrier)
        }
        if mailed {
            return .init(method: "mail", text: "办理结果将邮寄至您登记的地址，寄出后可在此查看运单号")
        }
        if let c = object(collection), let place = c["place"] {
            return .init(method: "collect", text: "请携带身份证和受理通知单到\(place)领取" + (c["hours"].map { "（\($0)）" } ?? ""),
                         place: place, hours: c["hours"], note: c["note"])
        }
        let place = item?.responsible?.window ?? item?.implementingBody ?? "服务窗口"
        return .init(method: "collect", text: "请携带身份证和受理通知单到\(place)领取", place: place)
    }

    /// The public URL of a filing's progress page (the slip's QR code).
    public func progressURL(token: String) -> String {
        ProgressToken(token)?.url(publicBase: rules.publicBaseURL) ?? rules.publicBaseURL
    }
}

extension FilingActor {
    public var chineseName: String {
        switch self {
        case .kiosk: "自助机"
        case .staff: "窗口工作人员"
        case .technician: "技术人员"
        case .platform: "审批部门"
        }
    }
}

extension FrontDesk {
    /// Numbered filings, newest first, optionally of one status.
    public func recentFilings(status: FilingStatus? = nil, limit: Int = 50) async throws(FrontDeskError) -> [FilingRecord] {
        try await read { tx in try tx.filings.recent(status: status, limit: limit) }
    }
}
