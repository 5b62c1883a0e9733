import Foundation
import PostgresNIO
import Workflow

/// What a kiosk in hall mode reports about itself every few seconds (the fleet view): its devices,
/// its printers' rolls, its outbox, its version and its last filing, stamped on the kiosk's clock.
public struct HallHeartbeat: Sendable, Hashable, Codable {
    /// One device as the kiosk's status board last saw it.
    public struct Device: Sendable, Hashable, Codable {
        public var id: String
        public var status: String
        /// `full`, `low`, `out`, `jammed`… for printers; nil for other devices.
        public var paper: String?
        public var detail: String?
        /// Whether the kiosk counts it as serving (its health's view).
        public var healthy: Bool

        public init(id: String, status: String, paper: String?, detail: String?, healthy: Bool) {
            self.id = id; self.status = status; self.paper = paper; self.detail = detail; self.healthy = healthy
        }
    }

    /// One printer's roll: what it printed on this roll and in its life, and the roll's length.
    public struct Printer: Sendable, Hashable, Codable {
        public var id: String
        /// nil until the first restock is recorded (the roll's start is unknown: no estimate).
        public var rollStartedAt: Date?
        public var rollSlips: Int
        public var rollPaperMillimetres: Double
        public var rollLengthMillimetres: Int
        /// The profile's "paper low" threshold (the printer's own warning).
        public var lowWarningMillimetres: Int
        public var totalSlips: Int
        public var totalPaperMillimetres: Double

        public init(id: String, rollStartedAt: Date?, rollSlips: Int, rollPaperMillimetres: Double, rollLengthMillimetres: Int,
                    lowWarningMillimetres: Int, totalSlips: Int, totalPaperMillimetres: Double) {
            self.id = id; self.rollStartedAt = rollStartedAt; self.rollSlips = rollSlips; self.rollPaperMillimetres = rollPaperMillimetres
            self.rollLengthMillimetres = rollLengthMillimetres; self.lowWarningMillimetres = lowWarningMillimetres
            self.totalSlips = totalSlips; self.totalPaperMillimetres = totalPaperMillimetres
        }
    }

    public var kioskID: String
    /// On the sending kiosk's clock.
    public var sentAt: Date
    public var version: String
    public var devices: [Device]
    public var printers: [Printer]
    public var outboxDepth: Int
    public var outboxOldestAgeSeconds: Double?
    public var lastFilingAt: Date?
    /// The kiosk's own health (`ok`, `degraded`…).
    public var health: String

    public init(kioskID: String, sentAt: Date, version: String, devices: [Device], printers: [Printer], outboxDepth: Int,
                outboxOldestAgeSeconds: Double?, lastFilingAt: Date?, health: String) {
        self.kioskID = kioskID; self.sentAt = sentAt; self.version = version; self.devices = devices; self.printers = printers
        self.outboxDepth = outboxDepth; self.outboxOldestAgeSeconds = outboxOldestAgeSeconds; self.lastFilingAt = lastFilingAt
        self.health = health
    }
}

/// Slips a printer printed in one hour of a hall day (from the increase of its lifetime counter
/// between heartbeats), and the day the hall first heard of the printer.
public struct HallSlipHistory: Sendable, Hashable {
    /// A printer of a kiosk.
    public struct Key: Sendable, Hashable, Codable {
        public var kioskID: String
        public var printerID: String
        public init(kioskID: String, printerID: String) { self.kioskID = kioskID; self.printerID = printerID }
    }

    /// Slips in one hour of one day.
    public struct Hour: Sendable, Hashable {
        public var key: Key
        public var day: CivilDate
        public var hour: Int
        public var slips: Int
    }

    public var hours: [Hour]
    public var firstDay: [Key: CivilDate]
}

