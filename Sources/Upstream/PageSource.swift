import Foundation
import FrontDesk

/// Where the relay reads a page's bytes at send time (one page in memory at a time).
public protocol PageSource: Sendable {
    /// The bytes of the page with this SHA-256, or nil when no such page is stored.
    func bytes(sha256: String) throws -> [UInt8]?
}

/// The kiosk's captured pages: `<data>/pages/<sha256>.jpg`, as `FrontDesk.PageFiles` (the materials store) writes them.
public struct DirectoryPageSource: PageSource {
    public let directory: String

    /// `directory` is the pages folder itself (`<data>/pages`).
    public init(directory: String) { self.directory = directory }

    /// The pages folder of a data directory.
    public init(dataDirectory: String) { self.directory = dataDirectory + "/pages" }

    public func bytes(sha256: String) throws -> [UInt8]? {
        // Only a real SHA-256 names a file: anything else cannot be a stored page (and no path tricks).
        guard PageFiles.isSHA256(sha256) else { return nil }
        let path = PageFiles(directory: directory).path(sha256)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let url = URL(fileURLWithPath: path)
        return [UInt8](try Data(contentsOf: url))
    }
}
