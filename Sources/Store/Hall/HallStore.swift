import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization
import Workflow

/// Why the hall store refused or could not do something.
public enum HallStoreError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The hall database cannot be reached (down, network cut, no answer in time). Whether a write
    /// sent just before took effect is unknown; requests carry ids so it can be found afterwards.
    case unavailable(String)
    /// The hall database was migrated by a newer OneWindow.
    case newerSchema(String)
    /// The person already waits in this category (the ticket they hold).
    case alreadyWaiting(String)
    /// The category issued its daily limit.
    case dailyLimitReached
    case notFound(String)
    /// The window is paused (its reason).
    case windowPaused(String)
    /// Another staff member works at the window.
    case windowHeldBy(String)
    /// The window has nobody signed in.
    case windowNotOpen
    /// The window has no called ticket to recall, skip, finish or transfer.
    case nothingCalled
    /// The ticket is not in a state the step starts from.
    case step(from: TicketState, to: TicketState)
    /// A skipped ticket's re-queue grace is over.
    case graceExpired(number: String)

    public var description: String {
        switch self {
        case let .unavailable(why): "the hall database is unreachable: \(why)"
        case let .newerSchema(why): why
        case let .alreadyWaiting(number): "this person already waits with ticket \(number) in this category"
        case .dailyLimitReached: "the category issued its daily limit"
        case let .notFound(what): "no \(what) in the hall store"
        case let .windowPaused(reason): "the window is paused (\(reason))"
        case let .windowHeldBy(name): "staff member \(name) works at this window"
        case .windowNotOpen: "nobody is signed in at this window"
        case .nothingCalled: "the window has no called ticket"
        case let .step(from, to): "a ticket cannot go from \(from.rawValue) to \(to.rawValue)"
        case let .graceExpired(number): "ticket \(number) was skipped longer ago than the re-queue grace"
        }
    }
}

/// A ticket as the hall store keeps it, with its place in its category's queue while it waits.
public struct HallTicketRow: Sendable, Hashable {
    public var id: Int64
    public var day: CivilDate
    /// The category that numbered it (its prefix); `category` differs after a transfer.
    public var issuedCategory: String
    public var category: String
    public var sequence: Int
    public var number: String
    public var priority: Bool
    /// Why it is called before ordinary tickets (appointment or 绿色通道); nil for an ordinary one.
    public var priorityReason: PriorityReason?
    public var state: TicketState
    public var window: String?
    public var issuedAt: Date
    public var calledAt: Date?
    public var skippedAt: Date?
    /// The unguessable token of the ticket's queue-position page.
    public var token: String
    public var kioskID: String
    public var recalls: Int
    public var requeues: Int
    /// Tickets of the category called before this one (0 unless waiting).
    public var waitingAhead: Int
}

/// A service window of the hall: the categories it serves (潮汐), who works there, paused or not.
public struct HallWindowRow: Sendable, Hashable, Codable {
    public var id: String
    public var categories: [String]
    public var paused: Bool
    public var pauseReason: String?
    public var staff: String?
}

/// One call of a ticket to a window (or a recall), as the hall display announces it.
public struct HallCallRow: Sendable, Hashable {
    public var id: Int64
    public var ticketID: Int64
    public var number: String
    public var category: String
    public var window: String
    public var recall: Bool
    public var at: Date
}

/// Resumes a continuation once: the first of the work and its deadline wins.
final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = Mutex(continuation) }

    /// Whether this call resumed it (false when it was resumed before).
    @discardableResult
    func resume(_ result: Result<T, any Error>) -> Bool {
        guard let continuation = continuation.withLock({ c -> CheckedContinuation<T, any Error>? in defer { c = nil }; return c }) else {
            return false
        }
        continuation.resume(with: result)
        return true
    }
}

/// One ticket to issue: everything the shared numbering and the one-waiting rule need.
public struct HallIssueRequest: Sendable {
    /// Chosen by the kiosk before the first attempt and kept for retries: a request whose answer
    /// was lost in an outage is found by it when the database is back.
    public var requestID: UUID
    public var day: CivilDate
    public var category: String
    public var prefix: String
    /// At most 999 (a number has three digits).
    public var dailyLimit: Int
    public var applicantKey: String?
    public var appointmentID: String?
    /// Why it is called first (appointment or 绿色通道); nil: an ordinary ticket.
    public var priorityReason: PriorityReason?
    public var priority: Bool { priorityReason != nil }
    public var kioskID: String
    public var token: String
    public var at: Date

    public init(requestID: UUID, day: CivilDate, category: String, prefix: String, dailyLimit: Int, applicantKey: String?,
                appointmentID: String?, priorityReason: PriorityReason?, kioskID: String, token: String, at: Date) {
        self.requestID = requestID; self.day = day; self.category = category; self.prefix = prefix; self.dailyLimit = dailyLimit
        self.applicantKey = applicantKey; self.appointmentID = appointmentID; self.priorityReason = priorityReason; self.kioskID = kioskID
        self.token = token; self.at = at
    }
}

