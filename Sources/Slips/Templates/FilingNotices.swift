import Foundation

/// 受理通知单: a filing accepted with complete materials ("材料齐全、开始办理").
public struct AcceptanceNotice: Sendable, Hashable, Codable {
    public var filingNumber: String
    public var itemName: String
    /// The 一件事 a bundle filing belongs to.
    public var bundleName: String?
    public var applicantName: String
    /// Printed masked, whatever is given.
    public var applicantIDNumber: String
    public var acceptedAt: Date
    public var department: String
    /// `2026-12-04`.
    public var promisedDeadline: String
    /// `5个工作日`.
    public var promisedTimeLimit: String?
    public var progressURL: String
    /// Overrides the kiosk's number.
    public var consultationPhone: String?
    /// The platform was unreachable: accepted by this kiosk and forwarded when the network returns.
    public var acceptedLocallyOnly: Bool?
    /// The code that lets the slip's holder rate the service later (好差评), printed as 评价码.
    public var ratingCode: String?
    /// 责任窗口 and 责任人 from the catalogue.
    public var responsibleWindow: String?
    public var responsiblePerson: String?
    /// The agent (代办人) who filed for the applicant (帮办代办); printed masked, whatever is given.
    public var agentName: String?
    public var agentIDNumber: String?

    public init(filingNumber: String, itemName: String, bundleName: String? = nil, applicantName: String,
                applicantIDNumber: String, acceptedAt: Date, department: String, promisedDeadline: String,
                promisedTimeLimit: String? = nil, progressURL: String, consultationPhone: String? = nil,
                acceptedLocallyOnly: Bool? = nil, ratingCode: String? = nil,
                responsibleWindow: String? = nil, responsiblePerson: String? = nil) {
        self.ratingCode = ratingCode; self.responsibleWindow = responsibleWindow; self.responsiblePerson = responsiblePerson
        self.filingNumber = filingNumber; self.itemName = itemName; self.bundleName = bundleName
        self.applicantName = applicantName; self.applicantIDNumber = applicantIDNumber; self.acceptedAt = acceptedAt
        self.department = department; self.promisedDeadline = promisedDeadline; self.promisedTimeLimit = promisedTimeLimit
        self.progressURL = progressURL; self.consultationPhone = consultationPhone; self.acceptedLocallyOnly = acceptedLocallyOnly
    }

    public func document(context: SlipContext) -> SlipDocument {
        var slip = SlipDocument(kind: SlipTemplate.acceptance.rawValue)
        slip.append(.title("受理通知单"))
        slip.append(.line(context.hallName, .centered))
        slip.append(.rule)
        slip.append(.line("材料齐全、开始办理", TextStyle(size: .tall, bold: true, alignment: .center)))
        FilingBlock(number: filingNumber, item: itemName, bundle: bundleName,
                    applicant: MaskedApplicant(name: applicantName, idNumber: applicantIDNumber),
                    acceptedAt: context.dateTime(acceptedAt), department: department,
                    promisedDeadline: promisedDeadline, promisedTimeLimit: promisedTimeLimit,
                    responsibleWindow: responsibleWindow, responsiblePerson: responsiblePerson,
                    agent: agentName.map { MaskedApplicant(name: $0, idNumber: agentIDNumber ?? "") }).append(to: &slip)
        if acceptedLocallyOnly == true { slip.append(FilingBlock.acceptedLocallyNotice) }
        slip.append(.rule)
        ProgressBlock(url: progressURL, phone: consultationPhone ?? context.consultationPhone, ratingCode: ratingCode).append(to: &slip)
        slip.append(.cut)
        return slip
    }
}

/// 容缺受理单: accepted with deferrable materials still to come; lists each one, how to supply it and by when.
public struct ConditionalAcceptanceNotice: Sendable, Hashable, Codable {
    public struct MissingMaterial: Sendable, Hashable, Codable {
        public var name: String
        /// `到大厅3号窗口补交原件` / `通过“爱山东”上传`.
        public var howToSupply: String
        /// `2026-11-27`.
        public var deadline: String

        public init(name: String, howToSupply: String, deadline: String) {
            self.name = name; self.howToSupply = howToSupply; self.deadline = deadline
        }
    }

