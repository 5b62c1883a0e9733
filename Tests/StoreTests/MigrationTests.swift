import Foundation
@_spi(StoreTesting) import Store
import GRDB
import KioskTestSupport
@testable import Store
import Testing

@Suite struct MigrationTests {
    @Test func v5KeysAndSchedulesRowsWrittenBeforeIt() async throws {
        let directory = try TemporaryDirectory("v5")
        defer { directory.remove() }
        let written = Date(timeIntervalSince1970: 1_795_399_200)
        do {
            let pool = try DatabasePool(path: directory.file(KioskStore.fileName))
            try Migrations.migrator.migrate(pool, upTo: "v4: pages looked up by content")
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT INTO evaluation (id, subjectKind, subjectRef, level, channel, ratedAt) VALUES
                        (1, 'filing', '370481-TZ01-20261123-00001', 1, 'pad', ?), (2, 'ticket', '7', 5, 'pad', ?);
                    INSERT INTO outbox (id, kind, subject, payload, createdAt) VALUES
                        (1, 'filing', '370481-TZ01-20261123-00001', '{"number":"370481-TZ01-20261123-00001"}', ?),
                        (2, 'evaluation', 'evaluation:1', '{}', ?),
                        (3, 'evaluation', 'evaluation:2', '{}', ?),
                        (4, 'rectification', 'evaluation:1', '{}', ?);
                    """, arguments: [written, written, written, written, written, written])
            }
            try pool.close()
        }
        let store = try KioskStore.open(directory: directory.path)
        #expect(try store.appliedMigrations().suffix(9) == ["v5: outbox delivery", "v6: progress sync", "v7: retention",
                                                            "v8: outbox lookups by subject", "v9: collection and delivery",
                                                            "v10: store heartbeat",
                                                            "v11: deferred materials handed in later (补交) or lapsed",
                                                            "v12: ticket priority reason", "v13: draft form answers (一表申请)"])
        let rows = try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, orderKey, state, attempts, nextAttemptAt FROM outbox ORDER BY id")
        }
        #expect(rows.map { $0["orderKey"] as String } == ["370481-TZ01-20261123-00001", "370481-TZ01-20261123-00001", "ticket:7",
                                                           "370481-TZ01-20261123-00001"])
        #expect(rows.allSatisfy { ($0["state"] as String) == "pending" && ($0["attempts"] as Int) == 0 })
        #expect(rows.allSatisfy { ($0["nextAttemptAt"] as Date?) == written })
        // The relay sees them: the filing and the ticket's rating head their keys; the rating of the filing waits behind it.
        let heads = try await store.read { try $0.outbox.dueHeads(now: written, limit: 10) }
        #expect(heads.map(\.id) == [1, 3])
        let plan = try await store.pool.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT id FROM outbox o INDEXED BY outbox_due WHERE o.state IN ('pending', 'stuck') AND o.nextAttemptAt <= ?
                ORDER BY o.nextAttemptAt, o.id LIMIT 5
                """, arguments: [written]).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("outbox_due") }, "\(plan)")
    }
}
