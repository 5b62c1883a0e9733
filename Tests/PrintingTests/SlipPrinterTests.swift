import DeviceKit
import Foundation
import KioskConfig
import KioskTestSupport
import Logging
import Slips
import Store
import Testing
@testable import Printing

/// Slips printed through the real libcups to a real private cupsd (loopback), whose capture backend
/// writes each job to a file and simulates the paper sensor.
@Suite(.serialized) struct SlipPrinterTests {
    let context = SlipContext(hallName: "滕州市政务服务中心", kioskId: "TZ01", consultationPhone: "0632-12345",
                              timeZone: TimeZone(identifier: "Asia/Shanghai")!)

    func binding(_ cups: PrivateCUPS, queue: String = "receipt", profile: String = "generic-58mm") -> DeviceBinding {
        DeviceBinding(id: queue, kind: .receiptPrinter, driver: .cups, profile: profile, queue: queue, server: cups.server)
    }

    func printer(_ binding: DeviceBinding, store: KioskStore) throws -> SlipPrinter {
        try SlipPrinter(binding: binding, profilesDirectory: RepoPaths.devices, store: store, kioskId: "TZ01",
                        logger: Logger(label: "test"))
    }

    /// A private cupsd with a `receipt` queue, a fresh store, and a 58 mm printer on both.
    final class Rig {
        let cups: PrivateCUPS
        let data: TemporaryDirectory
        let store: KioskStore
        let printer: SlipPrinter

        init(_ suite: SlipPrinterTests) throws {
            cups = try PrivateCUPS(queues: ["receipt"])
            data = try TemporaryDirectory("store")
            store = try KioskStore.open(directory: data.path)
            printer = try suite.printer(suite.binding(cups), store: store)
        }

        func stop() {
            cups.stop()
            data.remove()
        }
    }

    /// One fixed time: the slip prints it to the minute, and the expected bytes are rendered again later.
    static let acceptedAt = Date(timeIntervalSince1970: 1_795_334_400)

    func acceptanceSlip(_ url: String = "https://zwfw.tengzhou.gov.cn/kiosk/p/Q7mZ2xK9aB3d") -> SlipDocument {
        AcceptanceNotice(filingNumber: "370481-TZ01-20261122-00017", itemName: "城乡居民基本养老保险参保登记",
                         applicantName: "张三", applicantIDNumber: "11010519491231002X", acceptedAt: Self.acceptedAt,
                         department: "滕州市社会保险事业中心", promisedDeadline: "2026-11-27", progressURL: url).document(context: context)
    }

    /// Waits until the queue's capture folder holds `count` jobs (CUPS runs the backend asynchronously).
    func waitForJobs(_ cups: PrivateCUPS, queue: String = "receipt", count: Int) async throws -> [Data] {
        for _ in 0..<200 where try cups.jobs(queue: queue).count < count { try await Task.sleep(for: .milliseconds(25)) }
        try await Task.sleep(for: .milliseconds(300))  // and no more arrive
        return try cups.jobs(queue: queue)
    }

    func waitForState(_ printer: SlipPrinter, job: Int64, store: KioskStore, _ state: PrintJobState) async throws -> PrintJob? {
        for _ in 0..<200 {
            await printer.followActiveJobs()
            if let job = try await store.printJob(id: job), job.state == state { return job }
            try await Task.sleep(for: .milliseconds(25))
        }
        return try await store.printJob(id: job)
    }

    @Test func aSlipArrivesByteExactAndItsQRScansFromThePrintedBytes() async throws {
        let rig = try Rig(self)
        defer { rig.stop() }
        let (cups, store, printer) = (rig.cups, rig.store, rig.printer)

        let outcome = try await printer.print(acceptanceSlip(), reference: "370481-TZ01-20261122-00017", waitUpTo: .seconds(10))
        #expect(outcome.state == .completed)
        #expect(outcome.citizenMessage == nil)
        let job = try #require(try await store.printJob(id: outcome.jobId))
        let profile = try PrinterProfile.load(name: "generic-58mm", profilesDirectory: RepoPaths.devices)
        let expected = try EscPosEncoder().encode(SlipLayout(acceptanceSlip(), profile: profile))
        let printed = try await waitForJobs(cups, count: 1)
        #expect(printed == [Data(expected)])
        #expect(job.document == expected && job.completedAt != nil && job.cupsJobId != nil)

        try #require(printed.count == 1)
        let reader = try EscPosReader([UInt8](printed[0]))
        let decoded = try reader.images.flatMap { try QRDecoder.decode(imageBytes: $0.pbm) }
        #expect(decoded == ["https://zwfw.tengzhou.gov.cn/kiosk/p/Q7mZ2xK9aB3d"])

        let counters = try await store.printerCounters(printerId: "receipt")
        #expect(counters.totalSlips == 1 && counters.totalCuts == 1 && counters.totalPaperMillimetres > 50)
    }

