import KioskTestSupport
import Testing
@testable import Workflow

@Suite("Deadlines: received day, promised deadline, deferred materials, coverage, office hours")
struct DeadlinesTests {
    let calc = WFFixtures.deadlines

    // MARK: received day

    struct ReceivedCase: Sendable, CustomTestStringConvertible {
        let day: String, time: String, received: String, why: String
        var testDescription: String { "\(day) \(time) → \(received) (\(why))" }
    }

    static let receivedCases: [ReceivedCase] = [
        .init(day: "2026-03-10", time: "10:00", received: "2026-03-10", why: "Tuesday, office hours"),
        .init(day: "2026-03-10", time: "09:00", received: "2026-03-10", why: "exactly at opening"),
        .init(day: "2026-03-10", time: "07:30", received: "2026-03-10", why: "before opening counts as that working day"),
        .init(day: "2026-03-10", time: "00:00", received: "2026-03-10", why: "midnight before opening"),
        .init(day: "2026-03-10", time: "16:59", received: "2026-03-10", why: "last minute before closing"),
        .init(day: "2026-03-10", time: "17:00", received: "2026-03-11", why: "at closing time: next working day"),
        .init(day: "2026-03-10", time: "22:15", received: "2026-03-11", why: "after hours"),
        .init(day: "2026-03-10", time: "23:59", received: "2026-03-11", why: "last minute of the day"),
        .init(day: "2026-03-13", time: "18:00", received: "2026-03-16", why: "Friday evening → Monday"),
        .init(day: "2026-03-14", time: "10:00", received: "2026-03-16", why: "ordinary Saturday"),
        .init(day: "2026-03-15", time: "08:00", received: "2026-03-16", why: "ordinary Sunday, before opening"),
        .init(day: "2026-02-13", time: "18:00", received: "2026-02-14", why: "Friday before Spring Festival after hours → 调休 Saturday"),
        .init(day: "2026-02-14", time: "10:00", received: "2026-02-14", why: "调休 Saturday is a working day"),
        .init(day: "2026-02-14", time: "17:30", received: "2026-02-24", why: "调休 Saturday after hours → skips 02-15…02-23"),
        .init(day: "2026-02-15", time: "11:00", received: "2026-02-24", why: "first day of Spring Festival (Sunday)"),
        .init(day: "2026-02-16", time: "10:00", received: "2026-02-24", why: "除夕, a Monday holiday"),
        .init(day: "2026-02-23", time: "20:00", received: "2026-02-24", why: "last holiday day"),
        .init(day: "2026-09-19", time: "12:00", received: "2026-09-20", why: "Saturday → 调休 Sunday 09-20"),
        .init(day: "2026-09-30", time: "17:00", received: "2026-10-08", why: "eve of National Day at closing"),
        .init(day: "2026-10-03", time: "10:00", received: "2026-10-08", why: "inside National Day"),
        .init(day: "2026-10-09", time: "17:30", received: "2026-10-10", why: "Friday after hours → 调休 Saturday 10-10"),
        .init(day: "2026-01-01", time: "10:00", received: "2026-01-04", why: "New Year's Day → 调休 Sunday 01-04"),
        .init(day: "2026-12-31", time: "18:00", received: "2027-01-04", why: "New Year's Eve after hours → Monday after 2027 元旦"),
        .init(day: "2027-02-04", time: "17:01", received: "2027-02-15", why: "2027 Spring Festival 02-05…02-12 (provisional)"),
    ]

    @Test(arguments: receivedCases)
    func receivedDay(_ c: ReceivedCase) {
        #expect(calc.receivedDay(submittedAt: moment(c.day, c.time)) == civil(c.received))
    }

    @Test func receivedDayFollowsTheConfiguredOfficeHours() throws {
        let hours = try #require(OfficeHours("08:30-17:30"))
        let late = DeadlineCalculator(calendar: WFFixtures.calendar, officeHours: hours)
        #expect(late.receivedDay(submittedAt: moment("2026-03-10", "17:15")) == civil("2026-03-10"))
        #expect(late.receivedDay(submittedAt: moment("2026-03-10", "17:30")) == civil("2026-03-11"))
        // The standard hours would have moved 17:15 to the next day.
        #expect(calc.receivedDay(submittedAt: moment("2026-03-10", "17:15")) == civil("2026-03-11"))
    }

