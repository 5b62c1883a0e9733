import Foundation
import Logging
import PostgresNIO

/// The hall store's schema on PostgreSQL, versioned like the SQLite migrations: each version is
/// applied once, in order, recorded in `hall_schema_migrations`; a shipped version is never edited
/// (a change is a new version). Kiosks starting at the same moment migrate one after the other
/// (a transaction-scoped advisory lock).
enum HallMigrations {
    struct Migration {
        let version: Int
        let name: String
        let statements: [String]
    }

    /// The advisory lock key the migration holds (an arbitrary constant: "hall", issue 21).
    static let lockKey: Int64 = 0x6861_6C6C_0021

    static let all: [Migration] = [
        Migration(version: 1, name: "hall queue: numbering, tickets, appointments, windows, calls", statements: [
            """
            CREATE TABLE hall_secret (
                id int PRIMARY KEY CHECK (id = 1),
                secret bytea NOT NULL CHECK (length(secret) = 32)
            )
            """,
            // The shared numbering: one row per hall day and category, its last sequence.
            """
            CREATE TABLE hall_sequence (
                day int NOT NULL,
                category text NOT NULL,
                last int NOT NULL CHECK (last >= 1),
                PRIMARY KEY (day, category)
            )
            """,
            """
            CREATE TABLE hall_ticket (
                id bigserial PRIMARY KEY,
                day int NOT NULL,
                issued_category text NOT NULL,
                category text NOT NULL,
                sequence int NOT NULL,
                number text NOT NULL,
                applicant_key text,
                appointment_id text,
                priority boolean NOT NULL DEFAULT false,
                state text NOT NULL CHECK (state IN ('waiting', 'called', 'served', 'skipped', 'cancelled')),
                window_id text,
                kiosk_id text NOT NULL,
                request_id uuid NOT NULL UNIQUE,
                token text NOT NULL UNIQUE,
                issued_at timestamptz NOT NULL,
                queued_at timestamptz NOT NULL,
                called_at timestamptz,
                skipped_at timestamptz,
                finished_at timestamptz,
                recalls int NOT NULL DEFAULT 0,
                requeues int NOT NULL DEFAULT 0,
                transferred_from text,
                cancel_reason text,
                UNIQUE (day, issued_category, sequence),
                UNIQUE (day, number)
            )
            """,
            // One waiting ticket per person per category across the hall, held by the database itself.
            "CREATE UNIQUE INDEX hall_ticket_one_waiting ON hall_ticket (category, applicant_key) WHERE state = 'waiting' AND applicant_key IS NOT NULL",
            "CREATE INDEX hall_ticket_queue ON hall_ticket (day, category, priority DESC, queued_at, id) WHERE state = 'waiting'",
            "CREATE INDEX hall_ticket_window ON hall_ticket (window_id) WHERE state = 'called'",
            """
            CREATE TABLE hall_appointment (
                id text PRIMARY KEY,
                applicant_key text NOT NULL,
                category text NOT NULL,
                day int NOT NULL,
                slot text,
                ticket_id bigint REFERENCES hall_ticket (id)
            )
            """,
            "CREATE INDEX hall_appointment_holder ON hall_appointment (applicant_key, day)",
            """
            CREATE TABLE hall_window (
                id text PRIMARY KEY,
                categories text[] NOT NULL,
                paused boolean NOT NULL DEFAULT false,
                pause_reason text,
                staff text,
                updated_at timestamptz NOT NULL
            )
            """,
            """
            CREATE TABLE hall_call (
                id bigserial PRIMARY KEY,
                ticket_id bigint NOT NULL REFERENCES hall_ticket (id),
                window_id text NOT NULL,
                kind text NOT NULL CHECK (kind IN ('call', 'recall')),
                staff text,
                at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX hall_call_at ON hall_call (at)",
        ]),
        Migration(version: 2, name: "ticket priority reason", statements: [
            // Why a ticket is called first: appointment (预约) or the green channel (绿色通道:
            // elderly, disabled, pregnant). The reason only; priority tickets before were appointments.
            """
            ALTER TABLE hall_ticket ADD COLUMN priority_reason text
                CHECK (priority_reason IN ('appointment', 'elderly', 'disabled', 'pregnant'))
            """,
            "UPDATE hall_ticket SET priority_reason = 'appointment' WHERE priority",
        ]),
        Migration(version: 3, name: "fleet heartbeats, slips by hour, day-close claims, window idle time", statements: [
            // Each kiosk's latest heartbeat (its report as JSON, on the kiosk's clock).
            """
            CREATE TABLE hall_kiosk_heartbeat (
                kiosk_id text PRIMARY KEY,
                sent_at timestamptz NOT NULL,
                version text NOT NULL,
                report jsonb NOT NULL
            )
            """,
            // A printer's lifetime slip counter as last reported, and the hall day it was first seen:
            // the next heartbeat's increase is that hour's slips.
            """
            CREATE TABLE hall_printer_total (
                kiosk_id text NOT NULL,
                printer_id text NOT NULL,
                total_slips int8 NOT NULL CHECK (total_slips >= 0),
                first_day int NOT NULL,
                PRIMARY KEY (kiosk_id, printer_id)
            )
            """,
            """
            CREATE TABLE hall_slip_hour (
                kiosk_id text NOT NULL,
                printer_id text NOT NULL,
                day int NOT NULL,
                hour smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
                slips int NOT NULL CHECK (slips >= 0),
                PRIMARY KEY (kiosk_id, printer_id, day, hour)
            )
            """,
            // The kiosk that sends a closed hall day's statistics upstream: one per day, whoever claims first.
            """
            CREATE TABLE hall_day_close (
                day int PRIMARY KEY,
                kiosk_id text NOT NULL,
                claimed_at timestamptz NOT NULL
            )
            """,
            // Since when an open window has had no called ticket (auto-assign offers to the longest idle).
            "ALTER TABLE hall_window ADD COLUMN idle_since timestamptz",
        ]),
    ]

    /// Applies the versions not applied yet; refuses a database migrated by a newer OneWindow.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS hall_schema_migrations (
                    version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var applied: Set<Int> = []
            for try await version in try await connection.query("SELECT version FROM hall_schema_migrations", logger: logger).decode(Int.self) {
                applied.insert(version)
            }
            let known = Set(all.map(\.version))
            if let unknown = applied.subtracting(known).max() {
                throw HallStoreError.newerSchema("the hall database has migration v\(unknown), unknown to this OneWindow (newest known v\(known.max() ?? 0)): upgrade this kiosk")
            }
            for migration in all where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO hall_schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                                           logger: logger)
                logger.notice("hall store migrated", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            }
        }
    }
}
