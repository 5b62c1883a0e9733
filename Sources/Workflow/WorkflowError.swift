/// Why the workflow refused a request, in terms a technician or the touch screen can act on.
public enum WorkflowError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The item or bundle code is not in the catalogue.
    case unknownSubject(FilingSubject)
    /// The item cannot be filed at a self-service kiosk (`supportsKiosk: false`).
    case notOfferedAtKiosk(itemCode: String)
    /// No material of that code is asked for by the filing.
    case unknownMaterial(String)
    /// No filing, draft, ticket or record with that reference.
    case notFound(String)
    /// The lifecycle refuses the step.
    case transition(FilingTransitionError)
    /// The draft was already submitted or abandoned.
    case draftClosed(String)
    /// The citizen's visit (the screen's session) that opened the draft has ended or timed out.
    case sessionEnded(String)
    /// The queue category is unknown.
    case unknownCategory(String)
    /// The category has issued its daily limit of tickets.
    case dailyLimitReached(category: String, limit: Int)
    /// This person already holds a waiting ticket in this category.
    case alreadyWaiting(ticket: String)
    /// The service instance was already rated (一次一评).
    case alreadyRated(subject: String)
    /// The rating is not 1…5.
    case invalidLevel(Int)
    /// The rectification record refuses the step.
    case rectification(from: RectificationStatus, to: RectificationStatus)
    /// A queue ticket cannot make this step (e.g. skip a ticket already served).
    case ticketStep(from: TicketState, to: TicketState)
    /// The instance cannot be rated yet (the filing was not concluded or the ticket not served).
    case notRateable(String)
    /// A rating's comment is longer than the platform takes.
    case commentTooLong(maximum: Int)
    /// The window is paused (暂停服务) with this reason.
    case windowPaused(window: String, reason: String)
    /// Another staff member is signed in at the window.
    case windowHeldBy(window: String, staff: String)
    /// Nobody is signed in at the window (open it first).
    case windowNotOpen(window: String)
    /// The window has no called ticket for this step.
    case nothingCalled(window: String)
    /// A skipped ticket came back after the re-queue grace.
    case skipGraceExpired(ticket: String)
    /// 补交: the filing owes no deferred material (none deferred, all handed in, or it is closed).
    case nothingOwed(filing: String)
    /// 补交: a deferred material's deadline passed; the catalogue's consequence applies (or was applied).
    case deferralLapsed(filing: String, consequence: DeferralConsequence)
    /// 补交: the card read or the ID number's last characters are not the filing's applicant's.
    case identityMismatch(filing: String)
    /// 补交: too many wrong ID endings for this filing today; staff must help.
    case identificationLocked(filing: String)
    /// 补交: no owed material has all its pages captured yet.
    case nothingCaptured(filing: String)
    /// A supplement is submitted as a supplement, a filing as a filing.
    case wrongDraftKind(draft: String, supplement: Bool)
    /// A part of the mailing address (邮寄送达) is missing or malformed.
    case invalidMailingAddress(field: String, reason: String)
    /// 帮办代办: the principal entered is not a name and a valid ID number.
    case invalidPrincipal(reason: String)
    /// 帮办代办: the item lists no 授权委托书, so a principal can only be read from their card.
    case authorizationNotListed(itemCode: String)
    /// 绿色通道: the hall does not offer this ground (queue.yaml `greenChannel.grounds`).
    case greenChannelNotOffered(ground: String)
    /// 一表申请: answers refused by their fields' rules (each with its key and Chinese reason).
    case invalidFormAnswers([FormFieldProblem])
    /// 一表申请: answers to keys the draft's form does not ask.
    case unknownFormFields([String])
    /// 一表申请: answers to fields the card fills (name, ID number…), which the form does not let change.
    case formFieldsLocked([String])
    /// 一表申请: the draft's subject has no application form.
    case noForm(draft: String)
    /// 一表申请: required fields of the form are unanswered; nothing was filed.
    case formIncomplete(missing: [FormFieldProblem])

    public var description: String {
        switch self {
        case let .unknownSubject(s): "no \(s) in the catalogue"
        case let .notOfferedAtKiosk(code): "item \(code) cannot be filed at a self-service kiosk"
        case let .unknownMaterial(code): "the filing asks for no material \(code)"
        case let .notFound(what): "no \(what)"
        case let .transition(e): e.description
        case let .draftClosed(id): "draft \(id) was already submitted or abandoned"
        case let .sessionEnded(id): "no open session \(id)"
        case let .unknownCategory(c): "no queue category \(c)"
        case let .dailyLimitReached(c, limit): "category \(c) issued its \(limit) tickets for today"
        case let .alreadyWaiting(t): "this person already waits with ticket \(t) in this category"
        case let .alreadyRated(s): "\(s) was already rated"
        case let .invalidLevel(l): "rating level \(l) is not 1…5"
        case let .rectification(from, to): "a rectification cannot go from \(from.rawValue) to \(to.rawValue)"
        case let .ticketStep(from, to): "a \(from.rawValue) ticket cannot become \(to.rawValue)"
        case let .notRateable(s): "\(s) cannot be rated yet"
        case let .commentTooLong(maximum): "a rating's comment may be at most \(maximum) characters"
        case let .windowPaused(window, reason): "window \(window) is paused (\(reason))"
        case let .windowHeldBy(window, staff): "staff member \(staff) is signed in at window \(window)"
        case let .windowNotOpen(window): "nobody is signed in at window \(window): open it first"
        case let .nothingCalled(window): "window \(window) has no called ticket"
        case let .skipGraceExpired(ticket): "ticket \(ticket) was skipped longer ago than the re-queue grace"
        case let .nothingOwed(f): "filing \(f) owes no deferred material"
        case let .deferralLapsed(f, c): "a deferred material of filing \(f) is past its deadline: \(c.rawValue) (\(c.chineseName)) applies"
        case let .identityMismatch(f): "the identity given is not the applicant of filing \(f)"
        case let .identificationLocked(f): "too many wrong ID endings for filing \(f) today"
        case let .nothingCaptured(f): "no owed material of filing \(f) has all its pages captured"
        case let .wrongDraftKind(d, supplement): supplement ? "draft \(d) is a supplement: submit it at /api/v1/supplements/{id}/submit"
            : "draft \(d) is a filing, not a supplement"
        case let .invalidMailingAddress(field, reason): "mailing.\(field) must be \(reason)"
        case let .invalidPrincipal(reason): "principal: \(reason)"
        case let .authorizationNotListed(code): "item \(code) lists no 授权委托书: an agent files for a principal only with the principal's card"
        case let .greenChannelNotOffered(ground): "this hall's green channel does not offer the ground '\(ground)'"
        case let .invalidFormAnswers(p): "form answers refused: " + p.map { "\($0.key) (\($0.reason.rawValue))" }.joined(separator: ", ")
        case let .unknownFormFields(keys): "the form asks no field " + keys.joined(separator: ", ")
        case let .formFieldsLocked(keys): "filled from the ID card, not changeable: " + keys.joined(separator: ", ")
        case let .noForm(d): "draft \(d) has no application form"
        case let .formIncomplete(missing): "required form fields unanswered: " + missing.map(\.key).joined(separator: ", ")
        }
    }

    /// The Chinese sentence the touch screen shows.
    public var chineseMessage: String {
        switch self {
        case .unknownSubject, .notFound: "未找到该事项或记录，请重新选择"
        case .notOfferedAtKiosk: "该事项不支持自助办理，请到窗口办理"
        case .unknownMaterial: "该材料不属于本事项"
        case .transition: "当前办件状态不允许此操作"
        case .draftClosed: "本次申请已提交或已结束"
        case .sessionEnded: "本次办理已结束，请重新开始"
        case .unknownCategory: "未找到该业务类别"
        case .dailyLimitReached: "今日该业务号已取完，请明日再来或网上预约"
        case .alreadyWaiting: "您已取号，正在排队中，请留意叫号"
        case .alreadyRated: "该服务已评价，感谢您的参与"
        case .invalidLevel: "请选择 1 至 5 的评价等级"
        case .rectification: "整改状态不允许此操作"
        case .ticketStep: "该号码当前状态不允许此操作"
        case .notRateable: "服务完成后才能评价"
        case let .commentTooLong(maximum): "评价意见请不超过\(maximum)字"
        case .windowPaused: "该窗口暂停服务"
        case .windowHeldBy: "该窗口已有其他工作人员登录"
        case .windowNotOpen: "请先登录该窗口"
        case .nothingCalled: "该窗口当前没有已呼叫的号码"
        case .skipGraceExpired: "过号时间已超过规定时限，请重新取号"
        case .nothingOwed: "该办件没有需要补交的材料"
        case let .deferralLapsed(_, c): "补交期限已过，本件按\(c.chineseName)处理"
        case .identityMismatch: "身份信息与该办件不符，请核对受理单号和身份证号码后四位"
        case .identificationLocked: "核验错误次数过多，请持身份证到人工窗口办理"
        case .nothingCaptured: "请先拍摄需要补交的材料"
        case .wrongDraftKind: "本次办理类型有误，请返回首页重新开始"
        case let .invalidMailingAddress(field, _): field == "phone" ? "请填写正确的收件人手机号码或固定电话" : "请填写完整的邮寄地址"
        case .invalidPrincipal: "请核对被代办人的姓名和身份证号码"
        case .authorizationNotListed: "该事项代办须读取被代办人身份证，请放入被代办人身份证"
        case .greenChannelNotOffered: "本大厅暂未开通该项绿色通道，请取普通号或咨询工作人员"
        case let .invalidFormAnswers(p): p.count == 1 ? p[0].message : "申请表有\(p.count)项填写有误，请按提示修改"
        case .unknownFormFields: "申请表中没有该项"
        case .formFieldsLocked: "该项由身份证信息自动填写，不能修改"
        case .noForm: "本事项无需在线填写申请表"
        case .formIncomplete: "申请表还有必填项未填写，请填写完整后再提交"
        }
    }
}
