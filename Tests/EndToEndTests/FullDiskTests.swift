import Foundation
import KioskTestSupport
import Testing

/// A real kioskd whose data directory is a small tmpfs that fills up between a citizen's last page
/// and the submit: the submit is refused clearly (507 `disk-full`), nothing is half-written (no
/// filing, no number taken, no slip, no outbox row; the audit chain and `quick_check` hold), the
/// draft and its pages are kept, and once space returns the same submit succeeds with the first
/// number of the day and exactly one notice.
@Suite(.serialized) struct FullDiskTests {
    /// Mounts a tmpfs of `megabytes` on `directory` (the test runs as root, as CI does; a failed
    /// mount fails the test, it never skips).
    static func mountTmpfs(_ directory: String, megabytes: Int) throws {
        let mount = try ChildProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", directory])
        guard mount.status == 0 else {
            throw TestSupportError("cannot mount a \(megabytes) MB tmpfs on \(directory) (the full-disk test needs root, as CI has): \(mount.stderr)")
        }
    }

    /// Writes zeros into `path` until the file system refuses (ENOSPC).
    static func fill(_ path: String) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw TestSupportError("cannot create \(path)")
        }
        defer { try? handle.close() }
        let chunk = Data(count: 64 * 1024)
        var written = 0
        while true {
            do { try handle.write(contentsOf: chunk) } catch { break }
            written += chunk.count
        }
        // The last partial block, byte by byte is too slow: 4 KB at a time.
        let small = Data(count: 4096)
        while (try? handle.write(contentsOf: small)) != nil { written += small.count }
        return written
    }

    @Test func aSubmitOnAFullDiskIsRefusedLosesNothingAndSucceedsOnceSpaceReturns() throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        try fixture.bindPrintersToSimulator()
        // A capture must leave 1 MB (the shipped 32 MB reserve would refuse the pages on a small disk).
        try fixture.replaceFirst("reserveMegabytes: 32", with: "reserveMegabytes: 1", in: "kiosk.yaml")
        let data = try TemporaryDirectory("full-disk")
        try Self.mountTmpfs(data.path, megabytes: 24)
        defer {
            _ = try? ChildProcess.run("/bin/umount", ["-l", data.path])
            data.remove()
        }
        let kioskctl = try RepoPaths.binary("kioskctl")
        let args = ["--config", fixture.directory, "--data", data.path]

        let kioskd = try KioskdProcess(config: fixture.directory, dataDirectory: data)
        defer { _ = try? kioskd.terminate() }
        try kioskd.waitFor("/api/v1/health", status: 200, timeout: .seconds(60))
        let (session, draft) = try CitizenWorkload.prepare(kioskd.baseURL, citizen: 7)

        // The disk fills up (another process's log, a runaway core dump…).
        let filler = data.file("filler")
        #expect(try Self.fill(filler) > 0)
        let health = try JSONSerialization.jsonObject(with: kioskd.get("/api/v1/health")?.body ?? Data()) as? [String: Any]
        #expect((health?["disk"] as? [String: Any])?["state"] as? String == "full", "\(String(describing: health))")

        let refused = try #require(HTTP.request("POST", kioskd.baseURL + "/api/v1/filings/\(draft)/submit",
                                                headers: ["Content-Type": "application/json"], body: Data("{}".utf8)))
        #expect(refused.status == 507, "\(String(decoding: refused.body, as: UTF8.self))")
        let problem = try JSONSerialization.jsonObject(with: refused.body) as? [String: Any]
        #expect(problem?["type"] as? String == "https://onewindow.local/problems/disk-full")
        #expect((problem?["title"] as? String)?.contains("存储空间不足") == true)
        // kioskd is still serving, and says why it cannot file.
        #expect(kioskd.get("/api/v1/health") != nil)

        // Space returns. Nothing of the refused submit was written: no filing, no notice, no
        // upstream row, the chain and the file intact; the draft still holds its pages.
        try FileManager.default.removeItem(atPath: filler)
        let before = try ChildProcess.run(kioskctl, ["filings", "list", "--json"] + args)
        #expect(before.status == 0, "\(before.stderr)")
        #expect((try JSONSerialization.jsonObject(with: Data(before.stdout.utf8)) as? [Any])?.isEmpty == true, "\(before.stdout)")
        let jobsBefore = try ChildProcess.run(kioskctl, ["printer", "jobs", "--json", "--limit", "100"] + args)
        #expect(!jobsBefore.stdout.contains("\"acceptance\""), "\(jobsBefore.stdout)")
        let audit = try ChildProcess.run(kioskctl, ["audit", "verify"] + args)
        #expect(audit.status == 0, "\(audit.stdout) \(audit.stderr)")
        let check = try ChildProcess.run(try ChildProcess.which("sqlite3", package: "sqlite3"), [data.file("kiosk.sqlite"), "PRAGMA quick_check;"])
        #expect(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")

        // The same submit, unchanged, now succeeds: the first number of the day, one notice.
        let submitted = try HTTP.json("POST", kioskd.baseURL + "/api/v1/filings/\(draft)/submit", "{}", expect: 201)
        let number = try #require(submitted["number"] as? String)
        #expect(number.hasSuffix("-00001"), "no number was taken by the refused submit: \(number)")
        _ = HTTP.request("DELETE", kioskd.baseURL + "/api/v1/sessions/\(session)")
        let after = try ChildProcess.run(kioskctl, ["filings", "list", "--json"] + args)
        let numbers = ((try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [[String: Any]]) ?? []).compactMap { $0["number"] as? String }
        #expect(numbers == [number])
        let jobs = try ChildProcess.run(kioskctl, ["printer", "jobs", "--json", "--limit", "100"] + args)
        let notices = ((try JSONSerialization.jsonObject(with: Data(jobs.stdout.utf8)) as? [[String: Any]]) ?? [])
            .filter { $0["template"] as? String == "acceptance" }
        #expect(notices.count == 1 && notices.first?["reference"] as? String == number, "\(jobs.stdout)")
        #expect(try ChildProcess.run(kioskctl, ["audit", "verify"] + args).status == 0)
    }
}