    public var filingNumber: String
    public var itemName: String
    public var bundleName: String?
    public var applicantName: String
    public var applicantIDNumber: String
    public var acceptedAt: Date
    public var department: String
    public var promisedDeadline: String
    public var promisedTimeLimit: String?
    public var missing: [MissingMaterial]
    /// What happens if a material is late; a standard sentence when absent.
    public var ifLate: String?
    public var commitmentSigned: Bool
    public var progressURL: String
    public var consultationPhone: String?
    public var acceptedLocallyOnly: Bool?
    /// The code that lets the slip's holder rate the service later (好差评), printed as 评价码.
    public var ratingCode: String?
    /// 责任窗口 and 责任人 from the catalogue.
    public var responsibleWindow: String?
    public var responsiblePerson: String?
    /// The agent (代办人) who filed for the applicant (帮办代办); printed masked, whatever is given.
    public var agentName: String?
    public var agentIDNumber: String?

    public static let standardIfLate = "逾期未补齐的，本次申请终止办理，已提交材料退回，需重新申请。"

    public init(filingNumber: String, itemName: String, bundleName: String? = nil, applicantName: String,
                applicantIDNumber: String, acceptedAt: Date, department: String, promisedDeadline: String,
                promisedTimeLimit: String? = nil, missing: [MissingMaterial], ifLate: String? = nil,
                commitmentSigned: Bool, progressURL: String, consultationPhone: String? = nil, acceptedLocallyOnly: Bool? = nil,
                ratingCode: String? = nil, responsibleWindow: String? = nil, responsiblePerson: String? = nil) {
        self.ratingCode = ratingCode; self.responsibleWindow = responsibleWindow; self.responsiblePerson = responsiblePerson
        self.filingNumber = filingNumber; self.itemName = itemName; self.bundleName = bundleName
        self.applicantName = applicantName; self.applicantIDNumber = applicantIDNumber; self.acceptedAt = acceptedAt
        self.department = department; self.promisedDeadline = promisedDeadline; self.promisedTimeLimit = promisedTimeLimit
        self.missing = missing; self.ifLate = ifLate; self.commitmentSigned = commitmentSigned
        self.progressURL = progressURL; self.consultationPhone = consultationPhone; self.acceptedLocallyOnly = acceptedLocallyOnly
    }

    public func document(context: SlipContext) -> SlipDocument {
        var slip = SlipDocument(kind: SlipTemplate.conditionalAcceptance.rawValue)
        slip.append(.title("容缺受理单"))
        slip.append(.line(context.hallName, .centered))
        slip.append(.rule)
        FilingBlock(number: filingNumber, item: itemName, bundle: bundleName,
                    applicant: MaskedApplicant(name: applicantName, idNumber: applicantIDNumber),
                    acceptedAt: context.dateTime(acceptedAt), department: department,
                    promisedDeadline: promisedDeadline, promisedTimeLimit: promisedTimeLimit,
                    responsibleWindow: responsibleWindow, responsiblePerson: responsiblePerson,
                    agent: agentName.map { MaskedApplicant(name: $0, idNumber: agentIDNumber ?? "") }).append(to: &slip)
        slip.append(.row("告知承诺", commitmentSigned ? "申请人已签署" : "未签署"))
        slip.append(.rule)
        slip.append(.line("待补齐材料（共\(missing.count)项）", TextStyle(bold: true)))
        for (index, material) in missing.enumerated() {
            slip.append(.line("\(index + 1). \(material.name)", TextStyle(bold: true)))
            slip.append(.row("补交方式", material.howToSupply))
            slip.append(.row("补交期限", SlipContext.civilDay(material.deadline) + "前"))
        }
        slip.append(.line("逾期后果：" + (ifLate ?? Self.standardIfLate)))
        if acceptedLocallyOnly == true { slip.append(FilingBlock.acceptedLocallyNotice) }
        slip.append(.rule)
        ProgressBlock(url: progressURL, phone: consultationPhone ?? context.consultationPhone, ratingCode: ratingCode).append(to: &slip)
        slip.append(.cut)
        return slip
    }
}

/// 不予受理告知书 at the kiosk: why the filing could not be accepted and what to do next.
public struct RejectionNotice: Sendable, Hashable, Codable {
    public var itemName: String
    public var applicantName: String
    public var applicantIDNumber: String
    public var decidedAt: Date
    public var department: String?
    public var reasons: [String]
    /// What the citizen can do (`补齐材料后可重新申请`); a standard sentence when absent.
    public var nextSteps: String?
    /// The item's guide (一次性告知) online, printed as a QR code so the citizen can prepare.
    public var guideURL: String?
    public var consultationPhone: String?

