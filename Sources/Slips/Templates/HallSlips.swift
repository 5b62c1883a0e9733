import Foundation
import Workflow

/// 排队号票: the big number, the category, how many wait before it.
public struct QueueTicketSlip: Sendable, Hashable, Codable {
    /// `A007`.
    public var ticket: String
    public var categoryName: String
    public var waiting: Int
    public var issuedAt: Date
    /// Where scanning the ticket leads (the queue's live position), optional.
    public var qrURL: String?
    /// `请到3、4号窗口等候叫号`.
    public var note: String?
    /// The code that lets the ticket's holder rate the service after it (好差评), printed as 评价码.
    public var ratingCode: String?
    /// 绿色通道: the ground (`老年人`, `残疾人`, `孕妇`), printed under the number.
    public var greenChannel: String?
    /// Whether the ground is the citizen's declaration, which the window staff verify.
    public var greenChannelDeclared: Bool?

    public init(ticket: String, categoryName: String, waiting: Int, issuedAt: Date, qrURL: String? = nil, note: String? = nil,
                ratingCode: String? = nil, greenChannel: String? = nil, greenChannelDeclared: Bool? = nil) {
        self.ratingCode = ratingCode
        self.greenChannel = greenChannel; self.greenChannelDeclared = greenChannelDeclared
        self.ticket = ticket; self.categoryName = categoryName; self.waiting = waiting
        self.issuedAt = issuedAt; self.qrURL = qrURL; self.note = note
    }

    public func document(context: SlipContext) -> SlipDocument {
        var slip = SlipDocument(kind: SlipTemplate.ticket.rawValue)
        slip.append(.line(context.hallName, .centered))
        slip.append(.line(categoryName, TextStyle(size: .double, bold: true, alignment: .center)))
        slip.append(.line(ticket, TextStyle(size: .huge, bold: true, alignment: .center)))
        if let greenChannel, !greenChannel.isEmpty {
            slip.append(.line("绿色通道（\(greenChannel)）", TextStyle(size: .tall, bold: true, alignment: .center)))
            if greenChannelDeclared == true {
                slip.append(.line("请向窗口出示相关证件", .centered))
                slip.append(.line("经工作人员核验后优先办理", .centered))
            }
        }
        slip.append(.line("您前面还有 \(max(waiting, 0)) 人等候", TextStyle(size: .tall, alignment: .center)))
        slip.append(.line("取号时间 " + context.dateTime(issuedAt), .centered))
        if let note, !note.isEmpty { slip.append(.line(note, .centered)) }
        slip.append(.line("请留意叫号，过号请重新取号", .centered))
        if let qrURL, !qrURL.isEmpty { slip.append(.qr(payload: qrURL, caption: "扫码查看排队进度")) }
        if let ratingCode, !ratingCode.isEmpty { RatingCodeBlock(code: ratingCode).append(to: &slip) }
        slip.append(.cut)
        return slip
    }
}

/// 一次性告知单 of one service item: everything needed, told once.
public struct OneTimeNotice: Sendable, Hashable, Codable {
    public struct Material: Sendable, Hashable, Codable {
        public enum Need: String, Sendable, Hashable, Codable {
            case required, optional, deferrable
        }

        public var name: String
        public var need: Need
        /// `申请人自备` / `政府部门核发（可免提交）`.
        public var source: String?
        /// `原件1份`.
        public var copies: String?
        public var note: String?

        public init(name: String, need: Need, source: String? = nil, copies: String? = nil, note: String? = nil) {
            self.name = name; self.need = need; self.source = source; self.copies = copies; self.note = note
        }
    }

    public var itemName: String
    public var itemCode: String?
    public var department: String
    public var conditions: [String]
    public var materials: [Material]
    /// `承诺5个工作日（法定20个工作日）`.
    public var timeLimit: String
    /// `不收费`.
    public var fee: String
    public var maxOnSiteVisits: Int?
    public var guideURL: String?
    public var consultationPhone: String?
    public var printedAt: Date

