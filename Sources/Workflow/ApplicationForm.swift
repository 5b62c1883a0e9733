import Foundation

/// 一表申请: the application form an item asks for, as fields the kiosk renders and the filing
/// carries upstream as structured answers (no photographed hand-filled form). When
/// `replacesMaterial` names the item's application-form material, the kiosk no longer asks for it.
public struct ItemForm: Sendable, Hashable, Codable {
    /// The code of the item's material the online form stands for (its 申请表/登记表): dropped from
    /// the materials the kiosk asks for. Absent: the form is asked besides the materials.
    public var replacesMaterial: String?
    public var fields: [FormField]

    public init(replacesMaterial: String? = nil, fields: [FormField]) {
        self.replacesMaterial = replacesMaterial
        self.fields = fields
    }
}

/// What kind of answer a form field takes (and so which input the screen offers).
public enum FormFieldType: String, Sendable, Hashable, Codable, CaseIterable {
    /// Free text (the kiosk has no Chinese keyboard: pre-filled, or optional).
    case text
    /// A number, within `min`…`max` when given.
    case number
    /// A calendar date, `YYYY-MM-DD`.
    case date
    /// A mobile number of 11 digits or a landline such as 0632-5512260.
    case phone
    /// One of `options`.
    case choice
    /// 是 / 否.
    case yesNo
    /// An 18-character resident ID number (GB 11643 check character); shown only masked.
    case idNumber
    /// An address (picked from the hall's towns, streets and communities, or the card's).
    case address

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                "'\(text)' is not a form field type (one of \(Self.allCases.map(\.rawValue).joined(separator: ", ")))"))
        }
        self = value
    }
}

/// Which fact of the applicant's ID card (or, without one, of the ID number) pre-fills a field.
public enum PrefillSource: String, Sendable, Hashable, Codable, CaseIterable {
    case name
    case idNumber
    case address
    case birthDate
    case sex
    case nation

    /// Identity facts are the card's (or the principal's as entered): shown for confirmation,
    /// not changed on the form. An address may have changed since the card was issued.
    public var isIdentity: Bool { self != .address }

    /// The field types this source can fill.
    public var fillableTypes: Set<FormFieldType> {
        switch self {
        case .name, .nation: [.text, .choice]
        case .idNumber: [.idNumber]
        case .address: [.address, .text]
        case .birthDate: [.date]
        case .sex: [.choice, .text]
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                "'\(text)' is not a card field to pre-fill from (one of \(Self.allCases.map(\.rawValue).joined(separator: ", ")))"))
        }
        self = value
    }
}

/// One field of an item's application form (catalogue.yaml `form.fields`). Keys are catalogue-wide
/// like material codes: the same key in two items of a bundle is the same question, asked once.
public struct FormField: Sendable, Hashable, Codable {
    public var key: String
    /// The Chinese label the screen shows, e.g. 联系电话.
    public var label: String
    public var type: FormFieldType
    /// Required unless `required: false`.
    public var required: Bool?
    /// Text and address: at least / at most this many characters.
    public var minLength: Int?
    public var maxLength: Int?
    /// Text and phone: the whole answer must match this regular expression.
    public var pattern: String?
    /// Number: the allowed range.
    public var min: Double?
    public var max: Double?
    /// Choice: the options, in the order shown.
    public var options: [String]?
    /// The card fact that pre-fills it.
    public var prefill: PrefillSource?
    /// A short Chinese hint under the field.
    public var hint: String?

    public init(key: String, label: String, type: FormFieldType, required: Bool? = nil, minLength: Int? = nil, maxLength: Int? = nil,
                pattern: String? = nil, min: Double? = nil, max: Double? = nil, options: [String]? = nil,
                prefill: PrefillSource? = nil, hint: String? = nil) {
        self.key = key; self.label = label; self.type = type; self.required = required
        self.minLength = minLength; self.maxLength = maxLength; self.pattern = pattern; self.min = min; self.max = max
        self.options = options; self.prefill = prefill; self.hint = hint
    }

    public var isRequired: Bool { required ?? true }