/// The hall's shared queue on PostgreSQL (postgres-nio): the daily numbering per category from one
/// sequence row per hall day, tickets, appointments, windows and their categories, calls, and the
/// day's statistics. Every kiosk of the hall and every window talks to the same database; the
/// database's own constraints keep a number from being issued twice and a person from waiting
/// twice in a category. Every call is bounded by `operationTimeout`: an unreachable database is
/// `HallStoreError.unavailable`, never a hang. The only door to the hall's SQL.
public final class HallStore: Sendable {
    public let url: String
    let logger: Logger
    let operationTimeout: Duration
    private let configuration: PostgresClient.Configuration
    /// The store's own event loop: a hall call never waits behind other NIO work of the process
    /// (the HTTP server, the upstream client) on the shared loops.
    private let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    /// The connection pool and the task running it; replaced after a failed ping, so a database
    /// that returns is reached at once (not after the old pool's connect backoff, up to a minute).
    private let pool: Mutex<(client: PostgresClient, runner: Task<Void, Never>)?>
    private let migrated = Mutex(false)

    /// Makes the client (no connection yet: the database may be down when the kiosk starts).
    public init(url: String, operationTimeout: Duration = .seconds(3), logger: Logger) throws(HallStoreError) {
        self.url = url
        self.logger = logger
        self.operationTimeout = operationTimeout
        var configuration = try Self.configuration(url: url)
        configuration.options.connectTimeout = operationTimeout
        configuration.options.maximumConnections = 8
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(10))
        self.configuration = configuration
        pool = Mutex(Self.makePool(configuration, eventLoops: eventLoops, logger: logger))
    }

    private static func makePool(_ configuration: PostgresClient.Configuration, eventLoops: MultiThreadedEventLoopGroup,
                                 logger: Logger) -> (client: PostgresClient, runner: Task<Void, Never>) {
        // The pool's own connection attempts are not news (the link reports an outage once).
        var background = logger
        background.logLevel = .error
        let client = PostgresClient(configuration: configuration, eventLoopGroup: eventLoops, backgroundLogger: background)
        return (client, Task { await client.run() })
    }

    /// The current pool (a new one after `shutdown`, for a store used again).
    var client: PostgresClient {
        pool.withLock { current in
            if let current { return current.client }
            let made = Self.makePool(configuration, eventLoops: eventLoops, logger: logger)
            current = made
            return made.client
        }
    }

    /// Drops the pool (its connections, its backoff); the next call makes a new one.
    func resetPool() {
        pool.withLock { current in
            current?.runner.cancel()
            current = nil
        }
    }

    /// Stops the client's connections.
    public func shutdown() { resetPool() }

    deinit {
        pool.withLock { $0?.runner.cancel() }
        eventLoops.shutdownGracefully { _ in }
    }

    /// `postgres://user[:password]@host[:port]/database` (also `postgresql://`); TLS is not used on
    /// the hall's loopback/LAN link unless `?sslmode=require` (then verified).
    static func configuration(url: String) throws(HallStoreError) -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme),
              let host = components.host, !host.isEmpty else {
            throw .unavailable("'\(url)' is not a postgres://user@host[:port]/database URL")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let tls: PostgresClient.Configuration.TLS =
            components.queryItems?.first(where: { $0.name == "sslmode" })?.value == "require" ? .require(.makeClientConfiguration()) : .disable
        return PostgresClient.Configuration(host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
                                            password: components.password, database: database.isEmpty ? nil : database, tls: tls)
    }

    /// The URL without its password, for logs and health.
    public var redactedURL: String {
        guard var components = URLComponents(string: url) else { return "postgres://…" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "postgres://…"
    }

    // MARK: running statements

    /// Runs `body` with the deadline, migrating first if needed; maps the driver's failures.
    func run<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws(HallStoreError) -> T {
        do {
            if !migrated.withLock({ $0 }) {
                let client = self.client
                // Once per process, and slower than a statement (DDL, maybe waiting for another
                // kiosk's migration): a longer deadline of its own.
                try await withDeadline("migration", timeout: max(operationTimeout, .seconds(30))) { [logger] in
                    try await HallMigrations.migrate(client, logger: logger)
                }
                migrated.withLock { $0 = true }
            }
            var attempt = 0
            while true {
                attempt += 1
                do {
                    let client = self.client
                    return try await withDeadline(what) { try await body(client) }
                } catch {
                    // A serialization failure or deadlock wrote nothing: try again.
                    guard attempt < 3, let failure = Self.unwrap(error) as? PSQLError,
                          ["40001", "40P01"].contains(failure.serverInfo?[.sqlState] ?? "") else { throw error }
                }
            }
        } catch {
            throw Self.map(error)
        }
    }

    /// Runs `body` but answers within `timeout` whatever it does: on the deadline the caller gets
    /// `.unavailable` and `body` is cancelled and left to end by itself (a statement on a connection
    /// the cut left hanging may not notice the cancellation; a task group would wait for it).
    private func withDeadline<T: Sendable>(_ what: String, timeout: Duration? = nil,
                                           _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = timeout ?? operationTimeout
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let once = ResumeOnce(continuation)
            let work = Task {
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                once.resume(result)
            }
            Task {
                try? await Task.sleep(for: timeout)
                if once.resume(.failure(HallStoreError.unavailable("no answer to \(what) within \(timeout)"))) { work.cancel() }
            }
        }
    }

    /// The error inside a transaction's wrapper (the closure's, else BEGIN's or COMMIT's).
    static func unwrap(_ error: any Error) -> any Error {
        guard let wrapped = error as? PostgresTransactionError else { return error }
        return wrapped.closureError ?? wrapped.beginError ?? wrapped.commitError ?? wrapped.rollbackError ?? error
    }

    static func map(_ error: any Error) -> HallStoreError {
        let error = unwrap(error)
        if let error = error as? HallStoreError { return error }
        if let error = error as? PSQLError {
            if error.code == .server, let state = error.serverInfo?[.sqlState] {
                let message = error.serverInfo?[.message] ?? "server error"
                // Class 08 (connection), 57 (shutdown, cancel), 53 (resources): the database is not there for us.
                if state.hasPrefix("08") || state.hasPrefix("57") || state.hasPrefix("53") {
                    return .unavailable("\(message) (SQLSTATE \(state))")
                }
                return .unavailable("the hall database refused a statement: \(message) (SQLSTATE \(state))")
            }
            return .unavailable("\(error.code)")
        }
        if error is CancellationError { return .unavailable("cancelled") }
        return .unavailable(String(describing: error))
    }

    static func isUniqueViolation(_ error: any Error, constraint: String) -> Bool {
        guard let error = unwrap(error) as? PSQLError, error.code == .server else { return false }
        return error.serverInfo?[.sqlState] == "23505" && error.serverInfo?[.constraintName] == constraint
    }

    // MARK: health

    /// One round trip (and the migrations, the first time): whether the hall database answers now.
    public func ping() async throws(HallStoreError) {
        do {
            try await run("ping") { client in try await client.query("SELECT 1", logger: Self.quiet) }
        } catch {
            resetPool()
            throw error
        }
    }

    static let quiet = Logger(label: "onewindow.hall.sql", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The hall's secret for applicant keys, the same on every kiosk: `proposed` (32 random bytes)
    /// becomes it if the hall has none yet.
    public func secret(proposing proposed: Data) async throws(HallStoreError) -> Data {
        try await run("secret") { client in
            try await client.query("INSERT INTO hall_secret (id, secret) VALUES (1, \(proposed)) ON CONFLICT (id) DO NOTHING", logger: Self.quiet)
            for try await secret in try await client.query("SELECT secret FROM hall_secret WHERE id = 1", logger: Self.quiet).decode(Data.self) {
                return secret
            }
            throw HallStoreError.notFound("hall secret")
        }
    }
}

