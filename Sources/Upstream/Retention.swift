import AsyncAlgorithms
import Foundation
import FrontDesk
import IDCard
import Logging
import ServiceLifecycle
import Store
import Synchronization
import Workflow

/// Keeps the kiosk's disk bounded and its personal data minimal once the platform holds a
/// filing: when every filing of a submitted draft and every one of its pages was delivered more
/// than `retention` ago, the draft's page images are deleted (unless an open draft or a filing
/// still waiting for the platform shares one), the applicant kept with the draft is reduced to the
/// masked name and number the slips print, and the delivered outbox payloads (which carried the
/// full identity) are emptied. Filing numbers, statuses, audit chain and held-material keys stay.
public final class Retention: Service, Sendable {
    /// What one sweep did and what the disk holds afterwards.
    public struct Sweep: Sendable, Hashable, Codable {
        /// Drafts minimised in this sweep.
        public var draftsMinimised = 0
        public var pagesDeleted = 0
        public var bytesFreed = 0
        public var usage: DiskUsage

        public init(usage: DiskUsage) { self.usage = usage }
    }

    /// What the kiosk's data directory holds.
    public struct DiskUsage: Sendable, Hashable, Codable {
        public var pageFiles: Int
        public var pageBytes: Int
        /// The database with its WAL.
        public var databaseBytes: Int
        /// Free space on the data directory's file system.
        public var freeBytes: Int?
    }

    let store: KioskStore
    /// The captured pages (`<data>/pages`), named as the materials store names them.
    let pages: PageFiles
    let retention: TimeInterval
    let clock: any KioskClock
    let interval: Duration
    let logger: Logger
    private let last = Mutex<DiskUsage?>(nil)

    /// The disk usage the last sweep measured (nil before the first).
    public var lastUsage: DiskUsage? { last.withLock { $0 } }

    /// `retention`: how long after the platform confirmed a filing and its pages they are kept (default 7 days).
    public init(store: KioskStore, dataDirectory: String, retention: TimeInterval = 7 * 86_400, clock: any KioskClock = SystemClock(),
                interval: Duration = .seconds(3600), logger: Logger) {
        self.store = store
        pages = PageFiles(directory: dataDirectory + "/pages")
        self.retention = retention
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        _ = await sweep()
        for await _ in AsyncTimerSequence.repeating(every: interval).cancelOnGracefulShutdown() { _ = await sweep() }
    }

    /// One sweep at `now` (default: the clock's), in batches so a long backlog never holds the store.
    @discardableResult
    public func sweep(now: Date? = nil) async -> Sweep {
        let now = now ?? clock.now()
        let cutoff = now.addingTimeInterval(-retention)
        var sweep = Sweep(usage: DiskUsage(pageFiles: 0, pageBytes: 0, databaseBytes: 0, freeBytes: nil))
        do {
            while true {
                let drafts = try await confirmedDrafts(before: cutoff, limit: 200)
                if drafts.isEmpty { break }
                for draft in drafts {
                    let released = try await minimise(draft: draft)
                    sweep.draftsMinimised += 1
                    for sha in released {
                        let path = pages.path(sha)
                        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
                        guard let size else { continue }
                        do {
                            try FileManager.default.removeItem(atPath: path)
                            sweep.pagesDeleted += 1
                            sweep.bytesFreed += size
                        } catch {
                            logger.error("retention cannot delete a page", metadata: ["page": "\(sha.prefix(12))", "error": "\(error)"])
                        }
                    }
                }
            }
        } catch {
            logger.error("retention sweep stopped", metadata: ["error": "\(error)"])
        }
        sweep.usage = usage()
        last.withLock { $0 = sweep.usage }
        if sweep.draftsMinimised > 0 {
            logger.info("retention: confirmed filings minimised", metadata: [
                "drafts": "\(sweep.draftsMinimised)", "pagesDeleted": "\(sweep.pagesDeleted)", "bytesFreed": "\(sweep.bytesFreed)",
                "pageBytes": "\(sweep.usage.pageBytes)",
            ])
        }
        return sweep
    }

    /// Submitted, not yet minimised drafts whose every filing row and page row was delivered before `cutoff`.
    func confirmedDrafts(before cutoff: Date, limit: Int) async throws -> [String] {
        try await store.read { tx in try tx.drafts.confirmedForMinimising(before: cutoff, limit: limit) }
    }

    /// Minimises one draft in one transaction; returns the page hashes no longer needed by any
    /// draft that still keeps its pages.
    func minimise(draft id: String) async throws -> [String] {
        let now = clock.now()
        return try await store.write { tx in
            let masked: String
            if let json = try tx.drafts.find(id: id)?.applicantJSON,
               let applicant = try? JSONDecoder().decode(Applicant.self, from: Data(json.utf8)) {
                let minimal = Applicant(name: PersonalDataMask.name(applicant.name), idNumber: PersonalDataMask.idNumber(applicant.idNumber),
                                        documentKind: applicant.documentKind, verifiedByCard: applicant.verifiedByCard)
                masked = String(decoding: try JSONEncoder().encode(minimal), as: UTF8.self)
            } else {
                masked = "{}"
            }
            return try tx.drafts.minimise(id: id, maskedApplicantJSON: masked, at: now)
        }
    }

    /// The pages folder's files and bytes, the database's size and the free space.
    public func usage() -> DiskUsage {
        let manager = FileManager.default
        var files = 0
        var bytes = 0
        for name in (try? manager.contentsOfDirectory(atPath: pages.directory)) ?? [] where name.hasSuffix(".jpg") {
            files += 1
            bytes += ((try? manager.attributesOfItem(atPath: pages.directory + "/" + name)[.size]) as? Int) ?? 0
        }
        let database = [store.path, store.path + "-wal", store.path + "-shm"].reduce(0) { sum, path in
            sum + (((try? manager.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0)
        }
        // The same figure a capture is refused by (statvfs f_bavail: what the kiosk's user may use).
        let free = PageFiles.availableBytes((store.path as NSString).deletingLastPathComponent).map { Int($0) }
        return DiskUsage(pageFiles: files, pageBytes: bytes, databaseBytes: database, freeBytes: free)
    }
}