    /// Why two items' definitions of the same key cannot be one question (nil when they can):
    /// the type, the options, the pre-fill source or the pattern differ. Labels, requiredness and
    /// length/range limits merge (the stricter applies).
    public func incompatibility(with other: FormField) -> String? {
        if type != other.type { return "type \(type.rawValue) vs \(other.type.rawValue)" }
        if (options ?? []) != (other.options ?? []) { return "options differ" }
        if prefill != other.prefill {
            return "prefill \(prefill?.rawValue ?? "none") vs \(other.prefill?.rawValue ?? "none")"
        }
        if pattern != other.pattern { return "pattern differs" }
        return nil
    }
}

/// An answer: text (also dates, phones, choices, ID numbers, addresses), a number, or yes/no.
public enum FormValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case text(String)
    case number(Double)
    case yesNo(Bool)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            self = .yesNo(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else {
            self = .text(try c.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .text(t): try c.encode(t)
        case let .number(n): try c.encode(n)
        case let .yesNo(b): try c.encode(b)
        }
    }

    public var description: String {
        switch self {
        case let .text(t): t
        case let .number(n): n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case let .yesNo(b): b ? "是" : "否"
        }
    }
}

/// One answer refused, with its key, a stable reason and the Chinese sentence for the screen.
public struct FormFieldProblem: Sendable, Hashable, Codable {
    public enum Reason: String, Sendable, Hashable, Codable {
        case required, unknownField, locked, wrongType, tooShort, tooLong, pattern, outOfRange
        case notADate, notAPhone, notAnOption, notAnIDNumber
    }

    public var key: String
    public var reason: Reason
    public var message: String

    public init(key: String, reason: Reason, message: String) {
        self.key = key; self.reason = reason; self.message = message
    }
}

/// The facts of an ID card a form may be pre-filled with (besides the name and number the
/// applicant already carries). Personal data: wiped with the draft.
public struct CardFacts: Sendable, Hashable, Codable {
    /// 男 / 女.
    public var sex: String?
    /// 民族, e.g. 汉.
    public var nation: String?
    /// `YYYY-MM-DD`.
    public var birthDate: String?
    /// 住址 as printed on the card.
    public var address: String?

    public init(sex: String? = nil, nation: String? = nil, birthDate: String? = nil, address: String? = nil) {
        self.sex = sex; self.nation = nation; self.birthDate = birthDate; self.address = address
    }
}

/// The one form of a filing (一张表单): an item's fields, or a bundle's items' fields merged by
/// key (each asked once, required when any item requires it, the stricter limits), first-seen order.
public struct ApplicationForm: Sendable, Hashable {
    /// A field with the items (implementation codes) that ask it.
    public struct Field: Sendable, Hashable {
        public var field: FormField
        public var itemCodes: [String]
    }

    public var fields: [Field]
    private var index: [String: Int]

    /// Merges the items' form fields; nil when no item has a form.
    public init?(items: [ServiceItem]) {
        var fields: [Field] = []
        var index: [String: Int] = [:]
        for item in items {
            for f in item.form?.fields ?? [] {
                if let i = index[f.key] {
                    var merged = fields[i]
                    if !merged.itemCodes.contains(item.implementationCode) { merged.itemCodes.append(item.implementationCode) }
                    merged.field.required = merged.field.isRequired || f.isRequired
                    merged.field.minLength = Self.stricter(merged.field.minLength, f.minLength, Swift.max)
                    merged.field.maxLength = Self.stricter(merged.field.maxLength, f.maxLength, Swift.min)
                    merged.field.min = Self.stricter(merged.field.min, f.min, Swift.max)
                    merged.field.max = Self.stricter(merged.field.max, f.max, Swift.min)
                    fields[i] = merged
                } else {
                    index[f.key] = fields.count
                    fields.append(Field(field: f, itemCodes: [item.implementationCode]))
                }
            }
        }
        if fields.isEmpty { return nil }
        self.fields = fields
        self.index = index
    }

    private static func stricter<T>(_ a: T?, _ b: T?, _ pick: (T, T) -> T) -> T? {
        switch (a, b) {
        case let (a?, b?): pick(a, b)
        case let (a?, nil): a
        case let (nil, b): b
        }
    }

    public func field(_ key: String) -> FormField? { index[key].map { fields[$0].field } }

