import Foundation

/// A private copy of the repository's `kiosk-config/` (and `devices/`, which it refers to) that a
/// test may break on purpose.
public struct ConfigFixture: Sendable {
    public let root: TemporaryDirectory
    public var directory: String { root.path + "/kiosk-config" }

    public init() throws {
        root = try TemporaryDirectory("config")
        for folder in ["kiosk-config", "devices"] {
            try FileManager.default.copyItem(atPath: RepoPaths.root + "/" + folder, toPath: root.path + "/" + folder)
        }
        // The shipped configuration only: a staff.yaml `kioskctl staff set-pin` left in the working
        // tree (ignored by git) is not part of it.
        try? FileManager.default.removeItem(atPath: directory + "/staff.yaml")
    }

    public func path(_ file: String) -> String { directory + "/" + file }

    public func read(_ file: String) throws -> String { try String(contentsOfFile: path(file), encoding: .utf8) }

    public func write(_ file: String, _ text: String) throws {
        try text.write(toFile: path(file), atomically: true, encoding: .utf8)
    }

    /// Replaces the first occurrence of `old` in `file` and returns the 1-based line it is on.
    @discardableResult
    public func replaceFirst(_ old: String, with new: String, in file: String) throws -> Int {
        let text = try read(file)
        guard let range = text.range(of: old) else { throw TestSupportError("'\(old)' not found in \(file)") }
        try write(file, text.replacingCharacters(in: range, with: new))
        return text[..<range.lowerBound].filter { $0 == "\n" }.count + 1
    }

    /// Binds the receipt and ticket printers to the in-process simulator (no cupsd needed).
    public func bindPrintersToSimulator() throws {
        let text = try read("kiosk.yaml").replacingOccurrences(of: "driver: cups", with: "driver: simulated")
            .replacingOccurrences(of: "    queue: receipt\n", with: "").replacingOccurrences(of: "    queue: ticket\n", with: "")
        try write("kiosk.yaml", text)
    }

    public func remove() { root.remove() }
}