extension HallStore {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// Records a kiosk's heartbeat (replacing its previous one), and counts each printer's slips
    /// since the previous heartbeat into the hour `hour` of hall day `day` (the kiosk's clock in
    /// hall time). A printer's first report only sets its baseline: when those slips were printed
    /// is unknown, so they are not counted anywhere. A counter that went down (a replaced store)
    /// starts a new baseline.
    public func recordHeartbeat(_ heartbeat: HallHeartbeat, day: CivilDate, hour: Int) async throws(HallStoreError) {
        let json: String
        do { json = String(decoding: try Self.encoder.encode(heartbeat), as: UTF8.self) } catch {
            throw .unavailable("cannot encode the heartbeat: \(error)")
        }
        try await run("heartbeat") { client in
            try await client.withTransaction(logger: Self.quiet) { connection in
                try await connection.query("""
                    INSERT INTO hall_kiosk_heartbeat (kiosk_id, sent_at, version, report)
                    VALUES (\(heartbeat.kioskID), \(heartbeat.sentAt), \(heartbeat.version), \(json)::jsonb)
                    ON CONFLICT (kiosk_id) DO UPDATE SET sent_at = excluded.sent_at, version = excluded.version, report = excluded.report
                    """, logger: Self.quiet)
                for printer in heartbeat.printers {
                    let previous = try await Self.scalar(connection, """
                        SELECT total_slips FROM hall_printer_total WHERE kiosk_id = \(heartbeat.kioskID) AND printer_id = \(printer.id) FOR UPDATE
                        """, Int.self)
                    try await connection.query("""
                        INSERT INTO hall_printer_total (kiosk_id, printer_id, total_slips, first_day)
                        VALUES (\(heartbeat.kioskID), \(printer.id), \(printer.totalSlips), \(day.dayNumber))
                        ON CONFLICT (kiosk_id, printer_id) DO UPDATE SET total_slips = excluded.total_slips
                        """, logger: Self.quiet)
                    if let previous, printer.totalSlips > previous {
                        try await connection.query("""
                            INSERT INTO hall_slip_hour (kiosk_id, printer_id, day, hour, slips)
                            VALUES (\(heartbeat.kioskID), \(printer.id), \(day.dayNumber), \(hour), \(printer.totalSlips - previous))
                            ON CONFLICT (kiosk_id, printer_id, day, hour) DO UPDATE SET slips = hall_slip_hour.slips + excluded.slips
                            """, logger: Self.quiet)
                    }
                }
            }
        }
    }

    /// Every kiosk's latest heartbeat, by kiosk id.
    public func heartbeats() async throws(HallStoreError) -> [HallHeartbeat] {
        try await run("heartbeats") { client in
            var out: [HallHeartbeat] = []
            for try await report in try await client.query("SELECT report::text FROM hall_kiosk_heartbeat ORDER BY kiosk_id",
                                                           logger: Self.quiet).decode(String.self) {
                out.append(try Self.decoder.decode(HallHeartbeat.self, from: Data(report.utf8)))
            }
            return out
        }
    }

    /// Slips by hour on hall days from `from` up to (not including) `before`, and every printer's first day.
    public func slipHistory(from: CivilDate, before: CivilDate) async throws(HallStoreError) -> HallSlipHistory {
        try await run("slip history") { client in
            var hours: [HallSlipHistory.Hour] = []
            for try await (kiosk, printer, day, hour, slips) in try await client.query("""
                SELECT kiosk_id, printer_id, day, hour::int4, slips FROM hall_slip_hour
                WHERE day >= \(from.dayNumber) AND day < \(before.dayNumber)
                """, logger: Self.quiet).decode((String, String, Int, Int, Int).self) {
                hours.append(.init(key: .init(kioskID: kiosk, printerID: printer), day: CivilDate(dayNumber: day), hour: hour, slips: slips))
            }
            var first: [HallSlipHistory.Key: CivilDate] = [:]
            for try await (kiosk, printer, day) in try await client.query(
                "SELECT kiosk_id, printer_id, first_day FROM hall_printer_total", logger: Self.quiet).decode((String, String, Int).self) {
                first[.init(kioskID: kiosk, printerID: printer)] = CivilDate(dayNumber: day)
            }
            return HallSlipHistory(hours: hours, firstDay: first)
        }
    }

    // MARK: closing hall days

    /// Claims the sending of hall day `day`'s statistics for `kioskID`, unless another kiosk
    /// claimed it first; returns the kiosk that holds the claim (the first to ask, forever).
    public func claimDayClose(_ day: CivilDate, kioskID: String, at date: Date) async throws(HallStoreError) -> String {
        try await run("claim day close") { client in
            try await client.query("""
                INSERT INTO hall_day_close (day, kiosk_id, claimed_at) VALUES (\(day.dayNumber), \(kioskID), \(date)) ON CONFLICT (day) DO NOTHING
                """, logger: Self.quiet)
            guard let holder = try await Self.scalar(client, "SELECT kiosk_id FROM hall_day_close WHERE day = \(day.dayNumber)", String.self) else {
                throw HallStoreError.notFound("day-close claim for \(day)")
            }
            return holder
        }
    }