    public init(itemName: String, itemCode: String? = nil, department: String, conditions: [String], materials: [Material],
                timeLimit: String, fee: String, maxOnSiteVisits: Int? = nil, guideURL: String? = nil,
                consultationPhone: String? = nil, printedAt: Date) {
        self.itemName = itemName; self.itemCode = itemCode; self.department = department; self.conditions = conditions
        self.materials = materials; self.timeLimit = timeLimit; self.fee = fee; self.maxOnSiteVisits = maxOnSiteVisits
        self.guideURL = guideURL; self.consultationPhone = consultationPhone; self.printedAt = printedAt
    }

    public func document(context: SlipContext) -> SlipDocument {
        var slip = SlipDocument(kind: SlipTemplate.oneTimeNotice.rawValue)
        slip.append(.title("一次性告知单"))
        slip.append(.line(itemName, TextStyle(bold: true, alignment: .center)))
        if let itemCode { slip.append(.line("事项编码 " + itemCode, .centered)) }
        slip.append(.rule)
        slip.append(.row("办理部门", department))
        slip.append(.row("办理时限", timeLimit))
        slip.append(.row("收费标准", fee))
        if let maxOnSiteVisits { slip.append(.row("到现场次数", "最多\(maxOnSiteVisits)次")) }
        if !conditions.isEmpty {
            slip.append(.line("受理条件", TextStyle(bold: true)))
            for (index, condition) in conditions.enumerated() { slip.append(.line("\(index + 1). \(condition)")) }
        }
        slip.append(.line("申请材料（共\(materials.count)项）", TextStyle(bold: true)))
        for (index, material) in materials.enumerated() {
            let need = switch material.need {
            case .required: "必交"
            case .optional: "选交"
            case .deferrable: "可容缺后补"
            }
            var line = "\(index + 1). \(material.name)【\(need)】"
            if let copies = material.copies { line += " \(copies)" }
            slip.append(.line(line))
            if let source = material.source { slip.append(.line("   来源：\(source)")) }
            if let note = material.note { slip.append(.line("   说明：\(note)")) }
        }
        slip.append(.rule)
        if let guideURL, !guideURL.isEmpty { slip.append(.qr(payload: guideURL, caption: "扫码查看办事指南")) }
        slip.append(.row("咨询电话", consultationPhone ?? context.consultationPhone))
        slip.append(.row("打印时间", context.dateTime(printedAt)))
        slip.append(.cut)
        return slip
    }
}

/// 评价感谢单 after a rating on the pad; a 差评 (level 1–2) also says it will be followed up.
public struct EvaluationThanks: Sendable, Hashable, Codable {
    /// 5 非常满意 … 1 非常不满意.
    public var level: Int
    /// The filing number or ticket rated.
    public var subject: String
    public var ratedAt: Date
    /// Working days within which a 差评 is answered.
    public var followUpWorkingDays: Int?
    /// Where the citizen follows what is done about the rating (a 差评's rectification), as a QR code.
    public var followUpURL: String?

    public static let levelNames = [1: "非常不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"]

    public init(level: Int, subject: String, ratedAt: Date, followUpWorkingDays: Int? = nil, followUpURL: String? = nil) {
        self.followUpURL = followUpURL
        self.level = level; self.subject = subject; self.ratedAt = ratedAt; self.followUpWorkingDays = followUpWorkingDays
    }

    public func document(context: SlipContext) -> SlipDocument {
        let clamped = min(max(level, 1), 5)
        var slip = SlipDocument(kind: SlipTemplate.evaluationThanks.rawValue)
        slip.append(.title("感谢您的评价"))
        slip.append(.line(context.hallName, .centered))
        slip.append(.rule)
        slip.append(.row("评价对象", subject))
        slip.append(.row("评价结果", (Self.levelNames[clamped] ?? "") + " " + String(repeating: "★", count: clamped)
                        + String(repeating: "☆", count: 5 - clamped)))
        slip.append(.row("评价时间", context.dateTime(ratedAt)))
        if clamped <= 2 {
            slip.append(.line("您的意见已登记，我们将核实整改，并在\(followUpWorkingDays ?? 5)个工作日内回访答复。"))
        }
        if let followUpURL, !followUpURL.isEmpty { slip.append(.qr(payload: followUpURL, caption: "扫码查看评价处理情况")) }
        slip.append(.row("咨询电话", context.consultationPhone))
        slip.append(.cut)
        return slip
    }
}

