import KioskTestSupport
import Testing
@testable import Workflow

@Suite("Electronic supervision: lights, working-day index, hall statistics")
struct SupervisionTests {
    static let index = WorkingDayIndex(calendar: WFFixtures.calendar, from: civil("2026-01-01"), through: civil("2027-12-31"))

    struct LightCase: Sendable, CustomTestStringConvertible {
        let deadline: String, today: String, light: SupervisionLight, why: String
        var testDescription: String { "deadline \(deadline), today \(today) → \(light) (\(why))" }
    }

    /// Working days (W) counted by hand on the 2026 calendar, against seed 001's words: 差1个工作日 →
    /// 预警; 超过承诺时限1个工作日 → 黄灯; 超过2个工作日 → 红灯 and the 督办通知单.
    static let lightCases: [LightCase] = [
        // An ordinary week in March 2026 (Mon 03-09 … Fri 03-13, Mon 03-16).
        .init(deadline: "2026-03-12", today: "2026-03-09", light: .green, why: "3 W ahead"),
        .init(deadline: "2026-03-12", today: "2026-03-10", light: .green, why: "2 W ahead (11, 12)"),
        .init(deadline: "2026-03-12", today: "2026-03-11", light: .warning, why: "next working day"),
        .init(deadline: "2026-03-12", today: "2026-03-12", light: .warning, why: "due today"),
        .init(deadline: "2026-03-12", today: "2026-03-13", light: .yellow, why: "1 W overdue"),
        .init(deadline: "2026-03-12", today: "2026-03-14", light: .yellow, why: "Saturday: still 1 W overdue"),
        .init(deadline: "2026-03-12", today: "2026-03-15", light: .yellow, why: "Sunday: still 1 W overdue"),
        .init(deadline: "2026-03-12", today: "2026-03-16", light: .red, why: "2 W overdue (13, 16)"),
        .init(deadline: "2026-03-12", today: "2026-03-17", light: .red, why: "3 W overdue"),
        .init(deadline: "2026-03-12", today: "2026-04-30", light: .red, why: "long overdue"),
        // Across a weekend: calendar days ≠ working days.
        .init(deadline: "2026-03-16", today: "2026-03-13", light: .warning, why: "Friday → Monday is 1 W (3 calendar days)"),
        .init(deadline: "2026-03-16", today: "2026-03-14", light: .warning, why: "Saturday → Monday is 1 W"),
        .init(deadline: "2026-03-17", today: "2026-03-13", light: .green, why: "Friday → Tuesday is 2 W"),
        .init(deadline: "2026-03-13", today: "2026-03-16", light: .yellow, why: "Friday deadline, Monday: 1 W overdue (3 calendar days)"),
        .init(deadline: "2026-03-13", today: "2026-03-17", light: .red, why: "Tuesday: 2 W overdue"),
        .init(deadline: "2026-03-13", today: "2026-03-18", light: .red, why: "Wednesday: 3 W overdue"),
        // Across National Day 2026 (10-01…10-07 off, Saturday 10-10 worked).
        .init(deadline: "2026-09-30", today: "2026-10-07", light: .warning, why: "7 calendar days but 0 W overdue"),
        .init(deadline: "2026-09-30", today: "2026-10-08", light: .yellow, why: "1 W overdue"),
        .init(deadline: "2026-09-30", today: "2026-10-09", light: .red, why: "2 W overdue"),
        .init(deadline: "2026-09-30", today: "2026-10-10", light: .red, why: "3 W overdue (10-10 is 调休)"),
        .init(deadline: "2026-10-08", today: "2026-09-30", light: .warning, why: "8 calendar days ahead, 1 W"),
        .init(deadline: "2026-10-09", today: "2026-09-30", light: .green, why: "2 W ahead (8, 9)"),
        .init(deadline: "2026-10-08", today: "2026-09-29", light: .green, why: "2 W ahead (30, 8)"),
        .init(deadline: "2026-10-08", today: "2026-10-03", light: .warning, why: "during the holiday, 1 W ahead"),
        // 调休 Sunday 09-20 and 中秋 09-25…09-27.
        .init(deadline: "2026-09-18", today: "2026-09-20", light: .yellow, why: "Sunday 09-20 is worked: 1 W overdue"),
        .init(deadline: "2026-09-18", today: "2026-09-21", light: .red, why: "2 W overdue (20, 21)"),
        .init(deadline: "2026-09-18", today: "2026-09-22", light: .red, why: "3 W overdue"),
        .init(deadline: "2026-09-24", today: "2026-09-28", light: .yellow, why: "25–27 off: 1 W overdue"),
        .init(deadline: "2026-09-24", today: "2026-09-29", light: .red, why: "2 W overdue"),
        .init(deadline: "2026-09-24", today: "2026-09-30", light: .red, why: "3 W overdue"),
        // Spring Festival 2026.
        .init(deadline: "2026-02-13", today: "2026-02-23", light: .yellow, why: "10 calendar days, 1 W overdue (02-14 is 调休)"),
        .init(deadline: "2026-02-13", today: "2026-02-24", light: .red, why: "2 W overdue (14, 24)"),
        .init(deadline: "2026-03-13", today: "2026-03-14", light: .warning, why: "Friday deadline seen on Saturday: 0 W overdue"),
        .init(deadline: "2026-02-24", today: "2026-02-13", light: .green, why: "2 W ahead (14, 24)"),
    ]