    // MARK: promised deadline in working days

    struct LimitCase: Sendable, CustomTestStringConvertible {
        let received: String, value: Int, unit: TimeLimit.Unit, end: String, why: String
        var testDescription: String { "\(received) + \(value) \(unit) → \(end)" }
    }

    /// Computed by hand on the published calendars (the received day itself is not counted, 行政许可法 §82).
    static let workingDayCases: [LimitCase] = [
        .init(received: "2026-03-10", value: 1, unit: .workingDays, end: "2026-03-11", why: "Tue + 1 = Wed"),
        .init(received: "2026-03-12", value: 2, unit: .workingDays, end: "2026-03-16", why: "Thu + 2 skips the weekend: Fri 13, Mon 16"),
        // Spring Festival 2026: 02-15…02-23 off, Saturdays 02-14 and 02-28 worked.
        .init(received: "2026-02-13", value: 5, unit: .workingDays,
              end: "2026-02-27", why: "14(1, Sat 调休) 24(2) 25(3) 26(4) 27(5)"),
        .init(received: "2026-02-13", value: 10, unit: .workingDays,
              end: "2026-03-05", why: "14 24 25 26 27, 28(6, Sat 调休), Mar 2 3 4 5(10)"),
        .init(received: "2026-02-12", value: 3, unit: .workingDays, end: "2026-02-24", why: "13(1) 14(2) 24(3)"),
        .init(received: "2026-02-14", value: 5, unit: .workingDays, end: "2026-02-28", why: "24 25 26 27, 28(5, Sat 调休)"),
        .init(received: "2026-02-10", value: 20, unit: .workingDays,
              end: "2026-03-16", why: "11 12 13 14 | 24 25 26 27 28 | Mar 2–6 | 9–13 | 16(20)"),
        // National Day 2026: 10-01…10-07 off, Sunday 09-20 and Saturday 10-10 worked; 中秋 09-25…09-27 off.
        .init(received: "2026-09-18", value: 5, unit: .workingDays, end: "2026-09-24", why: "20(1, Sun 调休) 21 22 23 24(5)"),
        .init(received: "2026-09-24", value: 5, unit: .workingDays, end: "2026-10-09", why: "25–27 中秋; 28 29 30 | Oct 8 9(5)"),
        .init(received: "2026-09-30", value: 1, unit: .workingDays, end: "2026-10-08", why: "first working day after the holiday"),
        .init(received: "2026-09-30", value: 3, unit: .workingDays, end: "2026-10-10", why: "8 9 10(3, Sat 调休)"),
        .init(received: "2026-09-30", value: 4, unit: .workingDays, end: "2026-10-12", why: "8 9 10, Mon 12(4)"),
        .init(received: "2026-09-29", value: 10, unit: .workingDays, end: "2026-10-19", why: "30 | 8 9 10 | 12–16 | 19(10)"),
        // Across the year end (2027 元旦 01-01…01-03 off) and 2027's provisional Spring Festival.
        .init(received: "2026-12-30", value: 3, unit: .workingDays, end: "2027-01-05", why: "31 | Jan 4 5(3)"),
        .init(received: "2027-02-04", value: 2, unit: .workingDays, end: "2027-02-16", why: "02-05…02-12 off, 13/14 weekend; 15 16(2)"),
        .init(received: "2026-03-10", value: 0, unit: .workingDays, end: "2026-03-10", why: "a limit of 0 ends on the received day"),
    ]

