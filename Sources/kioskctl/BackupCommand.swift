import ArgumentParser
import Foundation
import KioskConfig
import Store

/// `kioskctl backup DIR`: the store through SQLite's online backup API (safe while kioskd runs),
/// the page files beside it, and a manifest naming the kiosk.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up the kiosk's store (SQLite online backup, while kioskd runs) and its page files into DIR.",
        discussion: """
            DIR must not exist or be empty. It gets kiosk.sqlite (a consistent snapshot, checked), pages/ and \
            manifest.json (kiosk id, time, migrations, sizes). Exit 0 done; 73 DIR is not empty or cannot be \
            written; 74 the store cannot be read or copied.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(name: .long, help: "Data directory (default: kiosk.yaml's dataDirectory).") var data: String?
    @Argument(help: "The backup directory to create.") var directory: String

    func run() throws {
        let configuration = try loadConfiguration(options)
        let store = try openKioskStore(data: data, configuration: configuration, creating: false)
        let dataDirectory = data ?? configuration.dataDirectory
        try CommandFailure.exitOnFailure("backup") {
            let fm = FileManager.default
            if let existing = try? fm.contentsOfDirectory(atPath: directory), !existing.isEmpty {
                throw CommandFailure(73, "\(directory) is not empty: give a new directory for each backup")
            }
            do {
                try fm.createDirectory(atPath: directory + "/pages", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw CommandFailure(73, "cannot create \(directory): \(error.localizedDescription)")
            }
            let snapshot: (kioskID: String, regionCode: String, migrations: [String])
            do { snapshot = try store.backup(to: directory + "/" + KioskStore.fileName) } catch {
                throw CommandFailure(74, "\(error)")
            }
            // The pages after the snapshot: every page it names exists now (pages are only deleted
            // after the platform confirmed them, and then the rows say so in a later snapshot).
            let (count, bytes) = try PageFileCopy.copy(from: dataDirectory + "/pages", to: directory + "/pages", failure: 73)
            let manifest = StoreBackupManifest(
                kioskID: snapshot.kioskID, regionCode: snapshot.regionCode, takenAt: kioskctlClock.now(), migrations: snapshot.migrations,
                databaseFile: KioskStore.fileName, databaseBytes: PageFileCopy.size(directory + "/" + KioskStore.fileName),
                pageFiles: count, pageBytes: bytes)
            do { try BackupManifestFile.write(manifest, to: directory) } catch {
                throw CommandFailure(73, "cannot write \(directory)/manifest.json: \(error.localizedDescription)")
            }
            Console.out("backup of kiosk \(manifest.kioskID) in \(directory): \(KioskStore.fileName) (\(manifest.databaseBytes) bytes, checked), "
                        + "\(count) page file(s) (\(bytes) bytes)")
        }
    }
}

/// `kioskctl restore DIR`: the store and pages of a backup of this kiosk, put back.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup made by `kioskctl backup` into the data directory (stop kioskd first).",
        discussion: """
            The backup must belong to this kiosk (kiosk.yaml's kiosk id and region): another kiosk's backup is \
            refused, and so is one from a newer OneWindow. A data directory that already has a store is replaced \
            only with --replace. Exit 0 restored; 65 DIR is not a usable backup, or belongs to another kiosk; 73 the \
            data directory has a store (no --replace) or cannot be written; 74 the store cannot be opened or written.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(name: .long, help: "Data directory (default: kiosk.yaml's dataDirectory).") var data: String?
    @Flag(name: .long, help: "Replace the store already in the data directory.") var replace = false
    @Argument(help: "The backup directory.") var directory: String

    func run() throws {
        let configuration = try loadConfiguration(options)
        let kiosk = configuration.settings.kiosk
        let dataDirectory = data ?? configuration.dataDirectory
        try CommandFailure.exitOnFailure("restore") {
            let manifest: StoreBackupManifest
            do { manifest = try BackupManifestFile.read(from: directory) } catch {
                throw CommandFailure(65, "\(directory) is not a kioskctl backup (manifest.json: \(error))")
            }
            let backupDatabase = directory + "/" + manifest.databaseFile
            let inside: (kioskID: String, regionCode: String, migrations: [String])
            do { inside = try KioskStore.inspectBackup(at: backupDatabase) } catch { throw CommandFailure(65, "\(error)") }
            guard inside.kioskID == kiosk.id, inside.regionCode == kiosk.regionCode else {
                throw CommandFailure(65, "the backup belongs to kiosk \(inside.kioskID) (region \(inside.regionCode)), this is kiosk "
                                     + "\(kiosk.id) (region \(kiosk.regionCode)): refusing to restore another kiosk's filings here")
            }
            let target = dataDirectory + "/" + KioskStore.fileName
            if FileManager.default.fileExists(atPath: target), !replace {
                throw CommandFailure(73, "\(target) already exists: stop kioskd and give --replace to replace it with the backup")
            }
            let store: KioskStore
            do {
                store = try KioskStore.open(directory: dataDirectory)
                // A store already there must be this kiosk's too (a wrong --data is not overwritten).
                try store.claimIdentity(kioskID: kiosk.id, regionCode: kiosk.regionCode, now: kioskctlClock.now())
                try store.restore(from: backupDatabase, kioskID: kiosk.id, regionCode: kiosk.regionCode)
            } catch let error as StoreError where error.code == .identityMismatch || error.code == .newerSchema {
                throw CommandFailure(65, error.message)
            } catch {
                throw CommandFailure(74, "\(error)")
            }
            let (count, bytes) = try PageFileCopy.copy(from: directory + "/pages", to: dataDirectory + "/pages", failure: 73)
            Console.out("restored kiosk \(kiosk.id) from \(directory) (taken \(ISO8601DateFormatter().string(from: manifest.takenAt))): "
                        + "store checked, \(count) page file(s) (\(bytes) bytes) copied into \(dataDirectory)/pages")
        }
    }
}

/// The manifest.json of a backup directory.
enum BackupManifestFile {
    static func write(_ manifest: StoreBackupManifest, to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: directory + "/manifest.json"), options: .atomic)
    }

    static func read(from directory: String) throws -> StoreBackupManifest {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(StoreBackupManifest.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json")))
    }
}

/// Copies page files (content-addressed: a file already there under its name is the same page).
enum PageFileCopy {
    static func copy(from source: String, to destination: String, failure: Int32) throws -> (files: Int, bytes: Int64) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: source) else { return (0, 0) }
        do { try fm.createDirectory(atPath: destination, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
            throw CommandFailure(failure, "cannot create \(destination): \(error.localizedDescription)")
        }
        var files = 0
        var bytes: Int64 = 0
        for name in names.sorted() where !name.hasPrefix(".") {
            let from = source + "/" + name
            let to = destination + "/" + name
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: from, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            if !fm.fileExists(atPath: to) {
                do { try fm.copyItem(atPath: from, toPath: to) } catch {
                    throw CommandFailure(failure, "cannot copy page \(name) to \(destination): \(error.localizedDescription)")
                }
            }
            files += 1
            bytes += size(from)
        }
        return (files, bytes)
    }

    static func size(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
