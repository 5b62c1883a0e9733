import Foundation

/// Where things are, for tests: the repository root, built binaries, scripts, fixtures.
public enum RepoPaths {
    /// The package root (the folder with Package.swift), found from this source file.
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    public static var defaultConfig: String { root + "/kiosk-config" }
    public static var devices: String { root + "/devices" }
    public static var scripts: String { root + "/scripts" }

    /// A product built by `swift build` (kioskd, kioskctl) in the same build folder as the tests.
    public static func binary(_ name: String) throws -> String {
        // The test bundle lives in .build/<triple>/debug; the products sit beside it.
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name).path,
            Bundle.main.bundleURL.appendingPathComponent(name).path,
            root + "/.build/debug/" + name,
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestSupportError("\(name) is not built (looked in \(candidates)); run `swift build` first — `make test` does")
        }
        return found
    }
}

/// A failure of the test harness itself (a tool missing, a server that did not start), which
/// fails the test loudly instead of skipping it.
public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A fresh temporary directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "onewindow") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