    @Test func paperOutStopsTheQueueHoldsNewSlipsAndRestockPrintsEachExactlyOnce() async throws {
        let rig = try Rig(self)
        defer { rig.stop() }
        let (cups, store, printer) = (rig.cups, rig.store, rig.printer)

        try cups.setPaper("out", queue: "receipt")
        // The printer runs out during the first slip: CUPS stops the queue and keeps the job.
        let first = try await printer.print(acceptanceSlip("https://x.cn/p/first"), waitUpTo: .seconds(10))
        #expect(first.state == .waitingForPaper)
        #expect(first.citizenMessage?.contains("请到服务窗口领取") == true)
        let status = await printer.checkStatus()
        #expect(status.paper == .out && status.status == .userError && status.action == .clear)
        #expect(status.detail?.contains("media-empty") == true)

        // A known paper-out blocks the next slip instead of queueing it silently.
        let second = try await printer.print(acceptanceSlip("https://x.cn/p/second"))
        #expect(second.state == .held)
        #expect(second.reason?.contains("out of paper") == true)
        #expect(try cups.jobs(queue: "receipt").isEmpty)

        try cups.setPaper("ok", queue: "receipt")
        let report = try await printer.restock()
        #expect(report.resumed == [first.jobId])
        #expect(report.reprinted == [second.jobId])
        _ = try await waitForState(printer, job: first.jobId, store: store, .completed)
        _ = try await waitForState(printer, job: second.jobId, store: store, .completed)
        let printed = try await waitForJobs(cups, count: 2)
        #expect(printed.count == 2, "each slip printed exactly once")
        let payloads = try printed.flatMap { try EscPosReader([UInt8]($0)).images.flatMap { try QRDecoder.decode(imageBytes: $0.pbm) } }
        #expect(payloads.sorted() == ["https://x.cn/p/first", "https://x.cn/p/second"])
        #expect(await printer.checkStatus().isHealthy)

        // A second restock prints nothing again.
        let again = try await printer.restock()
        #expect(again.resumed.isEmpty && again.reprinted.isEmpty)
        #expect(try await waitForJobs(cups, count: 3).count == 2)
        let counters = try await store.printerCounters(printerId: "receipt")
        #expect(counters.rollSlips == 0 && counters.totalSlips == 2 && counters.restocks == 2)
        #expect(counters.failures["paper-out"] == 2)
    }

    @Test func mediaLowIsPaperLowAndStillPrints() async throws {
        let rig = try Rig(self)
        defer { rig.stop() }
        let (cups, store, printer) = (rig.cups, rig.store, rig.printer)
        try cups.setPaper("low", queue: "receipt")
        let outcome = try await printer.print(acceptanceSlip(), waitUpTo: .seconds(10))
        #expect(outcome.state == .completed)
        var status = await printer.checkStatus()
        for _ in 0..<40 where status.paper != .low {
            try await Task.sleep(for: .milliseconds(50))
            status = await printer.checkStatus()
        }
        #expect(status.paper == .low && status.isHealthy)
    }

    @Test func noCupsdMeansOfflineWithAClearErrorAndTheSlipIsKept() async throws {
        let data = try TemporaryDirectory("store")
        defer { data.remove() }
        let store = try KioskStore.open(directory: data.path)
        let port = try ChildProcess.freePort()
        let b = DeviceBinding(id: "receipt", kind: .receiptPrinter, driver: .cups, profile: "generic-80mm", queue: "receipt",
                              server: "127.0.0.1:\(port)")
        let printer = try printer(b, store: store)
        let status = await printer.checkStatus()
        #expect(status.status == .offline)
        #expect(status.detail?.contains("not reachable") == true)
        let outcome = try await printer.print(acceptanceSlip())
        #expect(outcome.state == .held)
        #expect(try await store.printJob(id: outcome.jobId)?.document.isEmpty == false)
    }