// MARK: - tickets

extension HallStore {
    static let ticketColumns = """
        t.id, t.day, t.issued_category, t.category, t.sequence, t.number, t.priority, t.priority_reason, t.state, t.window_id, t.issued_at, t.called_at,
        t.skipped_at, t.token, t.kiosk_id, t.recalls, t.requeues,
        CASE WHEN t.state = 'waiting' THEN (SELECT count(*) FROM hall_ticket o WHERE o.day = t.day AND o.category = t.category
            AND o.state = 'waiting' AND o.id <> t.id AND (o.priority > t.priority OR (o.priority = t.priority
            AND (o.queued_at < t.queued_at OR (o.queued_at = t.queued_at AND o.id < t.id))))) ELSE 0 END AS ahead
        """

    static func ticketRows(_ rows: PostgresRowSequence) async throws -> [HallTicketRow] {
        var out: [HallTicketRow] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            let state = try r["state"].decode(String.self)
            out.append(HallTicketRow(
                id: try r["id"].decode(Int64.self), day: CivilDate(dayNumber: try r["day"].decode(Int.self)),
                issuedCategory: try r["issued_category"].decode(String.self), category: try r["category"].decode(String.self),
                sequence: try r["sequence"].decode(Int.self), number: try r["number"].decode(String.self),
                priority: try r["priority"].decode(Bool.self),
                priorityReason: try r["priority_reason"].decode(String?.self).flatMap(PriorityReason.init(rawValue:)), state: TicketState(rawValue: state) ?? .cancelled,
                window: try r["window_id"].decode(String?.self), issuedAt: try r["issued_at"].decode(Date.self),
                calledAt: try r["called_at"].decode(Date?.self), skippedAt: try r["skipped_at"].decode(Date?.self),
                token: try r["token"].decode(String.self), kioskID: try r["kiosk_id"].decode(String.self),
                recalls: try r["recalls"].decode(Int.self), requeues: try r["requeues"].decode(Int.self),
                waitingAhead: try r["ahead"].decode(Int.self)))
        }
        return out
    }

    static func ticket(_ connection: PostgresConnection, id: Int64) async throws -> HallTicketRow {
        let query: PostgresQuery = "SELECT \(unescaped: ticketColumns) FROM hall_ticket t WHERE t.id = \(id)"
        guard let row = try await ticketRows(try await connection.query(query, logger: quiet)).first else {
            throw HallStoreError.notFound("ticket \(id)")
        }
        return row
    }

    private func tickets(_ what: String, _ query: PostgresQuery) async throws(HallStoreError) -> [HallTicketRow] {
        try await run(what) { client in try await Self.ticketRows(try await client.query(query, logger: Self.quiet)) }
    }

    /// Issues a ticket from the hall's shared numbering, in one transaction: a waiting ticket of
    /// this person in the category (today) refuses it; one of an earlier day is cancelled (the
    /// queue restarts daily); the category's sequence row for the day is advanced under its row
    /// lock; the ticket is inserted (the partial unique index is the last word on one waiting
    /// ticket per person per category, also against a kiosk issuing at the same instant). A
    /// request already issued (same `requestID`: a retry after a lost answer) returns its ticket.
    public func issue(_ request: HallIssueRequest) async throws(HallStoreError) -> HallTicketRow {
        do {
            return try await run("issue") { client in
                try await client.withTransaction(logger: Self.quiet) { connection in
                    if let id = try await Self.scalar(connection, "SELECT id FROM hall_ticket WHERE request_id = \(request.requestID)", Int64.self) {
                        return try await Self.ticket(connection, id: id)
                    }
                    if let key = request.applicantKey {
                        if let held = try await Self.scalar(connection, """
                            SELECT number FROM hall_ticket WHERE category = \(request.category) AND applicant_key = \(key)
                              AND state = 'waiting' AND day = \(request.day.dayNumber)
                            """, String.self) {
                            throw HallStoreError.alreadyWaiting(held)
                        }
                        try await connection.query("""
                            UPDATE hall_ticket SET state = 'cancelled', finished_at = \(request.at), cancel_reason = 'stale'
                            WHERE category = \(request.category) AND applicant_key = \(key) AND state = 'waiting' AND day < \(request.day.dayNumber)
                            """, logger: Self.quiet)
                    }
                    guard let sequence = try await Self.scalar(connection, """
                        INSERT INTO hall_sequence (day, category, last) VALUES (\(request.day.dayNumber), \(request.category), 1)
                        ON CONFLICT (day, category) DO UPDATE SET last = hall_sequence.last + 1
                          WHERE hall_sequence.last < \(min(request.dailyLimit, 999))
                        RETURNING last
                        """, Int.self) else { throw HallStoreError.dailyLimitReached }
                    let number = TicketNumber(prefix: request.prefix, sequence: sequence).description
                    let inserted: Int64?
                    do {
                        inserted = try await Self.scalar(connection, """
                            INSERT INTO hall_ticket (day, issued_category, category, sequence, number, applicant_key, appointment_id, priority,
                                                     priority_reason, state, kiosk_id, request_id, token, issued_at, queued_at)
                            VALUES (\(request.day.dayNumber), \(request.category), \(request.category), \(sequence), \(number),
                                    \(request.applicantKey), \(request.appointmentID), \(request.priority),
                                    \(request.priorityReason?.rawValue), 'waiting', \(request.kioskID),
                                    \(request.requestID), \(request.token), \(request.at), \(request.at))
                            RETURNING id
                            """, Int64.self)
                    } catch where Self.isUniqueViolation(error, constraint: "hall_ticket_one_waiting") {
                        // Another kiosk issued this person a ticket in the category at the same instant.
                        throw HallStoreError.alreadyWaiting("")
                    }
                    guard let id = inserted else { throw HallStoreError.unavailable("the ticket insert returned no id") }
                    if let appointment = request.appointmentID {
                        try await connection.query("UPDATE hall_appointment SET ticket_id = \(id) WHERE id = \(appointment)", logger: Self.quiet)
                    }
                    return try await Self.ticket(connection, id: id)
                }
            }
        } catch {
            // The index refused a second waiting ticket (the transaction was rolled back): say which
            // ticket they hold.
            if case .alreadyWaiting("") = error, let key = request.applicantKey {
                let held = try await tickets("held ticket", """
                    SELECT \(unescaped: Self.ticketColumns) FROM hall_ticket t
                    WHERE t.category = \(request.category) AND t.applicant_key = \(key) AND t.state = 'waiting'
                    """)
                if let held = held.first { throw .alreadyWaiting(held.number) }
            }
            throw error
        }
    }

    static func scalar<T: PostgresDecodable & Sendable>(_ connection: PostgresConnection, _ query: PostgresQuery, _ type: T.Type) async throws -> T? {
        for try await value in try await connection.query(query, logger: quiet).decode(T.self) { return value }
        return nil
    }

    static func scalar<T: PostgresDecodable & Sendable>(_ client: PostgresClient, _ query: PostgresQuery, _ type: T.Type) async throws -> T? {
        for try await value in try await client.query(query, logger: quiet).decode(T.self) { return value }
        return nil
    }

    public func ticket(id: Int64) async throws(HallStoreError) -> HallTicketRow? {
        try await tickets("ticket", "SELECT \(unescaped: Self.ticketColumns) FROM hall_ticket t WHERE t.id = \(id)").first
    }

    /// The ticket a request issued, if it reached the database (the reconcile after an outage).
    public func ticket(requestID: UUID) async throws(HallStoreError) -> HallTicketRow? {
        try await tickets("ticket by request", "SELECT \(unescaped: Self.ticketColumns) FROM hall_ticket t WHERE t.request_id = \(requestID)").first
    }

    /// The ticket of a queue-position page's token.
    public func ticket(token: String) async throws(HallStoreError) -> HallTicketRow? {
        try await tickets("ticket by token", "SELECT \(unescaped: Self.ticketColumns) FROM hall_ticket t WHERE t.token = \(token)").first
    }

    public func ticket(number: String, day: CivilDate) async throws(HallStoreError) -> HallTicketRow? {
        try await tickets("ticket by number", """
            SELECT \(unescaped: Self.ticketColumns) FROM hall_ticket t WHERE t.number = \(number) AND t.day = \(day.dayNumber)
            """).first
    }

    /// Cancels a ticket issued by a request whose answer never reached the kiosk (so nobody holds
    /// its slip): true when it was waiting and is now cancelled.
    public func cancelUnhanded(requestID: UUID, at date: Date) async throws(HallStoreError) -> Bool {
        try await run("cancel unhanded") { client in
            try await Self.scalar(client, """
                UPDATE hall_ticket SET state = 'cancelled', finished_at = \(date), cancel_reason = 'never handed out (hall database outage)'
                WHERE request_id = \(requestID) AND state = 'waiting' RETURNING id
                """, Int64.self) != nil
        }
    }

    /// Tickets waiting today per category.
    public func waitingCounts(day: CivilDate) async throws(HallStoreError) -> [String: Int] {
        try await run("waiting counts") { client in
            var counts: [String: Int] = [:]
            for try await (category, count) in try await client.query("""
                SELECT category, count(*) FROM hall_ticket WHERE day = \(day.dayNumber) AND state = 'waiting' GROUP BY category
                """, logger: Self.quiet).decode((String, Int).self) {
                counts[category] = count
            }
            return counts
        }
    }

    /// A ticket moved by a step that is allowed only from some states (kioskctl's skip, a cancel).
    public func setTicketState(id: Int64, to state: TicketState, allowedFrom: [TicketState], at date: Date) async throws(HallStoreError) -> HallTicketRow {
        try await run("ticket step") { client in
            try await client.withTransaction(logger: Self.quiet) { connection in
                guard let current = try await Self.scalar(connection, "SELECT state FROM hall_ticket WHERE id = \(id) FOR UPDATE", String.self)
                        .flatMap(TicketState.init(rawValue:)) else { throw HallStoreError.notFound("ticket \(id)") }
                guard allowedFrom.contains(current) else { throw HallStoreError.step(from: current, to: state) }
                let skipped: Date? = state == .skipped ? date : nil
                try await connection.query("""
                    UPDATE hall_ticket SET state = \(state.rawValue), finished_at = \(date), skipped_at = coalesce(\(skipped), skipped_at)
                    WHERE id = \(id)
                    """, logger: Self.quiet)
                return try await Self.ticket(connection, id: id)
            }
        }
    }

    /// Puts a skipped (过号) ticket back in its queue when its holder turns up within the grace:
    /// behind those waiting now. `skippedSince` is the earliest skip time still inside the grace.
    public func requeue(id: Int64, skippedSince: Date, at date: Date) async throws(HallStoreError) -> HallTicketRow {
        try await run("requeue") { client in
            try await client.withTransaction(logger: Self.quiet) { connection in
                let row = try await Self.ticket(connection, id: id)
                try await connection.query("SELECT id FROM hall_ticket WHERE id = \(id) FOR UPDATE", logger: Self.quiet)
                guard row.state == .skipped else { throw HallStoreError.step(from: row.state, to: .waiting) }
                guard let skippedAt = row.skippedAt, skippedAt >= skippedSince else { throw HallStoreError.graceExpired(number: row.number) }
                try await connection.query("""
                    UPDATE hall_ticket SET state = 'waiting', window_id = NULL, queued_at = \(date), requeues = requeues + 1,
                        finished_at = NULL WHERE id = \(id) AND state = 'skipped'
                    """, logger: Self.quiet)
                return try await Self.ticket(connection, id: id)
            }
        }
    }

    // MARK: appointments

    public func upsertAppointment(id: String, applicantKey: String, category: String, day: CivilDate, slot: String?) async throws(HallStoreError) {
        try await run("appointment") { client in
            try await client.query("""
                INSERT INTO hall_appointment (id, applicant_key, category, day, slot) VALUES (\(id), \(applicantKey), \(category), \(day.dayNumber), \(slot))
                ON CONFLICT (id) DO UPDATE SET category = excluded.category, day = excluded.day, slot = excluded.slot
                """, logger: Self.quiet)
        }
    }

    /// The holder's first appointment of the day (by slot): its id, category and ticket once checked in.
    public func appointment(applicantKey: String, day: CivilDate) async throws(HallStoreError) -> AppointmentRow? {
        try await run("appointment lookup") { client in
            for try await (id, category, ticket) in try await client.query("""
                SELECT id, category, ticket_id FROM hall_appointment WHERE applicant_key = \(applicantKey) AND day = \(day.dayNumber)
                ORDER BY slot NULLS LAST LIMIT 1
                """, logger: Self.quiet).decode((String, String, Int64?).self) {
                return AppointmentRow(id: id, category: category, ticketID: ticket)
            }
            return nil
        }
    }

    // MARK: statistics

    /// Days with tickets after `after` (all when nil) and before `before`, oldest first.
    public func ticketDays(after: CivilDate?, before: CivilDate) async throws(HallStoreError) -> [CivilDate] {
        try await run("ticket days") { client in
            var days: [CivilDate] = []
            for try await day in try await client.query("""
                SELECT DISTINCT day FROM hall_ticket WHERE day > \(after?.dayNumber ?? Int(Int32.min)) AND day < \(before.dayNumber) ORDER BY day
                """, logger: Self.quiet).decode(Int.self) {
                days.append(CivilDate(dayNumber: day))
            }
            return days
        }
    }

    /// The hall's figures for one day per category (every kiosk's tickets: the hall is one queue).
    public func dayFigures(day: CivilDate) async throws(HallStoreError) -> [QueueCategoryStatistics] {
        try await run("day figures") { client in
            var out: [QueueCategoryStatistics] = []
            let rows = try await client.query("""
                SELECT category, count(*)::int8, count(*) FILTER (WHERE priority)::int8, count(called_at)::int8,
                       count(*) FILTER (WHERE state = 'served')::int8, count(*) FILTER (WHERE state = 'skipped')::int8,
                       count(*) FILTER (WHERE state = 'cancelled')::int8, count(*) FILTER (WHERE state = 'waiting')::int8,
                       round(avg(extract(epoch FROM called_at - issued_at)))::int8, round(max(extract(epoch FROM called_at - issued_at)))::int8
                FROM hall_ticket WHERE day = \(day.dayNumber) GROUP BY category ORDER BY category
                """, logger: Self.quiet)
            for try await (category, issued, priority, called, served, skipped, cancelled, waiting, average, longest)
                    in rows.decode((String, Int, Int, Int, Int, Int, Int, Int, Int?, Int?).self) {
                out.append(QueueCategoryStatistics(category: category, categoryName: nil, issued: issued, priority: priority, called: called,
                                                   served: served, skipped: skipped, cancelled: cancelled, unserved: waiting,
                                                   averageWaitSeconds: average, longestWaitSeconds: longest))
            }
            return out
        }
    }
}

