import Foundation
import GRDB
import GRDBSQLite

/// Why the store could not be opened or written, with what to do about it.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The data directory could not be created or is not writable.
        case dataDirectory
        /// The database file is damaged or not a database at all.
        case corrupt
        /// The database was written by a newer OneWindow (unknown migrations).
        case newerSchema
        /// The data directory belongs to another kiosk.
        case identityMismatch
        /// Any other SQLite failure (full disk, permissions…).
        case sqlite
    }

    public var code: Code
    public var message: String

    public var description: String { message }
}

/// The kiosk's durable state in SQLite (GRDB `DatabasePool`, WAL, `synchronous=FULL`): opened once
/// at start-up, checked for corruption, migrated, and bound to one kiosk identity.
public final class KioskStore: Sendable {
    /// The GRDB pool, for the store's own repositories; tests reach it through `@_spi(StoreTesting)`.
    @_spi(StoreTesting) public let pool: DatabasePool
    public let path: String

    public static let fileName = "kiosk.sqlite"
    /// Page cache per connection, in KiB (SQLite's default is 2,000).
    public static let pageCacheKiB = 1024

    /// Bytes SQLite has allocated in this process (page caches, statements, all connections).
    public static var sqliteMemoryBytes: Int { Int(sqlite3_memory_used()) }

    private init(pool: DatabasePool, path: String) {
        self.pool = pool
        self.path = path
    }

    /// Opens (creating if needed) the store in `directory`: runs `PRAGMA quick_check` and refuses a
    /// corrupt database, then applies migrations and refuses a database from a newer version.
    public static func open(directory: String) throws(StoreError) -> KioskStore {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError(code: .dataDirectory,
                             message: "cannot create data directory \(directory): \(error.localizedDescription) (choose another with --data or fix permissions)")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw StoreError(code: .dataDirectory, message: "data directory \(directory) is not writable (choose another with --data or fix permissions)")
        }
        let path = (directory as NSString).appendingPathComponent(fileName)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        // Two cores: three readers beside the writer are plenty, and each connection's page cache is
        // capped at 1 MB, so the store's memory stays flat however large the database grows.
        configuration.maximumReaderCount = 3
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Deleted or overwritten content (a wiped applicant) is zeroed, not left in free space.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            try db.execute(sql: "PRAGMA cache_size = -\(Self.pageCacheKiB)")
        }

        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            let check = try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
            guard check == ["ok"] else {
                throw StoreError(code: .corrupt, message: corruptMessage(path, details: check.prefix(5).joined(separator: "; ")))
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
            throw StoreError(code: .corrupt, message: corruptMessage(path, details: error.message ?? "\(error.resultCode)"))
        } catch {
            throw StoreError(code: .sqlite, message: "cannot open database \(path): \(error)")
        }

        do {
            let migrator = Migrations.migrator
            if try pool.read({ db in try migrator.hasBeenSuperseded(db) }) {
                throw StoreError(code: .newerSchema,
                                 message: "database \(path) was written by a newer OneWindow; run that version or restore a backup")
            }
            try migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
            throw StoreError(code: .corrupt, message: corruptMessage(path, details: error.message ?? "\(error.resultCode)"))
        } catch {
            throw StoreError(code: .sqlite, message: "cannot migrate database \(path): \(error)")
        }
        return KioskStore(pool: pool, path: path)
    }

    private static func corruptMessage(_ path: String, details: String) -> String {
        "database \(path) is corrupt (\(details)); the kiosk will not run on it. "
            + "Stop kioskd, move the file and its -wal/-shm aside for analysis, and restore the latest backup"
    }

    /// Copies the WAL into the database and truncates it to zero bytes (waiting for readers), so
    /// the WAL keeps no copy of rows that were wiped. Throws when a reader kept it from finishing.
    public func checkpointAndTruncateWAL() throws {
        let result = try pool.writeWithoutTransaction { db in
            try db.checkpoint(.truncate)
        }
        guard result.walFrameCount == result.checkpointedFrameCount else {
            throw StoreError(code: .sqlite, message: "WAL checkpoint incomplete (\(result.checkpointedFrameCount) of \(result.walFrameCount) frames)")
        }
    }

    /// The migrations applied so far, in order.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Migrations.migrator.appliedMigrations(db) }
    }

    /// Binds the data directory to this kiosk on first start; afterwards refuses a different kiosk
    /// id or region (filing numbers from two kiosks must never mix in one store).
    public func claimIdentity(kioskID: String, regionCode: String, now: Date) throws(StoreError) {
        do {
            try pool.write { db in
                if let row = try Row.fetchOne(db, sql: "SELECT kioskId, regionCode FROM kioskIdentity WHERE id = 1") {
                    let storedID: String = row["kioskId"]
                    let storedRegion: String = row["regionCode"]
                    guard storedID == kioskID, storedRegion == regionCode else {
                        throw StoreError(code: .identityMismatch,
                                         message: "data directory belongs to kiosk \(storedID) in region \(storedRegion), not \(kioskID) in \(regionCode); use that kiosk's configuration or another --data directory")
                    }
                } else {
                    try db.execute(sql: "INSERT INTO kioskIdentity (id, kioskId, regionCode, createdAt) VALUES (1, ?, ?, ?)",
                                   arguments: [kioskID, regionCode, now])
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(code: .sqlite, message: "cannot record the kiosk identity in \(path): \(error)")
        }
    }

    /// Appends a device state change to the history technicians read.
    public func recordDeviceStatus(deviceID: String, status: String, paper: String?, detail: String?, at date: Date) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO deviceStatusChange (deviceId, status, paper, detail, changedAt) VALUES (?, ?, ?, ?, ?)",
                           arguments: [deviceID, status, paper, detail, date])
        }
    }

    /// The most recent device state changes, newest first.
    public func deviceStatusHistory(limit: Int = 50) throws -> [DeviceStatusChange] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM deviceStatusChange ORDER BY id DESC LIMIT ?", arguments: [limit]).map {
                DeviceStatusChange(deviceID: $0["deviceId"], status: $0["status"], paper: $0["paper"],
                                   detail: $0["detail"], changedAt: $0["changedAt"])
            }
        }
    }
}

/// One recorded change of a device's state.
public struct DeviceStatusChange: Sendable, Hashable {
    public var deviceID: String
    public var status: String
    public var paper: String?
    public var detail: String?
    public var changedAt: Date
}

extension KioskStore {
    /// Writes the heartbeat row in its own transaction through the one writer (busy lock, WAL append,
    /// fsync) and returns how many beats the store has recorded. kioskd's watchdog tells systemd the
    /// store is alive only when this completes; it throws or hangs when the writer cannot write.
    public func heartbeat(at date: Date) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            Self.queue.async {
                continuation.resume(with: Result {
                    try self.pool.write { db in
                        try db.execute(sql: """
                            INSERT INTO storeHeartbeat (id, beatAt, beats) VALUES (1, ?, 1)
                            ON CONFLICT (id) DO UPDATE SET beatAt = excluded.beatAt, beats = beats + 1
                            """, arguments: [date])
                        return try Int.fetchOne(db, sql: "SELECT beats FROM storeHeartbeat WHERE id = 1") ?? 0
                    }
                })
            }
        }
    }

    /// When the heartbeat was last written (nil before kioskd's watchdog first ran).
    public func lastHeartbeat() throws -> Date? {
        try pool.read { db in try Date.fetchOne(db, sql: "SELECT beatAt FROM storeHeartbeat WHERE id = 1") }
    }
}

