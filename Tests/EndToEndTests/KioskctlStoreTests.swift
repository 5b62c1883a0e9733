import Foundation
import KioskTestSupport
import Testing

/// kioskctl's read-only commands never create a store: without `--data` (kiosk.yaml's
/// dataDirectory) or with a wrong one they refuse, naming the path they looked at, instead of
/// reporting "0 slips" about an empty store they just made.
@Suite struct KioskctlStoreTests {
    /// A configuration whose dataDirectory is a path that does not exist yet.
    static func fixture() throws -> (ConfigFixture, String) {
        let fixture = try ConfigFixture()
        let missing = fixture.root.path + "/no-such-kiosk/data"
        try fixture.replaceFirst("dataDirectory: /var/lib/onewindow", with: "dataDirectory: \(missing)", in: "kiosk.yaml")
        return (fixture, missing)
    }

    @Test(arguments: [
        ["printer", "status"], ["printer", "jobs"], ["printer", "list"], ["outbox"], ["outbox", "status", "--json"],
        ["outbox", "retry", "--all"], ["audit", "verify"], ["filings", "list"], ["queue", "status"], ["supervision"],
    ])
    func readOnlyCommandRefusesAMissingStore(_ command: [String]) async throws {
        let (fixture, missing) = try Self.fixture()
        defer { fixture.remove() }
        let kioskctl = try RepoPaths.binary("kioskctl")
        // Without --data: kiosk.yaml's dataDirectory.
        let result = try await blocking { [fixture] in
            try ChildProcess.run(kioskctl, command + ["--config", fixture.directory], environment: ["CUPS_SERVER": "127.0.0.1:1"])
        }
        #expect(result.status == 74, "\(command): \(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains(missing + "/kiosk.sqlite"), "\(result.stderr)")
        #expect(result.stderr.contains("dataDirectory"))
        #expect(!result.stdout.contains("0 slips"))
        #expect(!FileManager.default.fileExists(atPath: missing), "a read-only command created \(missing)")

        // With a --data that has no store: the same refusal, naming that path.
        let empty = try TemporaryDirectory("no-store")
        defer { empty.remove() }
        let given = try await blocking { [fixture] in
            try ChildProcess.run(kioskctl, command + ["--config", fixture.directory, "--data", empty.path],
                                 environment: ["CUPS_SERVER": "127.0.0.1:1"])
        }
        #expect(given.status == 74, "\(command): \(given.stdout) \(given.stderr)")
        #expect(given.stderr.contains(empty.path + "/kiosk.sqlite") && given.stderr.contains("--data"), "\(given.stderr)")
        #expect(!FileManager.default.fileExists(atPath: empty.file("kiosk.sqlite")))
    }

    @Test func aWritingCommandStillCreatesTheStoreAndReadersThenSeeIt() async throws {
        let (fixture, missing) = try Self.fixture()
        defer { fixture.remove() }
        let kioskctl = try RepoPaths.binary("kioskctl")
        let issue = try await blocking { [fixture] in
            try ChildProcess.run(kioskctl, ["queue", "issue", "social-insurance", "--config", fixture.directory])
        }
        #expect(issue.status == 0, "\(issue.stderr)")
        #expect(FileManager.default.fileExists(atPath: missing + "/kiosk.sqlite"))
        let status = try await blocking { [fixture] in
            try ChildProcess.run(kioskctl, ["queue", "status", "--json", "--config", fixture.directory])
        }
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("\"waiting\" : 1"), "\(status.stdout)")
    }
}