    /// The hall days a kiosk might have to close: days with tickets before `before` after the
    /// newest day any kiosk claimed, and the days `kioskID` claimed after `claimedAfter` (a claim
    /// its own outbox may not hold yet: it stopped between the claim and its own write).
    public func closableDays(kioskID: String, claimedAfter: CivilDate?, before: CivilDate) async throws(HallStoreError) -> [CivilDate] {
        try await run("closable days") { client in
            var days = Set<Int>()
            let newest = try await Self.scalar(client, "SELECT max(day) FROM hall_day_close", Int?.self) ?? nil
            for try await day in try await client.query("""
                SELECT DISTINCT day FROM hall_ticket WHERE day > \(newest ?? Int(Int32.min)) AND day < \(before.dayNumber)
                """, logger: Self.quiet).decode(Int.self) { days.insert(day) }
            for try await day in try await client.query("""
                SELECT day FROM hall_day_close WHERE kiosk_id = \(kioskID) AND day > \(claimedAfter?.dayNumber ?? Int(Int32.min)) AND day < \(before.dayNumber)
                """, logger: Self.quiet).decode(Int.self) { days.insert(day) }
            return days.sorted().map(CivilDate.init(dayNumber:))
        }
    }

    // MARK: auto-assign

    /// Offers waiting tickets to idle windows (the hall's auto-assign option): while an open,
    /// unpaused window with no called ticket exists, the one idle longest calls the first waiting
    /// ticket of its categories today (priority first, then by queue time), as `callNext` would.
    /// Serialized hall-wide by an advisory lock, so two kiosks assigning at once cannot offer one
    /// window two tickets; tickets are taken with `SKIP LOCKED` like a window's own call. Returns
    /// the tickets offered, in order.
    public func autoAssign(day: CivilDate, at date: Date) async throws(HallStoreError) -> [HallTicketRow] {
        try await run("auto-assign") { client in
            try await client.withTransaction(logger: Self.quiet) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.autoAssignLockKey))", logger: Self.quiet)
                var offered: [HallTicketRow] = []
                for (window, categories) in try await connection.query("""
                    SELECT w.id, w.categories FROM hall_window w
                    WHERE w.staff IS NOT NULL AND NOT w.paused
                      AND NOT EXISTS (SELECT 1 FROM hall_ticket t WHERE t.window_id = w.id AND t.state = 'called')
                    ORDER BY coalesce(w.idle_since, w.updated_at), w.id
                    FOR UPDATE OF w
                    """, logger: Self.quiet).decode((String, [String]).self).collect() {
                    guard !categories.isEmpty, let next = try await Self.scalar(connection, """
                        WITH next AS (
                            SELECT id FROM hall_ticket WHERE day = \(day.dayNumber) AND state = 'waiting' AND category = ANY(\(categories))
                            ORDER BY priority DESC, queued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
                        UPDATE hall_ticket t SET state = 'called', window_id = \(window), called_at = \(date)
                        FROM next WHERE t.id = next.id RETURNING t.id
                        """, Int64.self) else { continue }
                    try await connection.query("UPDATE hall_window SET idle_since = NULL WHERE id = \(window)", logger: Self.quiet)
                    try await connection.query("""
                        INSERT INTO hall_call (ticket_id, window_id, kind, staff, at) VALUES (\(next), \(window), 'call', NULL, \(date))
                        """, logger: Self.quiet)
                    offered.append(try await Self.ticket(connection, id: next))
                }
                return offered
            }
        }
    }

    /// The advisory lock auto-assign holds ("hall" + 0x22).
    static let autoAssignLockKey: Int64 = 0x6861_6C6C_0022

    /// Marks a window idle from `date` (opened, resumed, or its ticket ended).
    static func markIdle(_ connection: PostgresConnection, window id: String, at date: Date) async throws {
        try await connection.query("UPDATE hall_window SET idle_since = \(date) WHERE id = \(id)", logger: quiet)
    }
}

extension AsyncSequence {
    /// All the elements (for a short result read before the next statement on the same connection).
    func collect() async throws -> [Element] {
        var out: [Element] = []
        for try await element in self { out.append(element) }
        return out
    }
}
