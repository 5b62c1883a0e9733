import Foundation

/// When a printer's roll runs out (predictive restock): the slips left on the roll, from its
/// counters, spent at the expected slips per hour of the hall day, hour after hour from now.
/// No guess is made: without a known roll start, a slip length or any slip history the answer
/// is "no estimate" (nil), never a number.
public struct RestockForecast: Sendable, Hashable, Codable {
    /// Whole slips the paper left on the roll still makes.
    public var slipsLeft: Int
    /// When the last of them is expected to be printed.
    public var runsOutAt: Date

    public init(slipsLeft: Int, runsOutAt: Date) {
        self.slipsLeft = slipsLeft
        self.runsOutAt = runsOutAt
    }

    /// Days of history the rates are averaged over (the newest complete days).
    public static let historyDays = 14
    /// How far ahead the forecast looks; a roll lasting longer has no estimate (nothing is due).
    public static let horizon: TimeInterval = 14 * 86_400

    /// Slips left on a roll: its paper left over the printer's mean slip length (this roll's,
    /// else its lifetime's). nil when the roll's start is unknown or the printer never printed.
    public static func slipsLeft(rollStarted: Bool, rollSlips: Int, rollPaperMillimetres: Double, rollLengthMillimetres: Int,
                                 totalSlips: Int, totalPaperMillimetres: Double) -> Int? {
        guard rollStarted else { return nil }
        let perSlip: Double
        if rollSlips > 0 && rollPaperMillimetres > 0 {
            perSlip = rollPaperMillimetres / Double(rollSlips)
        } else if totalSlips > 0 && totalPaperMillimetres > 0 {
            perSlip = totalPaperMillimetres / Double(totalSlips)
        } else {
            return nil
        }
        return max(0, Int((Double(rollLengthMillimetres) - rollPaperMillimetres) / perSlip))
    }

    /// Mean slips per hour of the hall day (24 values) over the complete days of `history`: days
    /// after `firstDay` (the day the printer was first heard of was only partly counted) and
    /// before `today`, at most `historyDays` of them. nil when there is no such day.
    public static func hourlyRates(history: [(day: CivilDate, hour: Int, slips: Int)], firstDay: CivilDate, today: CivilDate) -> [Double]? {
        let from = CivilDate(dayNumber: max(firstDay.dayNumber + 1, today.dayNumber - historyDays))
        let days = today.dayNumber - from.dayNumber
        guard days > 0 else { return nil }
        var sums = [Double](repeating: 0, count: 24)
        for entry in history where entry.day >= from && entry.day < today && (0..<24).contains(entry.hour) {
            sums[entry.hour] += Double(entry.slips)
        }
        return sums.map { $0 / Double(days) }
    }

    /// Spends `slipsLeft` at `rates[hour of day]` slips per hour from `now` (hall time in
    /// `timeZone`): the instant the last slip is expected. nil when `rates` are not 24 values,
    /// are all zero, or the roll outlasts `horizon`.
    public static func estimate(slipsLeft: Int, rates: [Double], now: Date, timeZone: TimeZone) -> RestockForecast? {
        guard rates.count == 24, rates.allSatisfy({ $0 >= 0 && $0.isFinite }), rates.contains(where: { $0 > 0 }) else { return nil }
        guard slipsLeft > 0 else { return RestockForecast(slipsLeft: 0, runsOutAt: now) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var left = Double(slipsLeft)
        var t = now
        while t < now + horizon {
            let hour = calendar.component(.hour, from: t)
            guard let start = calendar.dateInterval(of: .hour, for: t) else { return nil }
            let end = start.end
            let rate = rates[hour]
            let expected = rate * end.timeIntervalSince(t) / 3600
            if rate > 0 && expected >= left {
                return RestockForecast(slipsLeft: slipsLeft, runsOutAt: t + left / rate * 3600)
            }
            left -= expected
            t = end
        }
        return nil
    }
}