/// 打印测试页 for technicians: every character class the profile claims, sizes, alignment, a QR.
public struct PrinterTestPage: Sendable, Hashable, Codable {
    public var printerId: String
    public var profileName: String
    public var printedAt: Date
    public var softwareVersion: String
    public var qrPayload: String

    public init(printerId: String, profileName: String, printedAt: Date, softwareVersion: String, qrPayload: String) {
        self.printerId = printerId; self.profileName = profileName; self.printedAt = printedAt
        self.softwareVersion = softwareVersion; self.qrPayload = qrPayload
    }

    public func document(context: SlipContext) -> SlipDocument {
        var slip = SlipDocument(kind: SlipTemplate.testPage.rawValue)
        slip.append(.title("打印测试页"))
        slip.append(.row("打印机", printerId))
        slip.append(.row("型号配置", profileName))
        slip.append(.row("终端", context.kioskId))
        slip.append(.row("软件版本", "OneWindow \(softwareVersion)"))
        slip.append(.row("时间", context.dateTime(printedAt)))
        slip.append(.rule)
        slip.append(.line("ASCII: 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz !#$%&*+-=/?@"))
        slip.append(.line("GB2312：政务服务一窗受理，材料齐全、开始办理。"))
        slip.append(.line("GBK：喆、堃、昇、珺、玥"))
        slip.append(.line("GB18030四字节：𠈌、𡘙（无此字库时按图像打印）"))
        slip.append(.line("左对齐 left"))
        slip.append(.line("居中 center", .centered))
        slip.append(.line("右对齐 right", TextStyle(alignment: .right)))
        slip.append(.line("粗体 bold", TextStyle(bold: true)))
        slip.append(.line("倍高 tall", TextStyle(size: .tall)))
        slip.append(.line("倍宽倍高", TextStyle(size: .double)))
        slip.append(.qr(payload: qrPayload, caption: qrPayload))
        slip.append(.cut)
        return slip
    }
}

extension OneTimeNotice {
    /// The one-time notice (一次性告知) of an item or bundle, generated from the catalogue's guide: every
    /// material with its need and source, conditions, time limits, fees — nothing left to "其他材料".
    public init(guide: ServiceGuide, printedAt: Date, guideURL: String? = nil) {
        let first = guide.items[0]
        let departments = guide.items.map(\.implementingBody).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        self.init(
            itemName: guide.title,
            itemCode: guide.bundleCode ?? first.implementationCode,
            department: departments.joined(separator: "、"),
            conditions: guide.items.flatMap { item in
                item.acceptanceConditions.map { guide.items.count > 1 ? "【\(item.name)】\($0)" : $0 }
            },
            materials: guide.materials.map { line in
                let need: Material.Need = switch line.needCode {
                case .required: .required
                case .deferrable: .deferrable
                case .optional: .optional
                }
                var notes: [String] = []
                if let licence = line.electronicLicence { notes.append("可用\(licence)电子证照免交") }
                if let deferral = line.deferral { notes.append("容缺：\(deferral)") }
                if let items = line.forItems, items.count < guide.items.count { notes.append("用于\(items.joined(separator: "、"))") }
                return Material(name: line.name, need: need, source: line.source, copies: "\(line.pages)页",
                                note: notes.isEmpty ? nil : notes.joined(separator: "；"))
            },
            timeLimit: guide.items.map { item in
                let limit = item.promisedTimeLimit == "即办" ? "即办" : "承诺\(item.promisedTimeLimit)（法定\(item.statutoryTimeLimit)）"
                return guide.items.count > 1 ? "\(item.name)：\(limit)" : limit
            }.joined(separator: "；"),
            fee: guide.items.flatMap(\.fees).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.joined(separator: "；"),
            maxOnSiteVisits: guide.items.map(\.maxOnSiteVisits).max(),
            guideURL: guideURL,
            consultationPhone: first.consultationPhone,
            printedAt: printedAt)
    }
}
