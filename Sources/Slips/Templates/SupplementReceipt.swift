import Foundation

/// 补交材料收件凭证: a 容缺 filing's deferred materials handed in later at the kiosk — which, how
/// many pages, what is still owed and by when, and the filing's status now.
public struct SupplementReceipt: Sendable, Hashable, Codable {
    /// A material handed in now.
    public struct Supplied: Sendable, Hashable, Codable {
        public var name: String
        public var pages: Int

        public init(name: String, pages: Int) { self.name = name; self.pages = pages }
    }

    /// A material still owed.
    public struct Owed: Sendable, Hashable, Codable {
        public var name: String
        /// `2026-11-27`.
        public var deadline: String
        /// `退件` / `不予受理`: what happens if it is late.
        public var ifLate: String?

        public init(name: String, deadline: String, ifLate: String? = nil) {
            self.name = name; self.deadline = deadline; self.ifLate = ifLate
        }
    }

    public var filingNumber: String
    public var itemName: String
    public var applicantName: String
    /// Printed masked, whatever is given.
    public var applicantIDNumber: String
    public var suppliedAt: Date
    public var supplied: [Supplied]
    public var stillOwed: [Owed]
    /// The filing's status in Chinese after the supplement (`已受理` once nothing is owed).
    public var statusName: String
    public var progressURL: String
    public var consultationPhone: String?

    public init(filingNumber: String, itemName: String, applicantName: String, applicantIDNumber: String, suppliedAt: Date,
                supplied: [Supplied], stillOwed: [Owed], statusName: String, progressURL: String, consultationPhone: String? = nil) {
        self.filingNumber = filingNumber; self.itemName = itemName; self.applicantName = applicantName
        self.applicantIDNumber = applicantIDNumber; self.suppliedAt = suppliedAt; self.supplied = supplied
        self.stillOwed = stillOwed; self.statusName = statusName; self.progressURL = progressURL
        self.consultationPhone = consultationPhone
    }

    public func document(context: SlipContext) -> SlipDocument {
        var slip = SlipDocument(kind: SlipTemplate.supplement.rawValue)
        slip.append(.title("补交材料收件凭证"))
        slip.append(.line(context.hallName, .centered))
        slip.append(.rule)
        let applicant = MaskedApplicant(name: applicantName, idNumber: applicantIDNumber)
        slip.append(.row("办件编号", filingNumber))
        slip.append(.row("办理事项", itemName))
        slip.append(.row("申请人", applicant.name))
        slip.append(.row("证件号码", applicant.idNumber))
        slip.append(.row("补交时间", context.dateTime(suppliedAt)))
        slip.append(.rule)
        slip.append(.line("本次补交材料（共\(supplied.count)项）", TextStyle(bold: true)))
        for (index, material) in supplied.enumerated() {
            slip.append(.row("\(index + 1). \(material.name)", "\(material.pages)页"))
        }
        if stillOwed.isEmpty {
            slip.append(.line("容缺材料已全部补齐，转为正式受理", TextStyle(size: .tall, bold: true, alignment: .center)))
        } else {
            slip.append(.line("仍需补交（共\(stillOwed.count)项）", TextStyle(bold: true)))
            for (index, material) in stillOwed.enumerated() {
                slip.append(.line("\(index + 1). \(material.name)", TextStyle(bold: true)))
                slip.append(.row("补交期限", SlipContext.civilDay(material.deadline) + "前"))
                if let ifLate = material.ifLate { slip.append(.row("逾期后果", ifLate)) }
            }
        }
        slip.append(.row("办件状态", statusName))
        slip.append(.rule)
        ProgressBlock(url: progressURL, phone: consultationPhone ?? context.consultationPhone, ratingCode: nil).append(to: &slip)
        slip.append(.cut)
        return slip
    }
}