    @Test func aRestartWhileTheJobWaitsForPaperDoesNotSendItAgain() async throws {
        let cups = try PrivateCUPS(queues: ["receipt"])
        defer { cups.stop() }
        let data = try TemporaryDirectory("store")
        defer { data.remove() }
        try cups.setPaper("out", queue: "receipt")
        let jobId: Int64
        do {
            let store = try KioskStore.open(directory: data.path)
            let outcome = try await printer(binding(cups), store: store).print(acceptanceSlip(), waitUpTo: .seconds(10))
            #expect(outcome.state == .waitingForPaper)
            jobId = outcome.jobId
        }
        // "Restart": a new store connection and a new printer, as kioskd builds them at start-up.
        let store = try KioskStore.open(directory: data.path)
        let restarted = try printer(binding(cups), store: store)
        for _ in 0..<5 { await restarted.followActiveJobs() }
        #expect(try await store.printJob(id: jobId)?.state == .waitingForPaper)
        try cups.setPaper("ok", queue: "receipt")
        _ = try await restarted.restock()
        #expect(try await waitForState(restarted, job: jobId, store: store, .completed)?.state == .completed)
        #expect(try await waitForJobs(cups, count: 2).count == 1)
    }

    /// The three places a crash can interrupt a send, each recovered without a duplicate or a loss.
    @Test func aCrashMidSubmissionIsRecoveredWithoutDuplicateOrLoss() async throws {
        let cups = try PrivateCUPS(queues: ["receipt"])
        defer { cups.stop() }
        let data = try TemporaryDirectory("store")
        defer { data.remove() }
        let store = try KioskStore.open(directory: data.path)
        let b = binding(cups)
        let server = CUPSProbe.server(for: b)
        func job(_ text: String) async throws -> PrintJob {
            let job = try await store.addPrintJob(printerId: "receipt", template: "test", reference: nil,
                                            document: [0x1B, 0x40] + Array(text.utf8) + [0x0A], paperMillimetres: 10, cuts: 0, state: .queued, now: Date())
            return try #require(try await store.transitionPrintJob(job.id, from: [.queued], to: .submitting, countAttempt: true, now: Date()))
        }
        // 1. Died after Create-Job, before recording its id: CUPS has a job without a document.
        let a = try await job("a: created, id not recorded")
        _ = try CUPSJobs.createJob(queue: "receipt", server: server, jobName: a.cupsJobName(kioskId: "TZ01"))
        // 2. Died after recording the id, before Send-Document.
        let b2 = try await job("b: id recorded, no document")
        let bId = try CUPSJobs.createJob(queue: "receipt", server: server, jobName: b2.cupsJobName(kioskId: "TZ01"))
        try await store.transitionPrintJob(b2.id, from: [.submitting], to: .submitting, cupsJobId: bId, now: Date())
        // 3. Died after Send-Document, before recording `printing`.
        let c = try await job("c: document sent")
        let cId = try CUPSJobs.createJob(queue: "receipt", server: server, jobName: c.cupsJobName(kioskId: "TZ01"))
        try await store.transitionPrintJob(c.id, from: [.submitting], to: .submitting, cupsJobId: cId, now: Date())
        try CUPSJobs.sendDocument(jobId: cId, queue: "receipt", server: server, document: c.document, name: "c")

        let restarted = try printer(b, store: store)
        for j in [a, b2, c] {
            #expect(try await waitForState(restarted, job: j.id, store: store, .completed)?.state == .completed)
        }
        #expect(try await store.printJob(id: c.id)?.cupsJobId == cId, "the sent job is followed, not sent again")
        let printed = try await waitForJobs(cups, count: 3)
        #expect(printed.map { String(decoding: $0.dropFirst(2).dropLast(), as: UTF8.self) }.sorted()
                == ["a: created, id not recorded", "b: id recorded, no document", "c: document sent"])
    }

    @Test func aPrintedJobIsNeverPrintedAgainExceptAsAMarkedDuplicate() async throws {
        let rig = try Rig(self)
        defer { rig.stop() }
        let (cups, store, printer) = (rig.cups, rig.store, rig.printer)
        let outcome = try await printer.print(acceptanceSlip(), waitUpTo: .seconds(10))
        #expect(outcome.state == .completed)
        await #expect(throws: PrintError.self) { _ = try await printer.reprint(jobId: outcome.jobId) }
        let copy = try await printer.reprint(jobId: outcome.jobId, duplicate: true)
        #expect(copy.jobId != outcome.jobId)
        #expect(try await store.printJob(id: copy.jobId)?.reprintOf == outcome.jobId)
        _ = try await waitForState(printer, job: copy.jobId, store: store, .completed)
        let printed = try await waitForJobs(cups, count: 2)
        try #require(printed.count == 2)
        let mark = "【补打】".data(using: String.Encoding(rawValue: 0x8000_0632))!
        #expect(printed[1].range(of: mark) != nil && printed[0].range(of: mark) == nil)
    }
}
