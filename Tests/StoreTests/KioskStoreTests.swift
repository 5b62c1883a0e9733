import Foundation
@_spi(StoreTesting) import Store
import GRDB
import KioskTestSupport
import Testing
@testable import Store

@Suite struct KioskStoreTests {
    @Test func opensWithWALFullSyncAndMigrations() throws {
        let dir = try TemporaryDirectory("store")
        defer { dir.remove() }
        let store = try KioskStore.open(directory: dir.file("data"))
        let (journal, sync) = try store.pool.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(journal == "wal")
        #expect(sync == 2)  // FULL
        #expect(try store.appliedMigrations() == ["v1: kiosk identity and device history",
                                                  "v2: print jobs and printer roll counters",
                                                  "v3: filings, audit chain, outbox, supervision, queue tickets, evaluations",
                                                  "v4: pages looked up by content",
                                                  "v5: outbox delivery",
                                                  "v6: progress sync",
                                                  "v7: retention",
                                                  "v8: outbox lookups by subject",
                                                  "v9: collection and delivery",
                                                  "v10: store heartbeat",
                                                  "v11: deferred materials handed in later (补交) or lapsed",
                                                  "v12: ticket priority reason",
                                                  "v13: draft form answers (一表申请)"])
        // Reopening applies nothing twice.
        let again = try KioskStore.open(directory: dir.file("data"))
        #expect(try again.appliedMigrations().count == 13)
    }

    @Test func refusesAFileThatIsNotADatabase() throws {
        let dir = try TemporaryDirectory("store")
        defer { dir.remove() }
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: dir.file(KioskStore.fileName)))
        do {
            _ = try KioskStore.open(directory: dir.path)
            Issue.record("opened a file of garbage")
        } catch {
            #expect(error.code == .corrupt)
            #expect(error.message.contains(dir.file(KioskStore.fileName)))
            #expect(error.message.contains("restore"))
        }
    }

    @Test func refusesADatabaseWithACorruptedPage() throws {
        let dir = try TemporaryDirectory("store")
        defer { dir.remove() }
        do {
            // A database with a table spread over many pages, checkpointed into the main file.
            let store = try KioskStore.open(directory: dir.path)
            try store.pool.write { db in
                try db.execute(sql: "CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT)")
                for i in 0..<400 { try db.execute(sql: "INSERT INTO filler (text) VALUES (?)", arguments: [String(repeating: "填", count: 100 + i)]) }
            }
            try store.pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        }
        // Smash a b-tree page in the middle of the file.
        let path = dir.file(KioskStore.fileName)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.count > 16 * 4096)
        let pageStart = 8 * 4096
        for i in pageStart..<(pageStart + 4096) { bytes[i] = UInt8(truncatingIfNeeded: i &* 31) }
        try bytes.write(to: URL(fileURLWithPath: path))
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }

        do {
            _ = try KioskStore.open(directory: dir.path)
            Issue.record("opened a corrupted database")
        } catch {
            #expect(error.code == .corrupt)
        }
    }

    @Test func bindsTheDataDirectoryToOneKiosk() throws {
        let dir = try TemporaryDirectory("store")
        defer { dir.remove() }
        let store = try KioskStore.open(directory: dir.path)
        try store.claimIdentity(kioskID: "TZ01", regionCode: "370481", now: Date(timeIntervalSince1970: 1_790_000_000))
        try store.claimIdentity(kioskID: "TZ01", regionCode: "370481", now: Date(timeIntervalSince1970: 1_790_000_000))
        do {
            try store.claimIdentity(kioskID: "TZ02", regionCode: "370481", now: Date(timeIntervalSince1970: 1_790_000_000))
            Issue.record("a second kiosk took over the data directory")
        } catch {
            #expect(error.code == .identityMismatch)
            #expect(error.message.contains("TZ01"))
        }
    }

    @Test func refusesADataDirectoryItCannotCreate() throws {
        let dir = try TemporaryDirectory("store")
        defer { dir.remove() }
        try Data("a file".utf8).write(to: URL(fileURLWithPath: dir.file("blocker")))
        do {
            _ = try KioskStore.open(directory: dir.file("blocker/data"))
            Issue.record("created a data directory under a file")
        } catch {
            #expect(error.code == .dataDirectory)
            #expect(error.message.contains("--data"))
        }
    }

    @Test func recordsDeviceHistoryNewestFirst() async throws {
        let dir = try TemporaryDirectory("store")
        defer { dir.remove() }
        let store = try KioskStore.open(directory: dir.path)
        try await store.recordDeviceStatus(deviceID: "receipt", status: "online", paper: "unknown", detail: nil, at: Date(timeIntervalSince1970: 100))
        try await store.recordDeviceStatus(deviceID: "receipt", status: "userError", paper: "out", detail: "out of paper", at: Date(timeIntervalSince1970: 200))
        let history = try await store.deviceStatusHistory()
        #expect(history.map(\.status) == ["userError", "online"])
        #expect(history.first?.paper == "out")
    }
}

@Suite struct PrintJobLedgerTests {
    @Test func aJobMovesOnlyFromTheStatesItIsIn() async throws {
        let dir = try TemporaryDirectory("store")
        defer { dir.remove() }
        let store = try KioskStore.open(directory: dir.path)
        let job = try await store.addPrintJob(printerId: "receipt", template: "ticket", reference: "A007", document: [1, 2, 3],
                                        paperMillimetres: 60, cuts: 1, state: .queued, now: Date())
        #expect(job.state == .queued && job.document == [1, 2, 3] && job.reference == "A007")
        // Two processes race to send it: only one wins.
        #expect(try await store.transitionPrintJob(job.id, from: [.queued], to: .submitting, countAttempt: true, now: Date()) != nil)
        #expect(try await store.transitionPrintJob(job.id, from: [.queued], to: .submitting, countAttempt: true, now: Date()) == nil)
        let printing = try await store.transitionPrintJob(job.id, from: [.submitting], to: .printing, cupsJobId: 42, now: Date())
        #expect(printing?.cupsJobId == 42 && printing?.attempts == 1)
        let done = try await store.transitionPrintJob(job.id, from: [.printing], to: .completed, now: Date())
        #expect(done?.completedAt != nil)
        // A completed job is never sent again.
        #expect(try await store.transitionPrintJob(job.id, from: [.queued, .held, .failed], to: .submitting, now: Date()) == nil)
        let counters = try await store.printerCounters(printerId: "receipt")
        #expect(counters.totalSlips == 1 && counters.rollCuts == 1 && counters.rollPaperMillimetres == 60)
        // Job numbers are never reused.
        let next = try await store.addPrintJob(printerId: "receipt", template: "ticket", reference: nil, document: [],
                                         paperMillimetres: 1, cuts: 0, state: .held, reason: "out of paper", now: Date())
        #expect(next.id > job.id)
        let restocked = try await store.recordRestock(printerId: "receipt", now: Date())
        #expect(restocked.rollSlips == 0 && restocked.totalSlips == 1 && restocked.restocks == 1 && restocked.rollStartedAt != nil)
    }
}