// MARK: - windows

extension HallStore {
    static func windowRows(_ rows: PostgresRowSequence) async throws -> [HallWindowRow] {
        var out: [HallWindowRow] = []
        for try await (id, categories, paused, reason, staff) in rows.decode((String, [String], Bool, String?, String?).self) {
            out.append(HallWindowRow(id: id, categories: categories, paused: paused, pauseReason: reason, staff: staff))
        }
        return out
    }

    public func assignWindow(_ id: String, categories: [String], at date: Date) async throws(HallStoreError) {
        try await run("assign window") { client in
            try await client.query("""
                INSERT INTO hall_window (id, categories, updated_at) VALUES (\(id), \(categories), \(date))
                ON CONFLICT (id) DO UPDATE SET categories = excluded.categories, updated_at = excluded.updated_at
                """, logger: Self.quiet)
        }
    }

    public func windows() async throws(HallStoreError) -> [HallWindowRow] {
        try await run("windows") { client in
            try await Self.windowRows(try await client.query(
                "SELECT id, categories, paused, pause_reason, staff FROM hall_window ORDER BY length(id), id", logger: Self.quiet))
        }
    }

    public func window(_ id: String) async throws(HallStoreError) -> HallWindowRow? {
        try await run("window") { client in
            try await Self.windowRows(try await client.query(
                "SELECT id, categories, paused, pause_reason, staff FROM hall_window WHERE id = \(id)", logger: Self.quiet)).first
        }
    }

