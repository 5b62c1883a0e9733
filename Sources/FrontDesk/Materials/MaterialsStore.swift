import Foundation
import Store

/// The materials of filings: page images stored content-addressed (`PageFiles`) and linked to a
/// draft's material slot in the store (`draftPage` rows), within a per-page and a per-filing size
/// limit. Pages of abandoned drafts are deleted with them (`abandon(sessionID:)`).
public struct MaterialsStore: Sendable {
    /// Size limits of pages.
    public struct Limits: Sendable, Hashable {
        public var maximumPageBytes: Int
        /// All pages of one draft (a filing or a bundle) together.
        public var maximumFilingBytes: Int

        public init(maximumPageBytes: Int = 10 * 1024 * 1024, maximumFilingBytes: Int = 100 * 1024 * 1024) {
            self.maximumPageBytes = maximumPageBytes
            self.maximumFilingBytes = maximumFilingBytes
        }
    }

    public let files: PageFiles
    public let limits: Limits

    public static let defaultMaximumPageBytes = Limits().maximumPageBytes

    public init(files: PageFiles, limits: Limits = Limits()) {
        self.files = files
        self.limits = limits
    }

    /// The pages folder of a data directory (`<data>/pages`, where the outbox relay reads them).
    public init(dataDirectory: String, limits: Limits = Limits()) {
        self.init(files: PageFiles(directory: dataDirectory + "/pages"), limits: limits)
    }

    public var maximumPageBytes: Int { limits.maximumPageBytes }
    public func path(_ sha256: String) -> String { files.path(sha256) }

    /// Whether the bytes start like a JPEG image (SOI marker followed by another marker).
    public static func looksLikeJPEG(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
    }

    /// Bytes of the pages a draft holds now.
    public func draftBytes(_ desk: FrontDesk, draftID: String) async throws(FrontDeskError) -> Int {
        try await desk.read { tx in
            try tx.drafts.pageBytes(draftID: draftID)
        }
    }

    /// Why a page was not added: the materials store refused it, or the front desk did.
    public enum AddError: Error, Sendable {
        case materials(MaterialsError)
        case desk(FrontDeskError)
    }

    /// Checks the limits, stores the file (once per content) and links it to the draft's material.
    /// If the link is refused (draft closed, unknown material) a file written for it is removed again
    /// unless another draft holds the same content.
    public func addPage(_ bytes: [UInt8], desk: FrontDesk, draftID: String, materialCode: String)
        async throws(AddError) -> (sha256: String, pages: Int) {
        guard Self.looksLikeJPEG(bytes) else {
            throw .materials(MaterialsError(.notJPEG, "a page must be a JPEG image (starts with FF D8 FF)"))
        }
        guard bytes.count <= limits.maximumPageBytes else {
            throw .materials(MaterialsError(.pageTooLarge, "the page has \(bytes.count) bytes, at most \(limits.maximumPageBytes) are allowed"))
        }
        let held: Int
        do { held = try await draftBytes(desk, draftID: draftID) } catch { throw .desk(error) }
        guard held + bytes.count <= limits.maximumFilingBytes else {
            throw .materials(MaterialsError(.filingTooLarge,
                "the filing's pages would take \(held + bytes.count) bytes, at most \(limits.maximumFilingBytes) are allowed"))
        }
        let written: (sha256: String, created: Bool)
        do { written = try await files.write(bytes) } catch { throw .materials(error) }
        do {
            let count = try await desk.addPage(draftID: draftID, materialCode: materialCode, sha256: written.sha256, byteCount: bytes.count)
            return (written.sha256, count)
        } catch {
            if written.created, await (try? isReferenced(written.sha256, desk: desk)) == false { files.delete([written.sha256]) }
            throw .desk(error)
        }
    }

    /// Whether any draft still holds the page.
    public func isReferenced(_ sha256: String, desk: FrontDesk) async throws(FrontDeskError) -> Bool {
        try await desk.read { tx in try tx.drafts.isPageReferenced(sha256: sha256) }
    }

    /// Abandons a session's open drafts (their applicant and page rows) and deletes the page files
    /// no other draft holds; returns the SHA-256s deleted.
    @discardableResult
    public func abandon(sessionID: String, desk: FrontDesk) async throws(FrontDeskError) -> [String] {
        let (drafts, released) = try await desk.abandonCountingDrafts(sessionID: sessionID)
        files.delete(released)
        // The wiped applicant must not linger in the WAL either (a failed scrub is retried by the orphan sweep).
        if drafts > 0 { try await desk.scrubDeletedData() }
        return released
    }

    /// Wipes every open draft no live session owns (applicant and pages, see
    /// `FrontDesk.abandonOrphanDrafts`), deletes the page files no other draft holds, then scrubs the
    /// database file and its WAL of the wiped values. Returns how many drafts were wiped.
    @discardableResult
    public func wipeOrphanDrafts(liveSessionIDs: Set<String>, createdBefore: Date, desk: FrontDesk) async throws(FrontDeskError) -> Int {
        let (count, released) = try await desk.abandonOrphanDrafts(liveSessionIDs: liveSessionIDs, createdBefore: createdBefore)
        files.delete(released)
        if count > 0 || desk.isScrubPending { try await desk.scrubDeletedData() }
        return count
    }

    /// Deletes page files (by SHA-256) no draft refers to any more.
    public func delete(_ hashes: [String]) { files.delete(hashes) }
}
