import Foundation
import KioskTestSupport
import Testing

/// Files that hold a kiosk's secrets stay out of git: `kioskctl staff set-pin` writes
/// kiosk-config/staff.yaml (PIN hashes) in the working tree, and it must never be committed.
@Suite struct IgnoredSecretsTests {
    func git(_ arguments: [String]) throws -> ProcessResult {
        let git = try ChildProcess.which("git", package: "git")
        return try ChildProcess.run(git, ["-C", RepoPaths.root] + arguments)
    }

    @Test func staffAccountsAreIgnoredAndNothingTrackedIsCaughtByTheRule() throws {
        let ignored = try git(["check-ignore", "--no-index", "-v", "kiosk-config/staff.yaml"])
        #expect(ignored.status == 0, "kiosk-config/staff.yaml is not ignored: \(ignored.stdout)\(ignored.stderr)")
        // Tracked files that an ignore rule matches would silently stop being updated by `git add -A`.
        let trackedButIgnored = try git(["ls-files", "--cached", "--ignored", "--exclude-standard"])
        #expect(trackedButIgnored.status == 0, "\(trackedButIgnored.stderr)")
        #expect(trackedButIgnored.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(trackedButIgnored.stdout)")
    }
}