    /// Locks the window's row for the transaction and checks who works there. `staff` nil: kioskctl
    /// on the hall's own machine (a technician's tool, no window login).
    static func lockWindow(_ connection: PostgresConnection, _ id: String, staff: String?, needsOpen: Bool = true) async throws -> HallWindowRow {
        guard let window = try await windowRows(try await connection.query(
            "SELECT id, categories, paused, pause_reason, staff FROM hall_window WHERE id = \(id) FOR UPDATE", logger: quiet)).first else {
            throw HallStoreError.notFound("window \(id) (assign it categories first)")
        }
        if let staff {
            guard let holder = window.staff else { throw HallStoreError.windowNotOpen }
            guard holder == staff else { throw HallStoreError.windowHeldBy(holder) }
        }
        return window
    }

    /// A staff member signs in at a window (refused while another one is signed in there).
    public func openWindow(_ id: String, staff: String, at date: Date) async throws(HallStoreError) -> HallWindowRow {
        try await run("open window") { client in
            try await client.withTransaction(logger: Self.quiet) { connection in
                let window = try await Self.lockWindow(connection, id, staff: nil)
                if let holder = window.staff, holder != staff { throw HallStoreError.windowHeldBy(holder) }
                try await connection.query("UPDATE hall_window SET staff = \(staff), updated_at = \(date) WHERE id = \(id)", logger: Self.quiet)
                if window.staff == nil { try await Self.markIdle(connection, window: id, at: date) }
                return HallWindowRow(id: id, categories: window.categories, paused: window.paused, pauseReason: window.pauseReason, staff: staff)
            }
        }
    }

