import Foundation
import KioskTestSupport
import Testing

/// `kioskctl backup` while a real kioskd serves, then `kioskctl restore` into a fresh data
/// directory: the filing made before the backup is back (store, audit chain, page files), the one
/// made after is not, and another kiosk's configuration refuses the backup.
@Suite struct BackupRestoreTests {
    struct Run: Sendable {
        var before = ""
        var after = ""
        var backup: ProcessResult?
        var manifest = Data()
        var backupPages: [String] = []
        var restore: ProcessResult?
        var list: ProcessResult?
        var audit: ProcessResult?
        var restoredPages: [String] = []
        var again: ProcessResult?
        var otherKiosk: ProcessResult?
        var otherDataAfter: [String] = []
        var notABackup: ProcessResult?
        var restartedExit: Int?
    }

    @Test func backupWhileKioskdServesAndRestoreIntoAFreshDirectory() async throws {
        let fixture = try ConfigFixture()
        let other = try ConfigFixture()
        let backup = try TemporaryDirectory("backup")
        let fresh = try TemporaryDirectory("restored")
        let otherData = try TemporaryDirectory("other-kiosk")
        defer { fixture.remove(); other.remove(); backup.remove(); fresh.remove(); otherData.remove() }
        try fixture.bindPrintersToSimulator()
        try other.bindPrintersToSimulator()
        _ = try other.replaceFirst("  id: TZ01", with: "  id: TZ02", in: "kiosk.yaml")
        let kioskctl = try RepoPaths.binary("kioskctl")
        let directory = backup.path + "/2026-12-07"

        let run = try await blocking {
            var run = Run()
            let kioskd = try KioskdProcess(config: fixture.directory)
            try kioskd.waitFor("/api/v1/health")
            run.before = try CitizenWorkload.journey(kioskd.baseURL, citizen: 1).number
            // While kioskd runs.
            run.backup = try ChildProcess.run(kioskctl, ["backup", directory, "--data", kioskd.data.path, "--config", fixture.directory])
            run.manifest = FileManager.default.contents(atPath: directory + "/manifest.json") ?? Data()
            run.backupPages = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/pages")) ?? []
            run.after = try CitizenWorkload.journey(kioskd.baseURL, citizen: 2).number
            _ = try kioskd.terminate()

            run.restore = try ChildProcess.run(kioskctl, ["restore", directory, "--data", fresh.path, "--config", fixture.directory])
            run.list = try ChildProcess.run(kioskctl, ["filings", "list", "--json", "--data", fresh.path, "--config", fixture.directory])
            run.audit = try ChildProcess.run(kioskctl, ["audit", "verify", "--data", fresh.path, "--config", fixture.directory])
            run.restoredPages = (try? FileManager.default.contentsOfDirectory(atPath: fresh.path + "/pages")) ?? []
            run.again = try ChildProcess.run(kioskctl, ["restore", directory, "--data", fresh.path, "--config", fixture.directory])
            run.otherKiosk = try ChildProcess.run(kioskctl, ["restore", directory, "--data", otherData.path, "--config", other.directory])
            run.otherDataAfter = (try? FileManager.default.contentsOfDirectory(atPath: otherData.path)) ?? []
            run.notABackup = try ChildProcess.run(kioskctl, ["restore", fresh.path, "--data", otherData.path, "--config", fixture.directory])

            // kioskd runs on the restored store.
            let restarted = try KioskdProcess(config: fixture.directory, dataDirectory: fresh)
            try restarted.waitFor("/api/v1/health")
            _ = try restarted.terminate()
            run.restartedExit = Int(restarted.process.terminationStatus)
            return run
        }

        #expect(!run.before.isEmpty && !run.after.isEmpty && run.before != run.after)
        let made = try #require(run.backup)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("backup of kiosk TZ01"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: run.manifest) as? [String: Any])
        #expect(manifest["kioskID"] as? String == "TZ01")
        #expect((manifest["migrations"] as? [String])?.contains("v10: store heartbeat") == true)
        #expect(manifest["pageFiles"] as? Int == run.backupPages.count)
        #expect(!run.backupPages.isEmpty)

        let restored = try #require(run.restore)
        #expect(restored.status == 0, "\(restored.stderr)")
        let list = try #require(run.list)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains(run.before), "the filing made before the backup is back")
        #expect(!list.stdout.contains(run.after), "the filing made after the backup is not in it")
        #expect(run.audit?.status == 0, "\(run.audit?.stdout ?? "") \(run.audit?.stderr ?? "")")
        #expect(Set(run.restoredPages) == Set(run.backupPages))

        // Not over an existing store without --replace; never another kiosk's backup; never a non-backup.
        #expect(run.again?.status == 73, "\(run.again?.stderr ?? "")")
        let refused = try #require(run.otherKiosk)
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(refused.stderr.contains("belongs to kiosk TZ01") && refused.stderr.contains("this is kiosk TZ02"), "\(refused.stderr)")
        #expect(run.otherDataAfter.isEmpty, "a refused restore wrote \(run.otherDataAfter)")
        #expect(run.notABackup?.status == 65)
        #expect(run.restartedExit == 0)
    }
}
