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
        /// The data disk is full (SQLITE_FULL): the transaction was rolled back, nothing changed.
        case diskFull
        /// Any other SQLite failure (I/O error, permissions…).
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
    public func recordDeviceStatus(deviceID: String, status: String, paper: String?, detail: String?, at date: Date) async throws {
        try await write { tx in try tx.deviceStatus.record(deviceID: deviceID, status: status, paper: paper, detail: detail, at: date) }
    }

    /// The most recent device state changes, newest first.
    public func deviceStatusHistory(limit: Int = 50) async throws -> [DeviceStatusChange] {
        try await read { tx in try tx.deviceStatus.history(limit: limit) }
    }
}

/// Device state changes inside one store transaction.
public struct DeviceStatusRepository {
    let db: Database

    /// Appends a device state change.
    public func record(deviceID: String, status: String, paper: String?, detail: String?, at date: Date) throws {
        try db.execute(sql: "INSERT INTO deviceStatusChange (deviceId, status, paper, detail, changedAt) VALUES (?, ?, ?, ?, ?)",
                       arguments: [deviceID, status, paper, detail, date])
    }

    /// The most recent changes, newest first.
    public func history(limit: Int) throws -> [DeviceStatusChange] {
        try Row.fetchAll(db, sql: "SELECT * FROM deviceStatusChange ORDER BY id DESC LIMIT ?", arguments: [limit]).map {
            DeviceStatusChange(deviceID: $0["deviceId"], status: $0["status"], paper: $0["paper"],
                               detail: $0["detail"], changedAt: $0["changedAt"])
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
        try await write { tx in
            try tx.db.execute(sql: """
                INSERT INTO storeHeartbeat (id, beatAt, beats) VALUES (1, ?, 1)
                ON CONFLICT (id) DO UPDATE SET beatAt = excluded.beatAt, beats = beats + 1
                """, arguments: [date])
            return try Int.fetchOne(tx.db, sql: "SELECT beats FROM storeHeartbeat WHERE id = 1") ?? 0
        }
    }

    /// When the heartbeat was last written (nil before kioskd's watchdog first ran).
    public func lastHeartbeat() throws -> Date? {
        try pool.read { db in try Date.fetchOne(db, sql: "SELECT beatAt FROM storeHeartbeat WHERE id = 1") }
    }
}

/// What a backup of the store holds (its `manifest.json`).
public struct StoreBackupManifest: Codable, Sendable, Hashable {
    /// The kiosk the backup belongs to: a restore anywhere else is refused.
    public var kioskID: String
    public var regionCode: String
    /// When the snapshot was taken (the kiosk's clock).
    public var takenAt: Date
    /// The migrations the backed-up database has (a newer one than this OneWindow knows is refused).
    public var migrations: [String]
    /// The database file in the backup directory.
    public var databaseFile: String
    public var databaseBytes: Int64
    /// The page files copied beside it (`pages/`), and their bytes.
    public var pageFiles: Int
    public var pageBytes: Int64

