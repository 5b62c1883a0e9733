import Foundation
import FrontDesk
import GRDB
import KioskTestSupport
import Testing
import Workflow

/// The materials store on a real file system and store: content addressing, limits, a full disk
/// (a real 1 MiB tmpfs, and an injected free-space figure), deletion with the session.
@Suite struct MaterialsStoreTests {
    /// Bytes that start like a JPEG, different for each seed.
    static func page(_ seed: UInt64, bytes: Int = 1000) -> [UInt8] {
        var random = SplitMix64(seed: seed)
        return [0xFF, 0xD8, 0xFF, 0xE0] + (0..<max(0, bytes - 4)).map { _ in UInt8.random(in: .min ... .max, using: &random) }
    }

    func openDraft(_ rig: FrontDeskRig, session: String = "s-1") throws -> (Draft, String) {
        let draft = try rig.desk.openDraft(subject: .item(FrontDeskRig.birthRegistration), applicant: FrontDeskRig.zhang, sessionID: session)
        return (draft, try #require(draft.slots.first).requirement.material.code)
    }

    func files(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    @Test func pagesAreStoredOnceByTheirSHA256() async throws {
        let rig = try FrontDeskRig()
        let materials = MaterialsStore(dataDirectory: rig.directory.path)
        let (draft, code) = try openDraft(rig)
        let bytes = Self.page(1)
        let first = try await materials.addPage(bytes, desk: rig.desk, draftID: draft.id, materialCode: code)
        let second = try await materials.addPage(bytes, desk: rig.desk, draftID: draft.id, materialCode: code)
        #expect(first.sha256 == PageFiles.sha256(bytes))
        #expect(first.sha256 == second.sha256)
        #expect(first.pages == 1 && second.pages == 2)
        #expect(files(materials.files.directory) == [first.sha256 + ".jpg"])   // no temporary file left
        #expect(try Data(contentsOf: URL(fileURLWithPath: materials.path(first.sha256))) == Data(bytes))
        #expect(try materials.draftBytes(rig.desk, draftID: draft.id) == 2000)
    }

    @Test func aPageOverThePageLimitOrNotAJPEGIsRefusedAndNothingIsWritten() async throws {
        let rig = try FrontDeskRig()
        let materials = MaterialsStore(dataDirectory: rig.directory.path, limits: .init(maximumPageBytes: 4096, maximumFilingBytes: 1 << 20))
        let (draft, code) = try openDraft(rig)
        await #expect(throws: MaterialsStore.AddError.self) { try await materials.addPage(Self.page(1, bytes: 4097), desk: rig.desk, draftID: draft.id, materialCode: code) }
        do {
            _ = try await materials.addPage(Array("GIF89a....".utf8), desk: rig.desk, draftID: draft.id, materialCode: code)
            Issue.record("a GIF was stored")
        } catch {
            guard case let .materials(m) = error else { Issue.record("\(error)"); return }
            #expect(m.code == .notJPEG)
            #expect(m.chineseMessage == "图像格式不正确，请重新拍摄")
        }
        #expect(files(materials.files.directory).isEmpty)
        #expect(try await materials.addPage(Self.page(1, bytes: 4096), desk: rig.desk, draftID: draft.id, materialCode: code).pages == 1)
    }

    @Test func theFilingLimitCountsEveryPageOfTheDraft() async throws {
        let rig = try FrontDeskRig()
        let materials = MaterialsStore(dataDirectory: rig.directory.path, limits: .init(maximumPageBytes: 1000, maximumFilingBytes: 3000))
        let (draft, code) = try openDraft(rig)
        for seed in 1...3 { _ = try await materials.addPage(Self.page(UInt64(seed)), desk: rig.desk, draftID: draft.id, materialCode: code) }
        do {
            _ = try await materials.addPage(Self.page(4), desk: rig.desk, draftID: draft.id, materialCode: code)
            Issue.record("a fourth page went over the filing limit")
        } catch {
            guard case let .materials(m) = error else { Issue.record("\(error)"); return }
            #expect(m.code == .filingTooLarge)
            #expect(m.message.contains("4000") && m.message.contains("3000"))
        }
        #expect(files(materials.files.directory).count == 3)
        // Another draft has its own budget.
        let (other, otherCode) = try openDraft(rig, session: "s-2")
        #expect(try await materials.addPage(Self.page(4), desk: rig.desk, draftID: other.id, materialCode: otherCode).pages == 1)
    }

    @Test func tooLittleFreeSpaceRefusesTheCaptureBeforeWriting() async throws {
        let rig = try FrontDeskRig()
        // Injected figure: 1,500 bytes free, 1,000 to keep.
        let files = PageFiles(directory: rig.directory.file("pages"), reserveBytes: 1000, freeSpace: { _ in 1500 })
        let materials = MaterialsStore(files: files)
        let (draft, code) = try openDraft(rig)
        do {
            _ = try await materials.addPage(Self.page(1), desk: rig.desk, draftID: draft.id, materialCode: code)
            Issue.record("stored with no room")
        } catch {
            guard case let .materials(m) = error else { Issue.record("\(error)"); return }
            #expect(m.code == .diskFull)
            #expect(m.chineseMessage == "存储空间不足，暂时无法拍照，请联系工作人员")
        }
        #expect(self.files(files.directory).isEmpty)
        #expect(try rig.desk.draft(id: draft.id).slots.allSatisfy { $0.pages.isEmpty })
    }

    /// A real 1 MiB tmpfs (mounting needs root, as `make test` runs): statvfs refuses a page that
    /// does not fit, and a write that runs into ENOSPC (the free-space figure lied) removes its
    /// temporary file and leaves the pages already stored intact.
    @Test func aFullTmpfsRefusesPagesAndCorruptsNothing() async throws {
        let rig = try FrontDeskRig()
        let mountPoint = rig.directory.file("tiny")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try ChildProcess.run(try ChildProcess.which("mount", package: "mount"), ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint])
        try #require(mount.status == 0, "mounting a tmpfs needs root: \(mount.stderr)")
        defer { _ = try? ChildProcess.run("/bin/umount", [mountPoint]) }

        let (draft, code) = try openDraft(rig)
        let honest = MaterialsStore(files: PageFiles(directory: mountPoint + "/pages", reserveBytes: 0),
                                    limits: .init(maximumPageBytes: 2 << 20, maximumFilingBytes: 8 << 20))
        let kept = Self.page(1, bytes: 600_000)
        let stored = try await honest.addPage(kept, desk: rig.desk, draftID: draft.id, materialCode: code)
        // statvfs now says ~400 KiB are left: the next 600 KB page is refused before any byte is written.
        do {
            _ = try await honest.addPage(Self.page(2, bytes: 600_000), desk: rig.desk, draftID: draft.id, materialCode: code)
            Issue.record("a page larger than the free space was stored")
        } catch {
            guard case let .materials(m) = error else { Issue.record("\(error)"); return }
            #expect(m.code == .diskFull)
        }
        // A free-space figure that lies: the write itself hits ENOSPC.
        let blind = MaterialsStore(files: PageFiles(directory: mountPoint + "/pages", reserveBytes: 0, freeSpace: { _ in .max }),
                                   limits: honest.limits)
        do {
            _ = try await blind.addPage(Self.page(3, bytes: 600_000), desk: rig.desk, draftID: draft.id, materialCode: code)
            Issue.record("a write past the end of the disk succeeded")
        } catch {
            guard case let .materials(m) = error else { Issue.record("\(error)"); return }
            #expect(m.code == .diskFull)
            #expect(m.message.contains("No space left on device"))
        }
        #expect(files(mountPoint + "/pages") == [stored.sha256 + ".jpg"])   // no .partial left behind
        #expect(try Data(contentsOf: URL(fileURLWithPath: honest.path(stored.sha256))) == Data(kept))
        #expect(try rig.desk.draft(id: draft.id).slots.flatMap(\.pages) == [stored.sha256])
        // Room again after the page is deleted: capture works.
        _ = try rig.desk.removePage(draftID: draft.id, materialCode: code, sha256: stored.sha256)
        honest.delete([stored.sha256])
        #expect(try await honest.addPage(Self.page(2, bytes: 600_000), desk: rig.desk, draftID: draft.id, materialCode: code).pages == 1)
    }

    @Test func endingASessionDeletesItsPagesButNotOnesAnotherDraftHolds() async throws {
        let rig = try FrontDeskRig()
        let materials = MaterialsStore(dataDirectory: rig.directory.path)
        let (mine, code) = try openDraft(rig, session: "s-1")
        let (theirs, theirCode) = try openDraft(rig, session: "s-2")
        let onlyMine = try await materials.addPage(Self.page(1), desk: rig.desk, draftID: mine.id, materialCode: code).sha256
        let shared = try await materials.addPage(Self.page(2), desk: rig.desk, draftID: mine.id, materialCode: code).sha256
        _ = try await materials.addPage(Self.page(2), desk: rig.desk, draftID: theirs.id, materialCode: theirCode)

        #expect(try materials.abandon(sessionID: "s-1", desk: rig.desk) == [onlyMine])
        #expect(files(materials.files.directory) == [shared + ".jpg"])
        #expect(try rig.desk.draft(id: mine.id).state == "abandoned")
        #expect(try materials.abandon(sessionID: "s-2", desk: rig.desk) == [shared])
        #expect(files(materials.files.directory).isEmpty)
    }

    @Test func aPageTheDeskRefusesIsNotLeftOnDisk() async throws {
        let rig = try FrontDeskRig()
        let materials = MaterialsStore(dataDirectory: rig.directory.path)
        let (draft, _) = try openDraft(rig)
        do {
            _ = try await materials.addPage(Self.page(1), desk: rig.desk, draftID: draft.id, materialCode: "M99")
            Issue.record("a page for an unknown material was linked")
        } catch {
            guard case .desk = error else { Issue.record("\(error)"); return }
        }
        #expect(files(materials.files.directory).isEmpty)
    }
}