    @Test(arguments: lightCases)
    func lightWithTheIndex(_ c: LightCase) {
        #expect(SupervisionLight.light(deadline: civil(c.deadline), today: civil(c.today), index: Self.index) == c.light, "\(c.why)")
    }

    /// The same boundaries when the dates fall outside the index's range (day-by-day fallback).
    /// Cases with today == deadline are left out here: see `sameDayOutsideTheIndexDoesNotCrash`.
    @Test(arguments: lightCases.filter { $0.deadline != $0.today })
    func lightWithTheCalendarFallback(_ c: LightCase) {
        let narrow = WorkingDayIndex(calendar: WFFixtures.calendar, from: civil("2025-01-01"), through: civil("2025-01-31"))
        #expect(SupervisionLight.light(deadline: civil(c.deadline), today: civil(c.today), index: narrow) == c.light, "\(c.why)")
    }

    @Test func lightsAreOrdered() {
        #expect(SupervisionLight.allCases == [.green, .warning, .yellow, .red])
        #expect(SupervisionLight.green < .warning && SupervisionLight.warning < .yellow && SupervisionLight.yellow < .red)
        #expect(SupervisionLight.allCases.map(\.chineseName) == ["绿灯（正常）", "预警", "黄灯", "红灯"])
    }

    // MARK: WorkingDayIndex

    @Test func indexAgreesWithTheCalendarForRandomPairs() {
        var rng = SplitMix64(seed: 0x5EED_2026)
        let lo = civil("2025-06-01").dayNumber, hi = civil("2028-06-30").dayNumber
        var compared = 0, inside = 0
        for _ in 0..<3_000 {
            let a = CivilDate(dayNumber: Int.random(in: lo...hi, using: &rng))
            let b = CivilDate(dayNumber: Int.random(in: lo...hi, using: &rng))
            if a == b { continue }  // WorkingCalendar.workingDays(from: d, to: d) never returns, see below
            #expect(Self.index.workingDays(from: a, to: b) == WFFixtures.calendar.workingDays(from: a, to: b), "\(a) → \(b)")
            #expect(Self.index.workingDays(from: a, to: b) == -Self.index.workingDays(from: b, to: a))
            compared += 1
            if a >= Self.index.first, a <= Self.index.last, b >= Self.index.first, b <= Self.index.last { inside += 1 }
        }
        // Both regimes were exercised.
        #expect(compared > 2_900)
        #expect(inside > 800 && inside < compared)
    }

