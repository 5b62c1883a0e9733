import Foundation
import Store
import Workflow

/// One item's (or queue category's) ratings in one month: how many at each level, 满意率 and 差评率.
/// 满意率 counts 非常满意, 满意 and 基本满意 (levels 5–3); 差评率 counts 不满意 and 非常不满意 (2–1),
/// the ratings that open a rectification.
public struct RatingFigures: Sendable, Hashable, Codable {
    /// `YYYY-MM` in hall time.
    public var month: String
    /// The service item's code, or `queue:<category>` for a ticket's service.
    public var subject: String
    public var subjectName: String
    /// Ratings by level, `"1"` … `"5"`.
    public var levels: [String: Int]
    public var total: Int
    public var satisfactionRate: Double
    public var poorRate: Double

    init(month: String, subject: String, subjectName: String, levels: [Int: Int]) {
        self.month = month
        self.subject = subject
        self.subjectName = subjectName
        self.levels = Dictionary(uniqueKeysWithValues: (1...5).map { (String($0), levels[$0] ?? 0) })
        total = levels.values.reduce(0, +)
        let satisfied = (3...5).reduce(0) { $0 + (levels[$1] ?? 0) }
        let poor = (1...2).reduce(0) { $0 + (levels[$1] ?? 0) }
        satisfactionRate = total == 0 ? 0 : Double(satisfied) / Double(total)
        poorRate = total == 0 ? 0 : Double(poor) / Double(total)
    }
}

/// What the outbox carries for a closed month's ratings (`kind = ratingStatistics`): counts only.
public struct RatingMonthStatistics: Sendable, Hashable, Codable {
    public var kioskID: String
    public var regionCode: String
    public var month: String
    /// The kiosk's own figures over every item, then one entry per item or queue category.
    public var overall: RatingFigures
    public var perSubject: [RatingFigures]
    public var closedAt: Date
}

extension FrontDesk {
    /// The outbox subject (and order key) of a month's rating statistics.
    public static func ratingStatisticsSubject(month: String) -> String { "ratings:\(month)" }

    /// 满意率 / 差评率 per item (and queue category) and month, for the months given (all when nil),
    /// newest month first, then by item code.
    public func ratingFigures(months: Set<String>? = nil) async throws(FrontDeskError) -> [RatingFigures] {
        try await ratingFigures(months: months, ratedIn: nil)
    }

    /// `ratingFigures(months:)`, reading only the ratings given in `ratedIn` when it is set.
    func ratingFigures(months: Set<String>?, ratedIn: Range<Date>?) async throws(FrontDeskError) -> [RatingFigures] {
        let rows = try await read { tx in try tx.evaluations.ratingFacts(ratedIn: ratedIn) }.map { fact -> (month: String, subject: String, level: Int) in
            let month = String(hall.moment(fact.ratedAt).day.description.prefix(7))
            let subject = fact.itemCode ?? fact.queueCategory.map { "queue:\($0)" } ?? "unknown"
            return (month, subject, fact.level)
        }
        var grouped: [String: [String: [Int: Int]]] = [:]
        for r in rows where months?.contains(r.month) ?? true {
            grouped[r.month, default: [:]][r.subject, default: [:]][r.level, default: 0] += 1
        }
        return grouped.keys.sorted(by: >).flatMap { month in
            grouped[month]!.keys.sorted().map { subject in
                RatingFigures(month: month, subject: subject, subjectName: ratingSubjectName(subject), levels: grouped[month]![subject]!)
            }
        }
    }

    /// Closes every past month that had ratings and was not closed yet: its statistics row for the
    /// platform (`POST /v1/statistics/ratings`) and an audit record, one transaction a month.
    /// Returns the months closed, oldest first; safe to run again.
    @discardableResult
    public func closeRatingMonths() async throws(FrontDeskError) -> [String] {
        let now = clock.now()
        let thisMonth = String(hall.moment(now).day.description.prefix(7))
        // Months are closed in order: only the ratings after the newest closed month and before this
        // one are read (not every rating the kiosk ever had, on every sweep).
        let lastClosed = try await read { tx in try tx.outbox.newestSubject(kind: .ratingStatistics, prefix: "ratings:") }
        guard let before = hall.startOfMonth(thisMonth) else { return [] }
        let from = lastClosed.flatMap { hall.startOfMonth($0, adding: 1) } ?? .distantPast
        guard from < before else { return [] }
        let figures = try await ratingFigures(months: nil, ratedIn: from..<before)
        var closed: [String] = []
        for month in Set(figures.map(\.month)).sorted() {
            let subject = Self.ratingStatisticsSubject(month: month)
            let perSubject = figures.filter { $0.month == month }
            var levels: [Int: Int] = [:]
            for f in perSubject { for (level, n) in f.levels { levels[Int(level)!, default: 0] += n } }
            let statistics = RatingMonthStatistics(
                kioskID: rules.kioskID, regionCode: rules.regionCode, month: month,
                overall: RatingFigures(month: month, subject: "kiosk", subjectName: "本机", levels: levels),
                perSubject: perSubject, closedAt: now)
            let didClose = try await write { [self] tx -> Bool in
                try closePeriodOnce(tx, subject: subject, kind: .ratingStatistics, event: "closeRatingMonth", at: now) {
                    (.ratingStatistics(statistics), "\(statistics.overall.total) ratings over \(perSubject.count) services")
                }
            }
            if didClose { closed.append(month) }
        }
        return closed
    }

    private func ratingSubjectName(_ subject: String) -> String {
        if subject.hasPrefix("queue:") {
            let code = String(subject.dropFirst("queue:".count))
            return "排队：" + (categories.first { $0.code == code }?.name ?? code)
        }
        return catalogue.item(code: subject)?.name ?? subject
    }
}