    /// The staff member signs out of the window (it stays assigned its categories).
    public func closeWindow(_ id: String, staff: String?, at date: Date) async throws(HallStoreError) {
        try await run("close window") { client in
            try await client.withTransaction(logger: Self.quiet) { connection in
                _ = try await Self.lockWindow(connection, id, staff: staff)
                try await connection.query("UPDATE hall_window SET staff = NULL, updated_at = \(date) WHERE id = \(id)", logger: Self.quiet)
            }
        }
    }

    /// Pauses the window with a reason (nil reason: resumes it).
    public func pauseWindow(_ id: String, reason: String?, staff: String?, at date: Date) async throws(HallStoreError) -> HallWindowRow {
        try await run("pause window") { client in
            try await client.withTransaction(logger: Self.quiet) { connection in
                var window = try await Self.lockWindow(connection, id, staff: staff)
                try await connection.query("""
                    UPDATE hall_window SET paused = \(reason != nil), pause_reason = \(reason), updated_at = \(date) WHERE id = \(id)
                    """, logger: Self.quiet)
                if reason == nil && window.paused { try await Self.markIdle(connection, window: id, at: date) }
                window.paused = reason != nil
                window.pauseReason = reason
                return window
            }
        }
    }

    /// Calls the next ticket for a window: the ticket it called before is served, then the first
    /// waiting ticket of the window's categories today — priority (appointments) first, then by the
    /// time it joined the queue — is taken with `FOR UPDATE SKIP LOCKED`, so two windows calling at
    /// the same instant never take the same ticket. nil when nobody waits.
    public func callNext(window id: String, day: CivilDate, staff: String?, at date: Date) async throws(HallStoreError) -> HallTicketRow? {
        try await run("call next") { client in
            try await client.withTransaction(logger: Self.quiet) { connection in
                let window = try await Self.lockWindow(connection, id, staff: staff)
                if window.paused { throw HallStoreError.windowPaused(window.pauseReason ?? "") }
                let served = try await Self.scalar(connection, """
                    UPDATE hall_ticket SET state = 'served', finished_at = \(date) WHERE window_id = \(id) AND state = 'called' RETURNING id
                    """, Int64.self)
                if served != nil { try await Self.markIdle(connection, window: id, at: date) }
                guard !window.categories.isEmpty else { return nil }
                guard let next = try await Self.scalar(connection, """
                    WITH next AS (
                        SELECT id FROM hall_ticket WHERE day = \(day.dayNumber) AND state = 'waiting' AND category = ANY(\(window.categories))
                        ORDER BY priority DESC, queued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
                    UPDATE hall_ticket t SET state = 'called', window_id = \(id), called_at = \(date)
                    FROM next WHERE t.id = next.id RETURNING t.id
                    """, Int64.self) else { return nil }
                try await connection.query("UPDATE hall_window SET idle_since = NULL WHERE id = \(id)", logger: Self.quiet)
                try await connection.query("""
                    INSERT INTO hall_call (ticket_id, window_id, kind, staff, at) VALUES (\(next), \(id), 'call', \(staff), \(date))
                    """, logger: Self.quiet)
                return try await Self.ticket(connection, id: next)
            }
        }
    }

