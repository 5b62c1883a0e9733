import Foundation

/// A moment's UTC calendar fields, computed with integer arithmetic, and the two textual forms the
/// kiosk writes on every durable submit: SQLite's (`2026-11-23 02:00:00.123`, GRDB's stored form of a
/// `Date`) and ISO 8601's internet form (`2026-11-23T02:00:00Z`, the outbox payloads').
/// Foundation's formatters go through ICU behind a lock; on a submit they were a fifth of the CPU.
/// Both forms are byte-identical to the formatters' (StoreTests and WorkflowTests compare them
/// over many dates), so rows written either way compare and sort alike.
public struct UTCTimestamp: Sendable {
    /// The day and millisecond of day, the millisecond rounded to the nearest (as ICU's
    /// formatter behind GRDB's stored form does).
    public let day: CivilDate
    /// Milliseconds since the day's midnight UTC.
    public let millisecondOfDay: Int
    /// The same moment truncated to the whole second (as `.iso8601` writes it).
    private let secondsFloor: (day: CivilDate, secondOfDay: Int)

    public init(_ date: Date) {
        let t = date.timeIntervalSince1970
        let ms = Int((t * 1000).rounded())
        let dayNumber = Self.floorDivide(ms, 86_400_000)
        day = CivilDate(dayNumber: dayNumber)
        millisecondOfDay = ms - dayNumber * 86_400_000
        let seconds = Int(t.rounded(.down))
        let secondsDay = Self.floorDivide(seconds, 86_400)
        secondsFloor = (CivilDate(dayNumber: secondsDay), seconds - secondsDay * 86_400)
    }

    private static func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : (a - b + 1) / b }

    /// `yyyy-MM-dd HH:mm:ss.SSS`.
    public var sqliteText: String {
        var out = Self.text(day: day, secondOfDay: millisecondOfDay / 1000, separator: " ")
        Self.append(millisecondOfDay % 1000, width: 3, to: &out, after: ".")
        return out
    }

    /// `yyyy-MM-dd'T'HH:mm:ss'Z'` (whole seconds, truncated).
    public var isoInternetText: String {
        var out = Self.text(day: secondsFloor.day, secondOfDay: secondsFloor.secondOfDay, separator: "T")
        out.append("Z")
        return out
    }

    private static func text(day: CivilDate, secondOfDay seconds: Int, separator: Character) -> String {
        var out = ""
        out.reserveCapacity(24)
        append(day.year, width: 4, to: &out, after: nil)
        append(day.month, width: 2, to: &out, after: "-")
        append(day.day, width: 2, to: &out, after: "-")
        append(seconds / 3600, width: 2, to: &out, after: separator)
        append(seconds / 60 % 60, width: 2, to: &out, after: ":")
        append(seconds % 60, width: 2, to: &out, after: ":")
        return out
    }

    private static let digits: [Character] = Array("0123456789")

    private static func append(_ value: Int, width: Int, to out: inout String, after separator: Character?) {
        if let separator { out.append(separator) }
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        if v >= divisor * 10 { out.append(String(v)); return }  // a year beyond 9999
        while divisor > 0 {
            out.append(digits[v / divisor])
            v %= divisor
            divisor /= 10
        }
    }
}
