import Foundation
import KioskTestSupport
import Testing

/// The joints the architecture keeps: SQL only behind Store's repositories, and the time only
/// from the one clock. These scan the product's sources (not the tests, which may look at the
/// raw tables), so a statement or a `Date()` slipped in anywhere else fails `make test`.
@Suite struct OneDoorTests {
    /// Every `.swift` file under `Sources/`, with its path relative to the repository.
    static func sources() throws -> [(path: String, lines: [Substring])] {
        let root = RepoPaths.root + "/Sources"
        guard let walker = FileManager.default.enumerator(atPath: root) else { throw SourceScanError(root) }
        var files: [(String, [Substring])] = []
        for case let relative as String in walker where relative.hasSuffix(".swift") {
            let text = try String(contentsOfFile: root + "/" + relative, encoding: .utf8)
            files.append(("Sources/" + relative, text.split(separator: "\n", omittingEmptySubsequences: false)))
        }
        return files
    }

    /// `file:line: text` for every line matching one of `patterns` in the files `included` keeps.
    static func findings(_ patterns: [String], in files: [(path: String, lines: [Substring])],
                         outside included: (String) -> Bool) throws -> [String] {
        let expressions = try patterns.map { try Regex($0) }
        var found: [String] = []
        for file in files where included(file.path) {
            for (index, line) in file.lines.enumerated() {
                let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? line
                if expressions.contains(where: { code.contains($0) }) {
                    found.append("\(file.path):\(index + 1): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        return found
    }

    @Test func noSQLOutsideStore() throws {
        let files = try Self.sources()
        #expect(files.count > 50, "the scan found the sources")
        let sql = [#"import GRDB"#, #"\bsql:"#, #"\bSELECT\s+[\w*(]"#, #"\bINSERT\s+INTO\b"#, #"\bDELETE\s+FROM\b"#,
                   #"\bUPDATE\s+\w+\s+SET\b"#, #"\bCREATE\s+(TABLE|INDEX)\b"#, #"\bPRAGMA\s+\w"#, #"\.pool\b"#]
        let found = try Self.findings(sql, in: files, outside: { !$0.hasPrefix("Sources/Store/") })
        #expect(found.isEmpty, "SQL outside Store (put it in a repository of Sources/Store/Repositories):\n\(found.joined(separator: "\n"))")
        // The check can fail: Store itself is full of SQL.
        #expect(!(try Self.findings(sql, in: files, outside: { $0.hasPrefix("Sources/Store/") })).isEmpty)
    }

    @Test func theTimeComesOnlyFromTheClock() throws {
        let files = try Self.sources()
        let clockFile = "Sources/Workflow/KioskClock.swift"
        let wallClock = [#"\bDate\(\)"#, #"Date\.now\b"#, #"\bDate\(timeIntervalSinceNow:"#]
        let found = try Self.findings(wallClock, in: files, outside: { $0 != clockFile })
        #expect(found.isEmpty, "the wall clock read outside \(clockFile) (take a KioskClock):\n\(found.joined(separator: "\n"))")
        #expect(!(try Self.findings(wallClock, in: files, outside: { $0 == clockFile })).isEmpty)
    }
}

struct SourceScanError: Error, CustomStringConvertible {
    var description: String
    init(_ path: String) { description = "cannot list \(path)" }
}
