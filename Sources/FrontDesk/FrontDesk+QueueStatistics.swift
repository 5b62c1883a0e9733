import Foundation
import Store
import Workflow

/// What the outbox carries for a closed queue day (`kind = queueStatistics`).
public struct QueueDayStatistics: Sendable, Hashable, Codable {
    public var kioskID: String
    public var regionCode: String
    /// The hall day, `YYYY-MM-DD`.
    public var day: String
    public var categories: [QueueCategoryStatistics]
    public var closedAt: Date
}

extension FrontDesk {
    /// The outbox subject (and order key) of a day's queue statistics.
    public static func queueStatisticsSubject(day: CivilDate) -> String { "queue:\(day)" }

    /// Closes every past hall day that had tickets and has not been closed yet: in one transaction
    /// per day, its statistics row for the platform and an audit record. Waiting tickets of a closed
    /// day are counted as unserved (the queue restarts every day). Returns the days closed, oldest
    /// first. Run by `SupervisionService` on its cadence; safe to run again (a closed day has its
    /// outbox row and is skipped).
    @discardableResult
    public func closeQueueDays() async throws(FrontDeskError) -> [CivilDate] {
        if let hallLink { return try await closeHallQueueDays(hallLink) }
        let now = clock.now()
        let today = hall.moment(now).day
        var closed: [CivilDate] = []
        for day in try await pastTicketDays(before: today) {
            let subject = Self.queueStatisticsSubject(day: day)
            let didClose = try await write { [self] tx -> Bool in
                try closePeriodOnce(tx, subject: subject, kind: .queueStatistics, event: "closeQueueDay", at: now) {
                    let statistics = QueueDayStatistics(kioskID: rules.kioskID, regionCode: rules.regionCode, day: day.description,
                                                        categories: try queueCategoryStatistics(tx, day: day), closedAt: now)
                    let issued = statistics.categories.reduce(0) { $0 + $1.issued }
                    return (.queueStatistics(statistics), "\(issued) tickets in \(statistics.categories.count) categories")
                }
            }
            if didClose { closed.append(day) }
        }
        return closed
    }

    /// Closes a period (a hall day, a month) once, in the caller's transaction: unless its outbox row
    /// of `kind` exists already, appends the audit record (`event`, to `closed`) and the outbox row
    /// with the figures `make` returns. Returns whether it closed the period now.
    func closePeriodOnce(_ tx: StoreTransaction, subject: String, kind: OutboxKind, event: String, at now: Date,
                         make: () throws -> (message: OutboxMessage, summary: String)) throws -> Bool {
        if try tx.outbox.exists(kind: kind, subject: subject) { return false }
        let (message, summary) = try make()
        guard message.kind == kind else { throw FrontDeskError.storage("a \(message.kind) message cannot close a \(kind) period") }
        try appendAudit(tx, subject: subject, actor: .kiosk, at: now, event: event, from: nil, to: "closed", reason: summary)
        try enqueueOutbox(tx, subject: subject, orderKey: subject, message: message, at: now)
        return true
    }

    /// Days with tickets after the last closed day and before `today`, oldest first. Days are
    /// closed in order, so only the days since the newest closed one are looked at (not every
    /// day the kiosk ever had, on every sweep); the write still skips a day closed meanwhile.
    private func pastTicketDays(before today: CivilDate) async throws(FrontDeskError) -> [CivilDate] {
        try await read { tx in
            let lastClosed = try tx.outbox.newestSubject(kind: .queueStatistics, prefix: "queue:").flatMap { CivilDate(iso: $0) }
            return try tx.queue.ticketDays(after: lastClosed, before: today)
        }
    }

    /// One day's figures per category, in the configured categories' order (unknown codes last).
    func queueCategoryStatistics(_ tx: StoreTransaction, day: CivilDate) throws -> [QueueCategoryStatistics] {
        let order = Dictionary(categories.enumerated().map { ($0.element.code, $0.offset) }, uniquingKeysWith: { first, _ in first })
        return try tx.queue.dayFigures(day: day).map { figures in
            var named = figures
            named.categoryName = categories.first { $0.code == figures.category }?.name
            return named
        }.sorted { (order[$0.category] ?? .max, $0.category) < (order[$1.category] ?? .max, $1.category) }
    }
}
