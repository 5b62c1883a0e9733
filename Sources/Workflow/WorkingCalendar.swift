/// One year's official holiday arrangement (节假日安排): the days off and the weekend days that
/// are worked instead (调休上班). Loaded from `kiosk-config/calendar/YYYY.yaml`.
public struct HolidayYear: Sendable, Hashable, Codable {
    /// Whether the arrangement is the published State Council notice or a provisional estimate.
    public enum Status: String, Sendable, Hashable, Codable {
        case official
        case provisional
    }

    /// One named holiday period, e.g. 春节 2026-02-15 … 2026-02-23, with its make-up workdays.
    public struct Holiday: Sendable, Hashable, Codable {
        public var name: String
        public var from: CivilDate
        public var to: CivilDate
        public var makeUpWorkdays: [CivilDate]?

        public init(name: String, from: CivilDate, to: CivilDate, makeUpWorkdays: [CivilDate]? = nil) {
            self.name = name; self.from = from; self.to = to; self.makeUpWorkdays = makeUpWorkdays
        }
    }

    public var year: Int
    public var status: Status
    /// Where the arrangement comes from, e.g. the notice's title and number.
    public var source: String
    public var holidays: [Holiday]

    public init(year: Int, status: Status, source: String, holidays: [Holiday]) {
        self.year = year; self.status = status; self.source = source; self.holidays = holidays
    }
}

/// Answers "is this a working day?" and counts working days (工作日) for deadlines, from the
/// official holiday arrangements: Monday–Friday are working days unless a holiday, and weekend days
/// listed as make-up workdays (调休) are working days.
public struct WorkingCalendar: Sendable {
    private let holidays: Set<CivilDate>
    private let makeUpWorkdays: Set<CivilDate>
    /// The years for which an arrangement was loaded, with its status.
    public let coveredYears: [Int: HolidayYear.Status]

    public init(years: [HolidayYear]) {
        var off = Set<CivilDate>()
        var on = Set<CivilDate>()
        var covered: [Int: HolidayYear.Status] = [:]
        for year in years {
            covered[year.year] = year.status
            for holiday in year.holidays {
                var day = holiday.from
                while day <= holiday.to {
                    off.insert(day)
                    day = day.adding(days: 1)
                }
                on.formUnion(holiday.makeUpWorkdays ?? [])
            }
        }
        holidays = off
        makeUpWorkdays = on
        coveredYears = covered
    }

    /// Whether the year has a loaded arrangement. Outside covered years only weekends are known.
    public func covers(year: Int) -> Bool { coveredYears[year] != nil }

    public func isHoliday(_ day: CivilDate) -> Bool { holidays.contains(day) }

    public func isWorkingDay(_ day: CivilDate) -> Bool {
        if makeUpWorkdays.contains(day) { return true }
        if holidays.contains(day) { return false }
        return !day.isWeekend
    }

    /// The first working day strictly after `day`.
    public func nextWorkingDay(after day: CivilDate) -> CivilDate {
        var d = day.adding(days: 1)
        while !isWorkingDay(d) { d = d.adding(days: 1) }
        return d
    }

    /// The day on which a period of `count` working days that starts counting the working day
    /// after `start` ends (行政许可法 §82: periods counted in working days exclude the start day).
    public func adding(workingDays count: Int, to start: CivilDate) -> CivilDate {
        precondition(count >= 0, "working-day counts are never negative")
        var d = start
        for _ in 0..<count { d = nextWorkingDay(after: d) }
        return d
    }

    /// Working days in the half-open range (from, to]: how many working days have passed.
    public func workingDays(from: CivilDate, to: CivilDate) -> Int {
        if to == from { return 0 }
        guard to > from else { return -workingDays(from: to, to: from) }
        var n = 0
        var d = from.adding(days: 1)
        while d <= to {
            if isWorkingDay(d) { n += 1 }
            d = d.adding(days: 1)
        }
        return n
    }
}
