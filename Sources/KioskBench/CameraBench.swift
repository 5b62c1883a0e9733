import Foundation
import FrontDesk
import KioskConfig
import PageImaging
import Store
import Workflow

/// `kiosk-bench --only camera`: the page quality check of a 5 MP (2592×1944) JPEG (target ≤ 30 ms
/// median) and storing a page in the materials store (target ≤ 5 ms plus the fsync), the store
/// figure split into the whole call and the fsync-free part (SHA-256, limit checks, the draft row).
enum CameraBench {
    static func run(configDirectory: String, scratch: String) async throws {
        // A generated page of a 5 MP document camera, and the same page blurred (the refused path).
        let sharp = try SyntheticPage(width: 2592, height: 1944, seed: 1).jpeg()
        let blurred = try SyntheticPage(width: 2592, height: 1944, seed: 1, blurRadius: 6).jpeg()
        print("camera: 2592x1944 page, \(sharp.count) bytes (blurred: \(blurred.count) bytes)")
        _ = PageQualityCheck.check(jpeg: sharp)  // warm-up
        report("quality check 2592x1944 JPEG (sharp, passes)", measure(50) { precondition(PageQualityCheck.check(jpeg: sharp).passed) })
        report("quality check 2592x1944 JPEG (blurred, refused)", measure(50) {
            precondition(PageQualityCheck.check(jpeg: blurred).problem == .blurred)
        })
        report("  of which: decode at 1/4 to grayscale", try measure(50) { _ = try JPEGDecoder.decodeGray(sharp, minimumWidth: 640) })

        let configuration = try ConfigLoader.load(directory: configDirectory)
        let store = try KioskStore.open(directory: "\(scratch)/camera")
        try store.claimIdentity(kioskID: configuration.settings.kiosk.id, regionCode: configuration.settings.kiosk.regionCode, now: SystemClock().now())
        let desk = FrontDesk(configuration: configuration, store: store, clock: ManualClock(Date(timeIntervalSince1970: 1_795_399_200)))
        let materials = MaterialsStore(dataDirectory: "\(scratch)/camera",
                                       limits: .init(maximumPageBytes: 10 << 20, maximumFilingBytes: 1 << 40))
        let draft = try await desk.openDraft(subject: .item("11370481004396815B3707104001000001"),
                                       applicant: Applicant(name: "测试", idNumber: "11010519491231002X", verifiedByCard: true))
        // Distinct pages (a new SHA-256 each time): the same picture with its own JPEG comment.
        var n = 0
        func nextPage() async -> [UInt8] {
            n += 1
            return JPEGComment.inserting("bench page \(n)", into: sharp)
        }
        await report("store a page (SHA-256, file + fsync + rename + dir fsync, row)", try measure(100) {
            _ = try await materials.addPage(await nextPage(), desk: desk, draftID: draft.id, materialCode: "M03")
        })
        // The same without the file (content already stored): SHA-256, limits and the draft row only.
        let stored = await nextPage()
        _ = try await materials.addPage(stored, desk: desk, draftID: draft.id, materialCode: "M03")
        await report("  a page already stored (SHA-256 + limits + row)", try measure(100) {
            _ = try await materials.addPage(stored, desk: desk, draftID: draft.id, materialCode: "M03")
        })
        let files = PageFiles(directory: "\(scratch)/camera/bare")
        report("  the file alone (write + fsync + rename + dir fsync)", try await measure(100) { _ = try await files.write(await nextPage()) })
        report("  SHA-256 of the page", measure(100) { _ = PageFiles.sha256(sharp) })
        // The same file steps without the two fsyncs, to separate the disk's flush from our work.
        let unsynced = "\(scratch)/camera/unsynced"
        try FileManager.default.createDirectory(atPath: unsynced, withIntermediateDirectories: true)
        await report("  the file without fsync (write + rename)", measure(100) {
            let page = await nextPage()
            let target = "\(unsynced)/\(n).jpg"
            let fd = open(target + ".partial", O_WRONLY | O_CREAT | O_EXCL, 0o640)
            _ = page.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
            rename(target + ".partial", target)
        })
    }
}
