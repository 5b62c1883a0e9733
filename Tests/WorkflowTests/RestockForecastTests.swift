import Foundation
import Testing
import Workflow

/// Predictive restock, table-driven: slips left from a roll's counters, slip rates by hour of the
/// hall day from complete days of history, and the hour-by-hour spend to the instant the roll
/// runs out — "no estimate" (nil) rather than a guess without a roll start, a slip length or history.
struct RestockForecastTests {
    static let zone = TimeZone(identifier: "Asia/Shanghai")!

    static func at(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.date(from: text)!
    }

    /// Rates by hour: `value` in `hours`, 0 elsewhere.
    static func rates(_ value: Double, in hours: ClosedRange<Int> = 0...23, else other: Double = 0) -> [Double] {
        (0..<24).map { hours.contains($0) ? value : other }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var slipsLeft: Int
        var rates: [Double]
        var now: String
        /// nil: no estimate.
        var runsOut: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "the brief's example: 40 slips at 12 an hour from 00:20", slipsLeft: 40, rates: rates(12, in: 0...5), now: "2026-12-08 00:20",
             runsOut: "2026-12-08 03:40"),
        Case(name: "flat 10 an hour", slipsLeft: 40, rates: rates(10), now: "2026-12-08 00:00", runsOut: "2026-12-08 04:00"),
        Case(name: "nothing printed at night: the roll lasts until the morning", slipsLeft: 40, rates: rates(20, in: 8...17),
             now: "2026-12-07 22:00", runsOut: "2026-12-08 10:00"),
        Case(name: "near empty: 3 slips at 12 an hour", slipsLeft: 3, rates: rates(12), now: "2026-12-08 10:30", runsOut: "2026-12-08 10:45"),
        Case(name: "a half hour left of a busy hour, then a quieter one", slipsLeft: 8,
             rates: (0..<24).map { $0 == 10 ? 10 : $0 == 11 ? 6 : 0 }, now: "2026-12-08 10:30", runsOut: "2026-12-08 11:30"),
        Case(name: "empty roll: now", slipsLeft: 0, rates: rates(5), now: "2026-12-08 09:00", runsOut: "2026-12-08 09:00"),
        Case(name: "no slips in any hour: no estimate", slipsLeft: 40, rates: rates(0), now: "2026-12-08 09:00", runsOut: nil),
        Case(name: "not 24 hourly rates: no estimate", slipsLeft: 40, rates: Array(rates(5).prefix(23)), now: "2026-12-08 09:00", runsOut: nil),
        Case(name: "lasts beyond the two-week horizon: no estimate", slipsLeft: 100, rates: rates(1, in: 3...3), now: "2026-12-08 09:00",
             runsOut: nil),
    ]

    @Test(arguments: cases) func estimate(_ c: Case) {
        let forecast = RestockForecast.estimate(slipsLeft: c.slipsLeft, rates: c.rates, now: Self.at(c.now), timeZone: Self.zone)
        #expect(forecast?.runsOutAt == c.runsOut.map(Self.at), "\(c.name): \(String(describing: forecast))")
        if c.runsOut != nil { #expect(forecast?.slipsLeft == c.slipsLeft) }
    }

    @Test func slipsLeftComesFromTheRollsCounters() {
        // 100 slips used 10 m of a 50 m roll: 100 mm a slip, 40 m left → 400 slips.
        #expect(RestockForecast.slipsLeft(rollStarted: true, rollSlips: 100, rollPaperMillimetres: 10_000, rollLengthMillimetres: 50_000,
                                          totalSlips: 900, totalPaperMillimetres: 120_000) == 400)
        // A fresh roll: the printer's lifetime mean slip length (150 mm) → 333.
        #expect(RestockForecast.slipsLeft(rollStarted: true, rollSlips: 0, rollPaperMillimetres: 0, rollLengthMillimetres: 50_000,
                                          totalSlips: 800, totalPaperMillimetres: 120_000) == 333)
        // Past the roll's nominal length: none left, not negative.
        #expect(RestockForecast.slipsLeft(rollStarted: true, rollSlips: 600, rollPaperMillimetres: 51_000, rollLengthMillimetres: 50_000,
                                          totalSlips: 600, totalPaperMillimetres: 51_000) == 0)
        // No restock recorded (where the roll started is unknown) or nothing ever printed: no estimate.
        #expect(RestockForecast.slipsLeft(rollStarted: false, rollSlips: 100, rollPaperMillimetres: 10_000, rollLengthMillimetres: 50_000,
                                          totalSlips: 100, totalPaperMillimetres: 10_000) == nil)
        #expect(RestockForecast.slipsLeft(rollStarted: true, rollSlips: 0, rollPaperMillimetres: 0, rollLengthMillimetres: 50_000,
                                          totalSlips: 0, totalPaperMillimetres: 0) == nil)
    }

    @Test func hourlyRatesAverageCompleteDaysOnly() throws {
        let today = try #require(CivilDate(iso: "2026-12-08"))
        func day(_ n: Int) -> CivilDate { CivilDate(dayNumber: today.dayNumber - n) }
        let history: [(day: CivilDate, hour: Int, slips: Int)] = [
            (day(3), 9, 100),   // the day the printer was first heard of: partly counted, left out
            (day(2), 9, 30), (day(2), 14, 8),
            (day(1), 9, 50), (day(1), 23, 2),
            (today, 9, 500),    // today is not complete yet
            (day(30), 9, 900),  // older than the two weeks looked at
        ]
        let rates = try #require(RestockForecast.hourlyRates(history: history, firstDay: day(40), today: today))
        // 14 complete days (day 14…day 1): (30 + 50) / 14 at nine, and the first day counts here (first heard of 40 days ago).
        #expect(abs(rates[9] - (100 + 30 + 50) / 14.0) < 1e-9, "\(rates[9])")
        let young = try #require(RestockForecast.hourlyRates(history: history, firstDay: day(3), today: today))
        #expect(young[9] == 40 && young[14] == 4 && young[23] == 1 && young[0] == 0, "\(young)")
        // No complete day since the printer was first heard of: no rates, so no estimate.
        #expect(RestockForecast.hourlyRates(history: history, firstDay: day(1), today: today) == nil)
        #expect(RestockForecast.hourlyRates(history: [], firstDay: today, today: today) == nil)
    }
}