    /// Natural-day limits end N days after the received day, rolled to the next working day.
    static let naturalDayCases: [LimitCase] = [
        .init(received: "2026-03-10", value: 2, unit: .naturalDays, end: "2026-03-12", why: "Thursday, no roll"),
        .init(received: "2026-03-10", value: 5, unit: .naturalDays, end: "2026-03-16", why: "Sunday 03-15 → Monday"),
        .init(received: "2026-03-10", value: 4, unit: .naturalDays, end: "2026-03-16", why: "Saturday 03-14 → Monday"),
        .init(received: "2026-02-09", value: 10, unit: .naturalDays, end: "2026-02-24", why: "02-19 is Spring Festival → 02-24"),
        .init(received: "2026-09-24", value: 7, unit: .naturalDays, end: "2026-10-08", why: "10-01 National Day → 10-08"),
        .init(received: "2026-09-21", value: 4, unit: .naturalDays, end: "2026-09-28", why: "09-25 中秋 → Monday 09-28"),
        .init(received: "2026-02-04", value: 10, unit: .naturalDays, end: "2026-02-14", why: "Saturday 02-14 is 调休: no roll"),
        .init(received: "2026-09-10", value: 10, unit: .naturalDays, end: "2026-09-20", why: "Sunday 09-20 is 调休: no roll"),
        .init(received: "2026-12-22", value: 10, unit: .naturalDays, end: "2027-01-04", why: "2027-01-01 元旦 → Monday 01-04"),
        .init(received: "2026-03-10", value: 0, unit: .naturalDays, end: "2026-03-10", why: "0 days"),
    ]

    @Test(arguments: workingDayCases + naturalDayCases)
    func endOfLimit(_ c: LimitCase) {
        #expect(calc.end(of: TimeLimit(value: c.value, unit: c.unit), from: civil(c.received)) == civil(c.end), "\(c.why)")
    }

    @Test(arguments: workingDayCases + naturalDayCases)
    func promisedDeadlineOfAPromisedItem(_ c: LimitCase) {
        let item = WFFixtures.item("P", "承诺件", materials: [], promised: TimeLimit(value: c.value, unit: c.unit))
        #expect(calc.promisedDeadline(of: item, received: civil(c.received)) == civil(c.end), "\(c.why)")
    }

    @Test(arguments: ["2026-02-13", "2026-02-14", "2026-09-30", "2026-12-31", "2027-02-04"])
    func immediateItemsEndOnTheReceivedDay(_ received: String) {
        // The promised limit is ignored for 即办件, whatever it says.
        for limit in [TimeLimit(value: 5, unit: .workingDays), TimeLimit(value: 30, unit: .naturalDays), TimeLimit(value: 0, unit: .workingDays)] {
            let item = WFFixtures.item("I", "即办件", materials: [], caseType: .immediate, promised: limit)
            #expect(calc.promisedDeadline(of: item, received: civil(received)) == civil(received))
        }
    }

    // MARK: deferred materials

    struct DeferralCase: Sendable, CustomTestStringConvertible {
        let received: String, within: Int, promisedWorkingDays: Int, expected: String, why: String
        var testDescription: String { "\(received) defer \(within) / promise \(promisedWorkingDays) → \(expected)" }
    }

    static let deferralCases: [DeferralCase] = [
        .init(received: "2026-02-13", within: 3, promisedWorkingDays: 5, expected: "2026-02-25", why: "own period is shorter: 14 24 25"),
        .init(received: "2026-02-13", within: 10, promisedWorkingDays: 5, expected: "2026-02-27", why: "capped at the promised 02-27"),
        .init(received: "2026-02-13", within: 5, promisedWorkingDays: 5, expected: "2026-02-27", why: "equal"),
        .init(received: "2026-09-30", within: 2, promisedWorkingDays: 10, expected: "2026-10-09", why: "8 9"),
        .init(received: "2026-09-30", within: 20, promisedWorkingDays: 1, expected: "2026-10-08", why: "capped"),
        .init(received: "2026-03-10", within: 0, promisedWorkingDays: 5, expected: "2026-03-10", why: "0 days: the received day"),
    ]

    @Test(arguments: deferralCases)
    func deferredMaterialDeadline(_ c: DeferralCase) {
        let received = civil(c.received)
        let promised = calc.end(of: TimeLimit(value: c.promisedWorkingDays, unit: .workingDays), from: received)
        let deferral = Material.Deferral(howToSupply: "窗口补交", withinWorkingDays: c.within)
        #expect(calc.deferredMaterialDeadline(deferral, received: received, promised: promised) == civil(c.expected), "\(c.why)")
    }

