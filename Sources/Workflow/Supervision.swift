/// The electronic-supervision (电子监察) light of an open promised filing.
public enum SupervisionLight: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// More than one working day before the promised deadline.
    case green
    /// Due within one working day (预警): the deadline is today or the next working day, or it passed
    /// with no working day since (a Friday deadline seen on Saturday).
    case warning
    /// One working day past the promised deadline without a decision (黄灯).
    case yellow
    /// Two or more working days past the deadline (红灯): a supervision notice (督办通知单) goes to
    /// the responsible department.
    case red

    public var chineseName: String {
        switch self {
        case .green: "绿灯（正常）"
        case .warning: "预警"
        case .yellow: "黄灯"
        case .red: "红灯"
        }
    }

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: SupervisionLight, b: SupervisionLight) -> Bool { a.rank < b.rank }

    /// The light for a promised deadline seen on `today`, counting working days with `index`.
    ///
    /// Seed 001 (济宁, 电子监察): "当审批差1个工作日到承诺时限时，系统自动发出预警信息，当超过承诺时限1个工作日
    /// 还未作出审批结果时，系统自动发出黄灯警告，当超过承诺时限2个工作日时，系统自动发出红灯警告，同时对责任部门
    /// 发出督办通知单". So (W = working days): due in ≥ 2 W → green; due in 1 W or today → warning;
    /// past the deadline with 0 W since → warning; 1 W past → yellow; 2 W or more past → red.
    public static func light(deadline: CivilDate, today: CivilDate, index: WorkingDayIndex) -> SupervisionLight {
        if today <= deadline {
            return index.workingDays(from: today, to: deadline) <= 1 ? .warning : .green
        }
        let overdue = index.workingDays(from: deadline, to: today)
        if overdue >= 2 { return .red }
        if overdue >= 1 { return .yellow }
        return .warning
    }
}

/// Working-day counting in O(1) over a fixed range of days, for sweeping many filings at once: the
/// number of working days up to each day is precomputed; outside the range it falls back to the
/// calendar's day-by-day count.
public struct WorkingDayIndex: Sendable {
    public let calendar: WorkingCalendar
    public let first: CivilDate
    public let last: CivilDate
    /// `ordinals[i]` = working days in (first, first + i].
    private let ordinals: [Int32]

    public init(calendar: WorkingCalendar, from first: CivilDate, through last: CivilDate) {
        self.calendar = calendar
        self.first = min(first, last)
        self.last = max(first, last)
        var ordinals: [Int32] = [0]
        ordinals.reserveCapacity(self.last.dayNumber - self.first.dayNumber + 1)
        var running: Int32 = 0
        var day = self.first
        while day < self.last {
            day = day.adding(days: 1)
            if calendar.isWorkingDay(day) { running += 1 }
            ordinals.append(running)
        }
        self.ordinals = ordinals
    }

    /// Working days in (from, to]; negative when `to` is before `from`.
    public func workingDays(from: CivilDate, to: CivilDate) -> Int {
        guard from >= first, to >= first, from <= last, to <= last else {
            return calendar.workingDays(from: from, to: to)
        }
        return Int(ordinals[to.dayNumber - first.dayNumber] - ordinals[from.dayNumber - first.dayNumber])
    }
}

/// What supervision needs to know of one filing, for lights and statistics.
public struct SupervisedFiling: Sendable, Hashable {
    public var itemCode: String
    public var receivedDay: CivilDate
    /// nil for immediate items (即办件), which are not supervised by deadline.
    public var promisedDeadline: CivilDate?
    /// The day it concluded (办结), if it has.
    public var concludedDay: CivilDate?
    /// Whether it was withdrawn or rejected (not counted as to-be-concluded).
    public var closedWithoutConclusion: Bool
    /// The worst light it has ever shown.
    public var worstLight: SupervisionLight

    public init(itemCode: String, receivedDay: CivilDate, promisedDeadline: CivilDate?, concludedDay: CivilDate?,
                closedWithoutConclusion: Bool = false, worstLight: SupervisionLight = .green) {
        self.itemCode = itemCode
        self.receivedDay = receivedDay
        self.promisedDeadline = promisedDeadline
        self.concludedDay = concludedDay
        self.closedWithoutConclusion = closedWithoutConclusion
        self.worstLight = worstLight
    }
}

/// The hall figures the seeds quote (办结率, 按期办结率, 亮灯率), for one item or the whole kiosk
/// over a period of received days.
public struct SupervisionStatistics: Sendable, Hashable, Codable {
    /// nil for the kiosk as a whole.
    public var itemCode: String?
    /// Filings received in the period (withdrawn and rejected ones excluded).
    public var received: Int
    public var concluded: Int
    /// Concluded on or before the promised deadline (immediate items count as on time).
    public var concludedOnTime: Int
    /// Filings that showed a yellow or red light at some point.
    public var yellowOrRed: Int
    public var red: Int

    /// 办结率: concluded / received.
    public var completionRate: Double { received == 0 ? 0 : Double(concluded) / Double(received) }
    /// 按期办结率: on time / concluded.
    public var onTimeRate: Double { concluded == 0 ? 0 : Double(concludedOnTime) / Double(concluded) }
    /// Share of filings that got a yellow or red light.
    public var yellowOrRedShare: Double { received == 0 ? 0 : Double(yellowOrRed) / Double(received) }

    /// Statistics per item (sorted by item code) and for all, over filings received in `period`.
    public static func compute(_ filings: [SupervisedFiling], period: ClosedRange<CivilDate>? = nil)
        -> (overall: SupervisionStatistics, perItem: [SupervisionStatistics]) {
        var overall = SupervisionStatistics(itemCode: nil, received: 0, concluded: 0, concludedOnTime: 0, yellowOrRed: 0, red: 0)
        var perItem: [String: SupervisionStatistics] = [:]
        for f in filings where !f.closedWithoutConclusion && (period?.contains(f.receivedDay) ?? true) {
            var s = perItem[f.itemCode] ?? SupervisionStatistics(itemCode: f.itemCode, received: 0, concluded: 0,
                                                                 concludedOnTime: 0, yellowOrRed: 0, red: 0)
            s.add(f)
            overall.add(f)
            perItem[f.itemCode] = s
        }
        return (overall, perItem.values.sorted { $0.itemCode! < $1.itemCode! })
    }

    private mutating func add(_ f: SupervisedFiling) {
        received += 1
        if let done = f.concludedDay {
            concluded += 1
            if f.promisedDeadline.map({ done <= $0 }) ?? true { concludedOnTime += 1 }
        }
        if f.worstLight >= .yellow { yellowOrRed += 1 }
        if f.worstLight == .red { red += 1 }
    }
}