    /// Calls after `id` (oldest first, at most `limit`): every kiosk's feed of the hall display.
    /// Ids are taken when a call is inserted but become visible when it commits, so a call with a
    /// smaller id can appear after a larger one: the feed looks the gaps up again (`calls(ids:)`).
    public func calls(after id: Int64, limit: Int = 100) async throws(HallStoreError) -> [HallCallRow] {
        try await calls("""
            SELECT c.id, c.ticket_id, t.number, t.category, c.window_id, c.kind, c.at FROM hall_call c JOIN hall_ticket t ON t.id = c.ticket_id
            WHERE c.id > \(id) ORDER BY c.id LIMIT \(limit)
            """)
    }

    /// The calls with these ids that exist now (oldest first).
    public func calls(ids: [Int64]) async throws(HallStoreError) -> [HallCallRow] {
        try await calls("""
            SELECT c.id, c.ticket_id, t.number, t.category, c.window_id, c.kind, c.at FROM hall_call c JOIN hall_ticket t ON t.id = c.ticket_id
            WHERE c.id = ANY(\(ids)) ORDER BY c.id
            """)
    }

    private func calls(_ query: PostgresQuery) async throws(HallStoreError) -> [HallCallRow] {
        try await run("calls") { client in
            var out: [HallCallRow] = []
            for try await (callID, ticket, number, category, window, kind, at) in try await client.query(query, logger: Self.quiet)
                    .decode((Int64, Int64, String, String, String, String, Date).self) {
                out.append(HallCallRow(id: callID, ticketID: ticket, number: number, category: category, window: window, recall: kind == "recall", at: at))
            }
            return out
        }
    }