    public init(itemName: String, applicantName: String, applicantIDNumber: String, decidedAt: Date,
                department: String? = nil, reasons: [String], nextSteps: String? = nil, guideURL: String? = nil,
                consultationPhone: String? = nil) {
        self.guideURL = guideURL
        self.itemName = itemName; self.applicantName = applicantName; self.applicantIDNumber = applicantIDNumber
        self.decidedAt = decidedAt; self.department = department; self.reasons = reasons
        self.nextSteps = nextSteps; self.consultationPhone = consultationPhone
    }

    public func document(context: SlipContext) -> SlipDocument {
        var slip = SlipDocument(kind: SlipTemplate.rejection.rawValue)
        slip.append(.title("不予受理告知单"))
        slip.append(.line(context.hallName, .centered))
        slip.append(.rule)
        let applicant = MaskedApplicant(name: applicantName, idNumber: applicantIDNumber)
        slip.append(.row("办理事项", itemName))
        slip.append(.row("申请人", applicant.name))
        slip.append(.row("证件号码", applicant.idNumber))
        slip.append(.row("告知时间", context.dateTime(decidedAt)))
        if let department { slip.append(.row("办理部门", department)) }
        slip.append(.rule)
        slip.append(.line("不予受理的原因：", TextStyle(bold: true)))
        for (index, reason) in reasons.enumerated() {
            slip.append(.line("\(index + 1). \(reason)"))
        }
        slip.append(.line(nextSteps ?? "请按上述原因准备齐全后重新申请；如有疑问请到窗口咨询。"))
        if let guideURL, !guideURL.isEmpty { slip.append(.qr(payload: guideURL, caption: "扫码查看办事指南")) }
        slip.append(.row("咨询电话", consultationPhone ?? context.consultationPhone))
        slip.append(.cut)
        return slip
    }
}

/// The filing rows the acceptance notices share.
struct FilingBlock {
    var number: String
    var item: String
    var bundle: String?
    var applicant: MaskedApplicant
    var acceptedAt: String
    var department: String
    var promisedDeadline: String
    var promisedTimeLimit: String?
    var responsibleWindow: String? = nil
    var responsiblePerson: String? = nil
    /// The agent (代办人) who filed for the applicant, masked.
    var agent: MaskedApplicant? = nil

    /// Said on a notice printed while the platform was unreachable.
    static let acceptedLocallyNotice = SlipElement.line("网络暂时中断：本件已由本机受理编号，网络恢复后自动报送，无需再次办理。")

    func append(to slip: inout SlipDocument) {
        slip.append(.row("办件编号", number, bold: true))
        if let bundle { slip.append(.row("一件事", bundle)) }
        slip.append(.row("办理事项", item))
        slip.append(.row("申请人", applicant.name))
        slip.append(.row("证件号码", applicant.idNumber))
        if let agent {
            slip.append(.row("代办人", agent.name))
            slip.append(.row("代办人证件", agent.idNumber))
        }
        slip.append(.row("受理时间", acceptedAt))
        slip.append(.row("办理部门", department))
        if let responsibleWindow, !responsibleWindow.isEmpty { slip.append(.row("受理窗口", responsibleWindow)) }
        if let responsiblePerson, !responsiblePerson.isEmpty { slip.append(.row("责任人", responsiblePerson)) }
        slip.append(.row("承诺办结", SlipContext.civilDay(promisedDeadline) + (promisedTimeLimit.map { "（\($0)）" } ?? ""), bold: true))
    }
}

/// The progress QR, its URL in text, the phone to call and the rating code.
struct ProgressBlock {
    var url: String
    var phone: String
    var ratingCode: String? = nil

    func append(to slip: inout SlipDocument) {
        slip.append(.line("扫码查询办理进度", .centered))
        slip.append(.qr(payload: url, caption: nil))
        slip.append(.line(url, .centered))
        slip.append(.row("咨询电话", phone))
        if let ratingCode, !ratingCode.isEmpty { RatingCodeBlock(code: ratingCode).append(to: &slip) }
    }
}

/// 评价码: what lets the slip's holder rate the service later, at a kiosk or on the progress page.
struct RatingCodeBlock {
    var code: String

    func append(to slip: inout SlipDocument) {
        slip.append(.row("评价码", RatingCodeBlock.grouped(code), bold: true))
        slip.append(.line("凭评价码可在自助终端或扫码页面对本次服务进行评价"))
    }

    /// `4821 0937 5512`: groups of four, easier to read and type.
    static func grouped(_ code: String) -> String {
        stride(from: 0, to: code.count, by: 4).map { i in
            let start = code.index(code.startIndex, offsetBy: i)
            return String(code[start..<(code.index(start, offsetBy: 4, limitedBy: code.endIndex) ?? code.endIndex)])
        }.joined(separator: " ")
    }
}
