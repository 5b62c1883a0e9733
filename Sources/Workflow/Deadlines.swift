/// A moment in the hall's local time: the calendar day and the minute of that day. The workflow
/// reasons in hall time (deadlines, queue resets); converting from `Date` happens at the edge.
public struct HallMoment: Sendable, Hashable, Comparable {
    public var day: CivilDate
    /// Minutes since local midnight, 0..<1440.
    public var minuteOfDay: Int

    public init(day: CivilDate, minuteOfDay: Int) {
        self.day = day
        self.minuteOfDay = minuteOfDay
    }

    public static func < (a: HallMoment, b: HallMoment) -> Bool {
        (a.day, a.minuteOfDay) < (b.day, b.minuteOfDay)
    }
}

/// The hall's office hours on a working day, e.g. 09:00–17:00. A filing submitted outside them,
/// or on a day that is not a working day, is received (受理) on the next working day.
public struct OfficeHours: Sendable, Hashable, CustomStringConvertible {
    public var opensAt: Int
    public var closesAt: Int

    public static let standard = OfficeHours(opensAt: 9 * 60, closesAt: 17 * 60)!

    public init?(opensAt: Int, closesAt: Int) {
        guard 0 <= opensAt, opensAt < closesAt, closesAt <= 24 * 60 else { return nil }
        self.opensAt = opensAt
        self.closesAt = closesAt
    }

    /// Parses `HH:MM-HH:MM`.
    public init?(_ text: String) {
        let halves = text.split(separator: "-", omittingEmptySubsequences: false)
        guard halves.count == 2, let open = Self.minutes(halves[0]), let close = Self.minutes(halves[1]) else { return nil }
        self.init(opensAt: open, closesAt: close)
    }

    private static func minutes(_ text: Substring) -> Int? {
        let parts = text.filter { $0 != " " }.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
              let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0..<60).contains(m),
              h * 60 + m <= 24 * 60 else { return nil }
        return h * 60 + m
    }

    public func contains(minuteOfDay: Int) -> Bool { minuteOfDay >= opensAt && minuteOfDay < closesAt }

    public var description: String {
        func hm(_ m: Int) -> String { (m / 60 < 10 ? "0" : "") + "\(m / 60):" + (m % 60 < 10 ? "0" : "") + "\(m % 60)" }
        return "\(hm(opensAt))-\(hm(closesAt))"
    }
}

/// Computes the days a filing's periods run from and end on, per 行政许可法 §82 and the items'
/// promised time limits:
/// - the **received day** is the submission day if it is a working day and the submission is before
///   closing time; otherwise the next working day (after hours / weekends / holidays);
/// - a period of N **working days** ends N working days after the received day (the received day
///   itself is not counted);
/// - a period of N **natural days** ends N days after the received day; if that day is not a
///   working day the period ends on the next working day (期间届满日为法定节假日的，顺延);
/// - an immediate item (即办件) or a limit of 0 ends on the received day.
public struct DeadlineCalculator: Sendable {
    public let calendar: WorkingCalendar
    public let officeHours: OfficeHours

    public init(calendar: WorkingCalendar, officeHours: OfficeHours = .standard) {
        self.calendar = calendar
        self.officeHours = officeHours
    }

    /// The day the filing counts as received on.
    public func receivedDay(submittedAt moment: HallMoment) -> CivilDate {
        // Before opening counts as that working day; after closing as the next one.
        if calendar.isWorkingDay(moment.day), moment.minuteOfDay < officeHours.closesAt { return moment.day }
        return calendar.nextWorkingDay(after: moment.day)
    }

    /// The last day of a period of `limit` starting from `received`.
    public func end(of limit: TimeLimit, from received: CivilDate) -> CivilDate {
        guard limit.value > 0 else { return received }
        switch limit.unit {
        case .workingDays:
            return calendar.adding(workingDays: limit.value, to: received)
        case .naturalDays:
            let end = received.adding(days: limit.value)
            return calendar.isWorkingDay(end) ? end : calendar.nextWorkingDay(after: end)
        }
    }

    /// The promised deadline (承诺办结期限) of an item received on `received`.
    public func promisedDeadline(of item: ServiceItem, received: CivilDate) -> CivilDate {
        item.caseType == .immediate ? received : end(of: item.promisedTimeLimit, from: received)
    }

    /// The deadline for a deferred material: its own period, but never past the promised deadline.
    public func deferredMaterialDeadline(_ deferral: Material.Deferral, received: CivilDate, promised: CivilDate) -> CivilDate {
        min(calendar.adding(workingDays: deferral.withinWorkingDays, to: received), promised)
    }

    /// Years between `from` and `to` (inclusive) that have no loaded holiday arrangement: a
    /// deadline crossing them counts weekends only, and the kiosk must warn.
    public func uncoveredYears(from: CivilDate, to: CivilDate) -> [Int] {
        guard from <= to else { return uncoveredYears(from: to, to: from) }
        return (from.year...to.year).filter { !calendar.covers(year: $0) }
    }
}