    /// The newest call's id (0 before the first).
    public func lastCallID() async throws(HallStoreError) -> Int64 {
        try await run("last call") { client in
            try await Self.scalar(client, "SELECT coalesce(max(id), 0)::int8 FROM hall_call", Int64.self) ?? 0
        }
    }

    /// The window's called ticket, locked for a step on it.
    private static func calledTicket(_ connection: PostgresConnection, window id: String) async throws -> Int64 {
        guard let ticket = try await scalar(connection, "SELECT id FROM hall_ticket WHERE window_id = \(id) AND state = 'called' FOR UPDATE",
                                            Int64.self) else { throw HallStoreError.nothingCalled }
        return ticket
    }

    /// Calls the window's current ticket again (重呼).
    public func recall(window id: String, staff: String?, at date: Date) async throws(HallStoreError) -> HallTicketRow {
        try await run("recall") { client in
            try await client.withTransaction(logger: Self.quiet) { connection in
                _ = try await Self.lockWindow(connection, id, staff: staff)
                let ticket = try await Self.calledTicket(connection, window: id)
                try await connection.query("UPDATE hall_ticket SET recalls = recalls + 1 WHERE id = \(ticket)", logger: Self.quiet)
                try await connection.query("""
                    INSERT INTO hall_call (ticket_id, window_id, kind, staff, at) VALUES (\(ticket), \(id), 'recall', \(staff), \(date))
                    """, logger: Self.quiet)
                return try await Self.ticket(connection, id: ticket)
            }
        }
    }

    /// Ends the window's current ticket: served (办结) or skipped (过号: the holder did not come).
    public func finishCalled(window id: String, as state: TicketState, staff: String?, at date: Date) async throws(HallStoreError) -> HallTicketRow {
        guard state == .served || state == .skipped else { throw .step(from: .called, to: state) }
        return try await run("finish called") { client in
            try await client.withTransaction(logger: Self.quiet) { connection in
                _ = try await Self.lockWindow(connection, id, staff: staff)
                let ticket = try await Self.calledTicket(connection, window: id)
                let skipped: Date? = state == .skipped ? date : nil
                try await connection.query("""
                    UPDATE hall_ticket SET state = \(state.rawValue), finished_at = \(date), skipped_at = coalesce(\(skipped), skipped_at)
                    WHERE id = \(ticket)
                    """, logger: Self.quiet)
                try await Self.markIdle(connection, window: id, at: date)
                return try await Self.ticket(connection, id: ticket)
            }
        }
    }

    /// Sends the window's current ticket to another category (转办): it waits there, keeping its
    /// number and its place by issue time.
    public func transferCalled(window id: String, to category: String, staff: String?, at date: Date) async throws(HallStoreError) -> HallTicketRow {
        try await run("transfer") { client in
            try await client.withTransaction(logger: Self.quiet) { connection in
                _ = try await Self.lockWindow(connection, id, staff: staff)
                let ticket = try await Self.calledTicket(connection, window: id)
                try await connection.query("""
                    UPDATE hall_ticket SET state = 'waiting', transferred_from = category, category = \(category), window_id = NULL,
                        called_at = NULL, queued_at = issued_at WHERE id = \(ticket)
                    """, logger: Self.quiet)
                try await Self.markIdle(connection, window: id, at: date)
                return try await Self.ticket(connection, id: ticket)
            }
        }
    }
}
