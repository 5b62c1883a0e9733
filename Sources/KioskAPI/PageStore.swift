import Crypto
import Foundation

/// Captured pages, content-addressed by SHA-256 under `<data>/pages/`, written durably (temporary
/// file, fsync, rename) so a crash never leaves half a page. Only JPEG is accepted.
public struct PageStore: Sendable {
    public let directory: String
    public let maximumPageBytes: Int

    public static let defaultMaximumPageBytes = 10 * 1024 * 1024

    /// Whether the bytes start like a JPEG image (SOI marker followed by another marker).
    public static func looksLikeJPEG(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
    }

    public init(directory: String, maximumPageBytes: Int = defaultMaximumPageBytes) {
        self.directory = directory
        self.maximumPageBytes = maximumPageBytes
    }

    /// Stores the bytes (once per content) and returns their SHA-256.
    public func store(_ bytes: [UInt8]) throws -> String {
        guard Self.looksLikeJPEG(bytes) else {
            throw APIProblem(.unprocessableContent, code: "not-jpeg", title: "图像格式不正确，请重新拍摄",
                             detail: "a page must be a JPEG image (starts with FF D8 FF)")
        }
        let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let path = self.path(sha)
        if FileManager.default.fileExists(atPath: path) { return sha }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = path + ".partial-\(UUID().uuidString.prefix(8))"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw APIProblem(.init(code: 507, reasonPhrase: "Insufficient Storage"), code: "store-failed", title: "存储空间不足，请联系工作人员",
                             detail: "cannot create \(temporary)")
        }
        do {
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
            try handle.close()
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw APIProblem(.init(code: 507, reasonPhrase: "Insufficient Storage"), code: "store-failed", title: "存储空间不足，请联系工作人员",
                             detail: "cannot store the page: \(error)")
        }
        return sha
    }

    public func path(_ sha256: String) -> String { directory + "/" + sha256 + ".jpg" }

    /// Deletes pages no draft or filing refers to any more.
    public func delete(_ hashes: [String]) {
        for sha in hashes where sha.count == 64 && sha.allSatisfy(\.isHexDigit) { try? FileManager.default.removeItem(atPath: path(sha)) }
    }
}