    /// Property: over many received days and periods, the deferred deadline is never past the
    /// promised deadline, never before the received day, and is one of the two candidate days.
    @Test func deferredDeadlineNeverPassesThePromisedDeadline() {
        var rng = SplitMix64(seed: 0xD0C5)
        let start = civil("2026-01-01")
        for _ in 0..<2_000 {
            let received = calc.receivedDay(submittedAt: HallMoment(day: start.adding(days: Int.random(in: 0..<700, using: &rng)),
                                                                    minuteOfDay: Int.random(in: 0..<1440, using: &rng)))
            let unit: TimeLimit.Unit = Bool.random(using: &rng) ? .workingDays : .naturalDays
            let promised = calc.end(of: TimeLimit(value: Int.random(in: 0...30, using: &rng), unit: unit), from: received)
            let within = Int.random(in: 0...30, using: &rng)
            let deadline = calc.deferredMaterialDeadline(Material.Deferral(howToSupply: "补交", withinWorkingDays: within),
                                                         received: received, promised: promised)
            #expect(deadline <= promised)
            #expect(deadline >= received)
            let own = WFFixtures.calendar.adding(workingDays: within, to: received)
            #expect(deadline == own || deadline == promised)
        }
    }

    // MARK: coverage

    @Test(arguments: [
        ("2026-03-01", "2026-12-31", [Int]()),
        ("2026-12-01", "2027-12-31", []),
        ("2026-12-01", "2028-01-10", [2028]),
        ("2025-12-31", "2026-01-02", [2025]),
        ("2028-01-10", "2026-12-01", [2028]),  // reversed arguments
        ("2029-06-01", "2025-06-01", [2025, 2028, 2029]),
        ("2030-01-01", "2030-12-31", [2030]),
    ])
    func uncoveredYears(_ from: String, _ to: String, _ expected: [Int]) {
        #expect(calc.uncoveredYears(from: civil(from), to: civil(to)) == expected)
    }

    // MARK: office hours

    @Test(arguments: [
        ("09:00-17:00", 540, 1020, "09:00-17:00"),
        ("08:30-17:30", 510, 1050, "08:30-17:30"),
        ("00:00-24:00", 0, 1440, "00:00-24:00"),
        ("08:30 - 17:30", 510, 1050, "08:30-17:30"),
        ("23:59-24:00", 1439, 1440, "23:59-24:00"),
    ])
    func validOfficeHours(_ text: String, _ opens: Int, _ closes: Int, _ printed: String) throws {
        let hours = try #require(OfficeHours(text))
        #expect(hours.opensAt == opens)
        #expect(hours.closesAt == closes)
        #expect(hours.description == printed)
        #expect(OfficeHours(hours.description) == hours)
    }

    @Test(arguments: [
        "8:30-17:00",     // one-digit hour
        "08:30-5:00",
        "17:00-09:00",    // closes before it opens
        "09:00-09:00",    // empty
        "09:60-17:00",    // minute 60
        "24:30-24:40",    // past midnight
        "25:00-26:00",
        "09:00",
        "09:00-17:00-18:00",
        "0900-1700",
        "09:00-",
        "",
        "ab:cd-ef:gh",
        "-1:00-17:00",
    ])
    func invalidOfficeHours(_ text: String) {
        #expect(OfficeHours(text) == nil)
    }

    @Test func officeHoursFromMinutes() {
        #expect(OfficeHours(opensAt: -1, closesAt: 600) == nil)
        #expect(OfficeHours(opensAt: 0, closesAt: 1441) == nil)
        #expect(OfficeHours(opensAt: 600, closesAt: 600) == nil)
        #expect(OfficeHours.standard == OfficeHours(opensAt: 540, closesAt: 1020))
        let std = OfficeHours.standard
        #expect(!std.contains(minuteOfDay: 539))
        #expect(std.contains(minuteOfDay: 540))
        #expect(std.contains(minuteOfDay: 1019))
        #expect(!std.contains(minuteOfDay: 1020))
    }
}