    /// The keys an item's filing carries.
    public func keys(of itemCode: String) -> [String] {
        fields.filter { $0.itemCodes.contains(itemCode) }.map(\.field.key)
    }

    /// What the applicant's card (or, without card facts, the 18-character ID number) fills in.
    public func prefilled(for applicant: Applicant?) -> [String: FormValue] {
        guard let applicant else { return [:] }
        var values: [String: FormValue] = [:]
        for f in fields {
            guard let source = f.field.prefill, let value = Self.fact(source, of: applicant) else { continue }
            values[f.field.key] = .text(value)
        }
        return values
    }

    /// Whether the field shows a card fact the citizen confirms but does not change.
    public func isLocked(_ key: String, applicant: Applicant?) -> Bool {
        guard let f = field(key), let source = f.prefill, source.isIdentity, let applicant else { return false }
        return Self.fact(source, of: applicant) != nil
    }

    /// The answers the filing carries: the saved ones over the pre-filled ones; a locked field
    /// always the card's.
    public func answers(saved: [String: FormValue], applicant: Applicant?) -> [String: FormValue] {
        var answers = prefilled(for: applicant)
        for (key, value) in saved where field(key) != nil && !isLocked(key, applicant: applicant) { answers[key] = value }
        return answers
    }

    /// The required fields without an answer, in form order.
    public func missing(in answers: [String: FormValue]) -> [String] {
        fields.filter { $0.field.isRequired && answers[$0.field.key] == nil }.map(\.field.key)
    }

    /// Checks every answer given; the refused ones, in form order.
    public func problems(in answers: [String: FormValue]) -> [FormFieldProblem] {
        var found: [FormFieldProblem] = answers.keys.filter { field($0) == nil }.sorted()
            .map { FormFieldProblem(key: $0, reason: .unknownField, message: "表单中没有该项") }
        for f in fields {
            if let value = answers[f.field.key], let problem = Self.check(f.field, value) { found.append(problem) }
        }
        return found
    }

    static func fact(_ source: PrefillSource, of applicant: Applicant) -> String? {
        let card = applicant.card
        let number = Array(applicant.idNumber)
        let resident = number.count == 18 && number.prefix(17).allSatisfy(\.isASCIIDigit)
        switch source {
        case .name: return applicant.name.isEmpty ? nil : applicant.name
        case .idNumber: return applicant.idNumber.isEmpty ? nil : applicant.idNumber
        case .address: return card?.address.flatMap { $0.isEmpty ? nil : $0 }
        case .nation: return card?.nation.flatMap { $0.isEmpty ? nil : $0 }
        case .birthDate:
            if let date = card?.birthDate { return date }
            guard resident else { return nil }
            let digits = String(number[6..<14])
            let text = "\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))"
            return CivilDate(iso: text) == nil ? nil : text
        case .sex:
            if let sex = card?.sex { return sex }
            guard resident, let digit = Int(String(number[16])) else { return nil }
            return digit % 2 == 1 ? "男" : "女"
        }
    }