    public init(kioskID: String, regionCode: String, takenAt: Date, migrations: [String], databaseFile: String, databaseBytes: Int64,
                pageFiles: Int, pageBytes: Int64) {
        self.kioskID = kioskID
        self.regionCode = regionCode
        self.takenAt = takenAt
        self.migrations = migrations
        self.databaseFile = databaseFile
        self.databaseBytes = databaseBytes
        self.pageFiles = pageFiles
        self.pageBytes = pageBytes
    }
}

extension KioskStore {
    /// Copies the live database to `path` with SQLite's online backup API (`sqlite3_backup_*`,
    /// through GRDB): a consistent snapshot while kioskd keeps writing, never a file copy of a
    /// database in use. Copied a few hundred pages a step so writers wait at most one step; the copy
    /// is checked (`quick_check`), made one self-contained file (journal mode DELETE), and only then
    /// moved to `path`. Returns the kiosk identity and migrations of the snapshot.
    public func backup(to path: String) throws(StoreError) -> (kioskID: String, regionCode: String, migrations: [String]) {
        let partial = path + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            let destination = try DatabaseQueue(path: partial)
            try pool.backup(to: destination, pagesPerStep: 256)
            let (identity, migrations, check) = try destination.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
                let row = try Row.fetchOne(db, sql: "SELECT kioskId, regionCode FROM kioskIdentity WHERE id = 1")
                let migrations = try Migrations.migrator.appliedMigrations(db)
                let check = try String.fetchAll(db, sql: "PRAGMA quick_check")
                return (row.map { ($0["kioskId"] as String, $0["regionCode"] as String) }, migrations, check)
            }
            try destination.close()
            guard check == ["ok"] else {
                throw StoreError(code: .corrupt, message: "the backup copy failed its integrity check (\(check.prefix(3).joined(separator: "; ")))")
            }
            guard let identity else {
                throw StoreError(code: .sqlite, message: "the store has no kiosk identity yet: nothing to back up")
            }
            try FileManager.default.moveItem(atPath: partial, toPath: path)
            return (identity.0, identity.1, migrations)
        } catch let error as StoreError {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw StoreError(code: .sqlite, message: "cannot back up \(self.path) to \(path): \(error)")
        }
    }

    /// The kiosk identity and migrations of a backup's database, read-only; refuses a file that
    /// is not a sound OneWindow database.
    public static func inspectBackup(at path: String) throws(StoreError) -> (kioskID: String, regionCode: String, migrations: [String]) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(code: .dataDirectory, message: "no backup database at \(path)")
        }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                let check = try String.fetchAll(db, sql: "PRAGMA quick_check")
                guard check == ["ok"] else {
                    throw StoreError(code: .corrupt, message: "the backup \(path) is corrupt (\(check.prefix(3).joined(separator: "; ")))")
                }
                guard try db.tableExists("kioskIdentity"),
                      let row = try Row.fetchOne(db, sql: "SELECT kioskId, regionCode FROM kioskIdentity WHERE id = 1") else {
                    throw StoreError(code: .corrupt, message: "\(path) is not a OneWindow kiosk store (no kiosk identity)")
                }
                return (row["kioskId"], row["regionCode"], try Migrations.migrator.appliedMigrations(db))
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
            throw StoreError(code: .corrupt, message: "the backup \(path) is not a sound database (\(error.message ?? "\(error.resultCode)"))")
        } catch {
            throw StoreError(code: .sqlite, message: "cannot read the backup \(path): \(error)")
        }
    }

    /// Replaces this store's content with the backup database at `path` through the online backup
    /// API (the backup is the source, this store the destination), after checking that the backup
    /// is sound, belongs to `kioskID`/`regionCode` and has no migration this OneWindow does not know;
    /// then migrates it to this version and checks the result. Nothing is changed when a check fails.
    public func restore(from path: String, kioskID: String, regionCode: String) throws(StoreError) {
        let backup = try Self.inspectBackup(at: path)
        guard backup.kioskID == kioskID, backup.regionCode == regionCode else {
            throw StoreError(code: .identityMismatch,
                             message: "the backup \(path) belongs to kiosk \(backup.kioskID) in region \(backup.regionCode), not \(kioskID) in \(regionCode): refusing to restore another kiosk's filings here")
        }
        let known = Set(Migrations.migrator.migrations)
        if let unknown = backup.migrations.first(where: { !known.contains($0) }) {
            throw StoreError(code: .newerSchema, message: "the backup \(path) was written by a newer OneWindow (migration '\(unknown)'); restore it with that version")
        }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let source = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? source.close() }
            try source.backup(to: pool, pagesPerStep: 256)
            try Migrations.migrator.migrate(pool)
            let check = try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
            guard check == ["ok"] else {
                throw StoreError(code: .corrupt, message: "the restored store failed its integrity check (\(check.prefix(3).joined(separator: "; ")))")
            }
            try checkpointAndTruncateWAL()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(code: .sqlite, message: "cannot restore \(path) into \(self.path): \(error)")
        }
    }

    /// `PRAGMA quick_check` of the live store: `["ok"]` when sound, else the first problems.
    public func quickCheck() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
    }
}
