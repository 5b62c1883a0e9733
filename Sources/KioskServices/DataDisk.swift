import FrontDesk
import Foundation

/// The data directory's free space, read live (one statvfs, microseconds) whenever health, the
/// staff alerts or `/metrics` ask — never a figure from the last hourly sweep. Below the capture
/// reserve the disk is `full`: captures are refused, and the database's next write may fail.
public struct DataDisk: Sendable {
    /// What the disk looks like now.
    public struct Reading: Codable, Sendable, Hashable {
        /// `ok`, `low` (under twice the reserve) or `full` (under the reserve).
        public var state: String
        public var freeBytes: Int64?
        public var reserveBytes: Int64
    }

    public let directory: String
    public let reserveBytes: Int64
    let freeSpace: @Sendable (String) -> Int64?

    public init(directory: String, reserveBytes: Int64,
                freeSpace: @escaping @Sendable (String) -> Int64? = PageFiles.availableBytes) {
        self.directory = directory
        self.reserveBytes = reserveBytes
        self.freeSpace = freeSpace
    }

    public func reading() -> Reading {
        guard let free = freeSpace(directory) else { return Reading(state: "unknown", freeBytes: nil, reserveBytes: reserveBytes) }
        let state = free < reserveBytes ? "full" : free < 2 * reserveBytes ? "low" : "ok"
        return Reading(state: state, freeBytes: free, reserveBytes: reserveBytes)
    }

    /// Megabytes, for the sentences staff read.
    public static func megabytes(_ bytes: Int64?) -> String {
        bytes.map { String(format: "%.1f MB", Double($0) / 1_048_576) } ?? "?"
    }
}