    /// One answer against its field's rules; nil when it is acceptable.
    public static func check(_ f: FormField, _ value: FormValue) -> FormFieldProblem? {
        func refuse(_ reason: FormFieldProblem.Reason, _ message: String) -> FormFieldProblem {
            FormFieldProblem(key: f.key, reason: reason, message: message)
        }
        switch (f.type, value) {
        case let (.number, .number(n)):
            return inRange(f, n) ? nil : refuse(.outOfRange, rangeMessage(f))
        case let (.number, .text(t)):
            guard let n = Double(t.trimmingCharacters(in: .whitespaces)), n.isFinite else {
                return refuse(.wrongType, "\(f.label)请填写数字")
            }
            return inRange(f, n) ? nil : refuse(.outOfRange, rangeMessage(f))
        case (.yesNo, .yesNo):
            return nil
        case (.yesNo, _), (.number, _):
            return refuse(.wrongType, f.type == .yesNo ? "请选择\(f.label)：是或否" : "\(f.label)请填写数字")
        case (_, .number), (_, .yesNo):
            return refuse(.wrongType, "\(f.label)填写有误")
        case let (_, .text(t)):
            let text = t.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { return refuse(.required, "请填写\(f.label)") }
            if text.unicodeScalars.contains(where: { $0.value < 0x20 }) { return refuse(.wrongType, "\(f.label)填写有误") }
            switch f.type {
            case .date:
                guard isISODate(text), CivilDate(iso: text) != nil else {
                    return refuse(.notADate, "\(f.label)请按年-月-日填写正确的日期")
                }
            case .phone:
                let digits = text.filter { !$0.isWhitespace }
                let mobile = digits.count == 11 && digits.first == "1" && digits.allSatisfy(\.isASCIIDigit)
                let landline = isLandline(digits)
                guard mobile || landline else { return refuse(.notAPhone, "\(f.label)请填写11位手机号码或带区号的固定电话") }
            case .choice:
                guard (f.options ?? []).contains(text) else { return refuse(.notAnOption, "请从选项中选择\(f.label)") }
            case .idNumber:
                guard AgentFiling.isValidResidentIDNumber(text.uppercased()) else {
                    return refuse(.notAnIDNumber, "\(f.label)不是有效的18位居民身份证号码")
                }
            case .text, .address, .number, .yesNo:
                break
            }
            if let min = f.minLength, text.count < min { return refuse(.tooShort, "\(f.label)至少\(min)个字") }
            if let max = f.maxLength, text.count > max { return refuse(.tooLong, "\(f.label)最多\(max)个字") }
            if let pattern = f.pattern, let regex = try? Regex(pattern), (try? regex.wholeMatch(in: text)) == nil {
                return refuse(.pattern, "\(f.label)格式不正确")
            }
            return nil
        }
    }

    /// The answer as stored: text trimmed, a number given as text made a number, an ID number's x
    /// upper-cased, a phone without spaces. Call after `check` accepted it.
    public static func normalized(_ f: FormField, _ value: FormValue) -> FormValue {
        guard case let .text(t) = value else { return value }
        let text = t.trimmingCharacters(in: .whitespacesAndNewlines)
        switch f.type {
        case .number: return Double(text).map(FormValue.number) ?? .text(text)
        case .idNumber: return .text(text.uppercased())
        case .phone: return .text(text.filter { !$0.isWhitespace })
        default: return .text(text)
        }
    }

    // Hand-written where a regular expression would do: they run in every submit, and Swift's
    // Regex costs tens of microseconds a match.

    /// `YYYY-MM-DD` in shape (the day's existence is CivilDate's to say).
    static func isISODate(_ text: String) -> Bool {
        let u = Array(text.utf8)
        guard u.count == 10 else { return false }
        for (i, c) in u.enumerated() {
            if i == 4 || i == 7 { if c != UInt8(ascii: "-") { return false } } else if !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { return false }
        }
        return true
    }

    /// A landline: `0` and a 2–3 digit area code, an optional `-`, then 7–8 digits.
    static func isLandline(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }), text.first == "0" else { return false }
        switch parts.count {
        case 1: return (10...12).contains(text.count)
        case 2: return (3...4).contains(parts[0].count) && (7...8).contains(parts[1].count)
        default: return false
        }
    }

    private static func inRange(_ f: FormField, _ n: Double) -> Bool {
        n.isFinite && (f.min.map { n >= $0 } ?? true) && (f.max.map { n <= $0 } ?? true)
    }

    private static func rangeMessage(_ f: FormField) -> String {
        let show = { (n: Double) in FormValue.number(n).description }
        switch (f.min, f.max) {
        case let (lo?, hi?): return "\(f.label)应在\(show(lo))至\(show(hi))之间"
        case let (lo?, nil): return "\(f.label)不能小于\(show(lo))"
        case let (nil, hi?): return "\(f.label)不能大于\(show(hi))"
        case (nil, nil): return "\(f.label)填写有误"
        }
    }
}

/// One structured answer as the filing carries it upstream.
public struct FormAnswer: Sendable, Hashable, Codable {
    public var key: String
    public var label: String
    public var type: FormFieldType
    public var value: FormValue

    public init(key: String, label: String, type: FormFieldType, value: FormValue) {
        self.key = key; self.label = label; self.type = type; self.value = value
    }
}