    @Test func indexAgreesNearItsEdgesAndWhenBuiltBackwards() {
        let first = civil("2026-02-10"), last = civil("2026-03-02")
        let backwards = WorkingDayIndex(calendar: WFFixtures.calendar, from: last, through: first)
        #expect(backwards.first == first && backwards.last == last)
        for a in -3...23 {
            for b in -3...23 where a != b {
                let x = first.adding(days: a), y = first.adding(days: b)
                #expect(backwards.workingDays(from: x, to: y) == WFFixtures.calendar.workingDays(from: x, to: y), "\(x) → \(y)")
            }
        }
        // Spring Festival inside the range: 02-13 → 02-28 is 6 W (14, 24, 25, 26, 27, 28).
        #expect(backwards.workingDays(from: civil("2026-02-13"), to: civil("2026-02-28")) == 6)
        #expect(backwards.workingDays(from: civil("2026-02-28"), to: civil("2026-02-13")) == -6)
        #expect(backwards.workingDays(from: first, to: first) == 0)
        #expect(backwards.workingDays(from: last, to: last) == 0)
    }

    /// BUG (Sources/Workflow/WorkingCalendar.swift:91): `workingDays(from: d, to: d)` recurses into
    /// itself with the same arguments (`guard to > from else { return -workingDays(from: to, to: from) }`)
    /// and overflows the stack instead of returning 0. `SupervisionLight.light` hits it for a filing
    /// due today whenever today lies outside the `WorkingDayIndex` range (the index falls back to the
    /// calendar). Exit tests run the call in a child process so the crash does not take the run down.
    @Test func sameDayWorkingDaysIsZero() async {
        await #expect(processExitsWith: .success) {
            let d = CivilDate(iso: "2026-03-12")!
            let calendar = WorkingCalendar(years: [])
            precondition(calendar.workingDays(from: d, to: d) == 0)
        }
    }

    @Test func sameDayOutsideTheIndexDoesNotCrash() async {
        await #expect(processExitsWith: .success) {
            let d = CivilDate(iso: "2026-03-12")!
            let calendar = WorkingCalendar(years: [])
            let narrow = WorkingDayIndex(calendar: calendar, from: CivilDate(iso: "2025-01-01")!, through: CivilDate(iso: "2025-01-31")!)
            precondition(SupervisionLight.light(deadline: d, today: d, index: narrow) == .warning)
        }
    }

    // MARK: statistics

    static let mar = civil("2026-03-01")...civil("2026-03-31")

    /// A: 4 counted (1 withdrawn excluded), 3 concluded, 2 on time, 1 yellow + 1 red.
    /// B: 3 counted (1 rejected excluded), 3 concluded, 2 on time (one immediate), 1 red; 1 received in April.
    /// C: only withdrawn → absent.
    static let filings: [SupervisedFiling] = [
        .init(itemCode: "C", receivedDay: civil("2026-03-03"), promisedDeadline: civil("2026-03-10"), concludedDay: nil,
              closedWithoutConclusion: true, worstLight: .red),
        .init(itemCode: "B", receivedDay: civil("2026-03-02"), promisedDeadline: nil, concludedDay: civil("2026-03-02")),
        .init(itemCode: "B", receivedDay: civil("2026-03-20"), promisedDeadline: civil("2026-03-27"), concludedDay: civil("2026-04-01"),
              worstLight: .red),
        .init(itemCode: "B", receivedDay: civil("2026-04-02"), promisedDeadline: civil("2026-04-10"), concludedDay: civil("2026-04-08")),
        .init(itemCode: "B", receivedDay: civil("2026-03-10"), promisedDeadline: civil("2026-03-17"), concludedDay: nil,
              closedWithoutConclusion: true, worstLight: .yellow),
        .init(itemCode: "A", receivedDay: civil("2026-03-02"), promisedDeadline: civil("2026-03-09"), concludedDay: civil("2026-03-06")),
        .init(itemCode: "A", receivedDay: civil("2026-03-03"), promisedDeadline: civil("2026-03-10"), concludedDay: civil("2026-03-10"),
              worstLight: .warning),
        .init(itemCode: "A", receivedDay: civil("2026-03-04"), promisedDeadline: civil("2026-03-11"), concludedDay: civil("2026-03-16"),
              worstLight: .yellow),
        .init(itemCode: "A", receivedDay: civil("2026-03-05"), promisedDeadline: civil("2026-03-12"), concludedDay: nil, worstLight: .red),
        .init(itemCode: "A", receivedDay: civil("2026-03-05"), promisedDeadline: civil("2026-03-12"), concludedDay: nil,
              closedWithoutConclusion: true, worstLight: .red),
    ]

    @Test func statisticsOverAllFilings() {
        let (overall, perItem) = SupervisionStatistics.compute(Self.filings)
        #expect(perItem == [
            SupervisionStatistics(itemCode: "A", received: 4, concluded: 3, concludedOnTime: 2, yellowOrRed: 2, red: 1),
            SupervisionStatistics(itemCode: "B", received: 3, concluded: 3, concludedOnTime: 2, yellowOrRed: 1, red: 1),
        ])
        #expect(overall == SupervisionStatistics(itemCode: nil, received: 7, concluded: 6, concludedOnTime: 4, yellowOrRed: 3, red: 2))
        #expect(perItem[0].completionRate == 0.75)
        #expect(perItem[0].onTimeRate == 2.0 / 3.0)
        #expect(perItem[0].yellowOrRedShare == 0.5)
        #expect(perItem[1].completionRate == 1.0)
        #expect(perItem[1].yellowOrRedShare == 1.0 / 3.0)
        #expect(overall.completionRate == 6.0 / 7.0)
        #expect(overall.onTimeRate == 4.0 / 6.0)
        #expect(overall.yellowOrRedShare == 3.0 / 7.0)
    }

    @Test func statisticsOverAPeriod() {
        let (overall, perItem) = SupervisionStatistics.compute(Self.filings, period: Self.mar)
        #expect(perItem == [
            SupervisionStatistics(itemCode: "A", received: 4, concluded: 3, concludedOnTime: 2, yellowOrRed: 2, red: 1),
            SupervisionStatistics(itemCode: "B", received: 2, concluded: 2, concludedOnTime: 1, yellowOrRed: 1, red: 1),
        ])
        #expect(overall == SupervisionStatistics(itemCode: nil, received: 6, concluded: 5, concludedOnTime: 3, yellowOrRed: 3, red: 2))
        // Period bounds are inclusive on both ends.
        let (aprilOnly, aprilItems) = SupervisionStatistics.compute(Self.filings, period: civil("2026-04-02")...civil("2026-04-02"))
        #expect(aprilOnly == SupervisionStatistics(itemCode: nil, received: 1, concluded: 1, concludedOnTime: 1, yellowOrRed: 0, red: 0))
        #expect(aprilItems.map(\.itemCode) == ["B"])
        let (none, noItems) = SupervisionStatistics.compute(Self.filings, period: civil("2027-01-01")...civil("2027-12-31"))
        #expect(none == SupervisionStatistics(itemCode: nil, received: 0, concluded: 0, concludedOnTime: 0, yellowOrRed: 0, red: 0))
        #expect(noItems.isEmpty)
        #expect(none.completionRate == 0 && none.onTimeRate == 0 && none.yellowOrRedShare == 0)
    }

    /// The hall figure the seeds quote: 48557 of 49441 concluded → 办结率 98.21%.
    @Test func theSeedsCompletionRate() {
        let day = civil("2026-03-02")
        var filings: [SupervisedFiling] = []
        for i in 0..<49_441 {
            filings.append(SupervisedFiling(itemCode: "X", receivedDay: day, promisedDeadline: day.adding(days: 7),
                                            concludedDay: i < 48_557 ? day.adding(days: 3) : nil))
        }
        let (overall, _) = SupervisionStatistics.compute(filings)
        #expect(overall.concluded == 48_557)
        #expect((overall.completionRate * 10_000).rounded() == 9_821)
    }
}
