import BlockingWork
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Page images on disk, content-addressed: `<directory>/<sha256>.jpg`. A page is written to a
/// temporary file, fsynced, renamed into place and the directory fsynced, so after a crash a page
/// is either whole or absent. Free space is checked (statvfs) before writing, keeping `reserveBytes`
/// for the database; a write that still runs out of space (ENOSPC, EDQUOT) removes its temporary
/// file and reports `diskFull` — nothing half-written is ever left under a page's name. The write and
/// its fsyncs (up to 10 MB a page) run on the process's blocking pool, never on the cooperative pool.
public struct PageFiles: Sendable {
    public let directory: String
    /// Free bytes that must remain after a page is written (the database and its WAL need room too).
    public let reserveBytes: Int64
    /// Free bytes available to the kiosk on the file system of `directory` (statvfs by default;
    /// tests can inject a figure).
    let freeSpace: @Sendable (String) -> Int64?

    public init(directory: String, reserveBytes: Int64 = 32 * 1024 * 1024,
                freeSpace: @escaping @Sendable (String) -> Int64? = PageFiles.availableBytes) {
        self.directory = directory
        self.reserveBytes = reserveBytes
        self.freeSpace = freeSpace
    }

    /// `f_bavail × f_frsize` of the file system holding `path`; nil when statvfs fails.
    public static func availableBytes(_ path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// The lower-case hex SHA-256 of the bytes.
    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    public static func isSHA256(_ text: String) -> Bool { text.utf8.count == 64 && text.allSatisfy(\.isHexDigit) }

    public func path(_ sha256: String) -> String { directory + "/" + sha256 + ".jpg" }

    /// Stores the bytes once per content, on the blocking pool; returns the SHA-256 and whether a new
    /// file was written. A caller cancelled before the write began gets `ioFailed` and nothing is written.
    public func write(_ bytes: [UInt8]) async throws(MaterialsError) -> (sha256: String, created: Bool) {
        try await BlockingPool.shared.run({ () throws(MaterialsError) -> (sha256: String, created: Bool) in
            try self.writeBlocking(bytes)
        }, interrupted: { MaterialsError(.ioFailed, "the page was not stored: \($0)") })
    }

    /// `write` on the calling thread (blocking: the benchmark's file-alone figure, or a caller already
    /// on the blocking pool).
    public func writeBlocking(_ bytes: [UInt8]) throws(MaterialsError) -> (sha256: String, created: Bool) {
        let sha = Self.sha256(bytes)
        let target = path(sha)
        if FileManager.default.fileExists(atPath: target) { return (sha, false) }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw MaterialsError(.ioFailed, "cannot create the pages folder \(directory): \(error)")
        }
        if let free = freeSpace(directory), free - Int64(bytes.count) < reserveBytes {
            throw MaterialsError(.diskFull, "only \(free) bytes free under \(directory) (a page of \(bytes.count) bytes must leave \(reserveBytes)); free space on the data disk")
        }
        let temporary = "\(directory)/.\(sha).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw failure(errno, "create \(temporary)") }
        var closed = false
        func abandon(_ code: Int32, _ step: String) -> MaterialsError {
            if !closed { close(fd) }
            unlink(temporary)
            return failure(code, step)
        }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw abandon(errno, "write \(temporary)")
            }
            written += n
        }
        guard fsync(fd) == 0 else { throw abandon(errno, "fsync \(temporary)") }
        closed = true
        guard close(fd) == 0 else { throw abandon(errno, "close \(temporary)") }
        guard rename(temporary, target) == 0 else { throw abandon(errno, "rename to \(target)") }
        // The rename is durable only once the directory is.
        let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { _ = fsync(dir); close(dir) }
        return (sha, true)
    }

    /// Deletes the pages (by SHA-256); names that are not a SHA-256 are ignored.
    public func delete(_ hashes: [String]) {
        for sha in hashes where Self.isSHA256(sha) { unlink(path(sha)) }
    }

    private func failure(_ code: Int32, _ step: String) -> MaterialsError {
        let reason = String(cString: strerror(code))
        if code == ENOSPC || code == EDQUOT {
            return MaterialsError(.diskFull, "\(step): \(reason); free space on the data disk (nothing was kept)")
        }
        return MaterialsError(.ioFailed, "\(step): \(reason)")
    }
}
