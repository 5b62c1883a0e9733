import DeviceKit
import Foundation
import KioskConfig
import KioskTestSupport
import Logging
import Slips
import Store
import Testing
@testable import Printing

/// A `driver: simulated` printer goes through the same job ledger as a CUPS one: slips print (into
/// memory), paper-out holds or stops them, a restock prints the waiting slip exactly once.
@Suite struct SimulatedPrinterTests {
    let context = SlipContext(hallName: "滕州市政务服务中心", kioskId: "TZ01", consultationPhone: "0632-12345",
                              timeZone: TimeZone(identifier: "Asia/Shanghai")!)

    final class Rig {
        let data: TemporaryDirectory
        let store: KioskStore
        let spooler = SimulatedSpooler(name: "receipt", firstJobId: 500)
        let printer: SlipPrinter

        init() throws {
            data = try TemporaryDirectory("store")
            store = try KioskStore.open(directory: data.path)
            printer = try SlipPrinter(binding: DeviceBinding(id: "receipt", kind: .receiptPrinter, driver: .simulated, profile: "generic-80mm"),
                                      profilesDirectory: RepoPaths.devices, store: store, kioskId: "TZ01", logger: Logger(label: "test"),
                                      spooler: spooler)
        }

        deinit { data.remove() }
    }

    func ticket(_ number: String) -> SlipDocument {
        QueueTicketSlip(ticket: number, categoryName: "综合受理", waiting: 3, issuedAt: Date(timeIntervalSince1970: 1_795_334_400))
            .document(context: context)
    }

    @Test func aSlipPrintsTheBytesTheEncoderMade() async throws {
        let rig = try Rig()
        let outcome = try await rig.printer.print(ticket("A001"), reference: "A001", waitUpTo: .seconds(2))
        #expect(outcome.state == .completed)
        #expect(outcome.citizenMessage == nil)
        let job = try #require(try await rig.store.printJob(id: outcome.jobId))
        #expect(job.cupsJobId == 500)
        let printed = rig.spooler.printed
        #expect(printed.count == 1)
        #expect(printed.documents == [job.document])
        let lines = try EscPosReader(job.document).textLines.map { String(decoding: $0, as: UTF8.self) }
        #expect(lines.contains { $0.contains("A001") })
        #expect(try await rig.printer.counters().totalSlips == 1)
    }

    @Test func paperOutHoldsNewSlipsAndARestockPrintsThemOnce() async throws {
        let rig = try Rig()
        try await #require(await rig.printer.paperSensor()).simulatePaper(.out)
        let status = await rig.printer.checkStatus()
        #expect(status.paper == .out)
        #expect(status.status == .userError)
        let held = try await rig.printer.print(ticket("A002"), reference: "A002")
        #expect(held.state == .held)
        #expect(held.citizenMessage?.contains("请到服务窗口领取") == true)
        #expect(rig.spooler.printed.count == 0)

        try await #require(await rig.printer.paperSensor()).simulatePaper(.ok)
        let report = try await rig.printer.restock()
        #expect(report.reprinted == [held.jobId])
        #expect(try await rig.store.printJob(id: held.jobId)?.state == .printing || rig.spooler.printed.count == 1)
        await rig.printer.followActiveJobs()
        #expect(try await rig.store.printJob(id: held.jobId)?.state == .completed)
        // A second restock and more rounds print nothing again.
        _ = try await rig.printer.restock()
        await rig.printer.followActiveJobs()
        #expect(rig.spooler.printed.count == 1)
    }

    @Test func paperRunningOutMidJobStopsTheQueueUntilARestock() async throws {
        let rig = try Rig()
        // The sensor says nothing until the printer tries (a roll that ends during the job).
        let job = try await rig.spooler.createJob(name: "slip")
        try await rig.spooler.simulatePaper(.out)
        try await rig.spooler.sendDocument(jobId: job, document: [0x1B, 0x40], name: "slip")
        #expect(try await rig.spooler.job(job)?.state == CUPSJobState.pending)
        // Paper back in does not restart a stopped queue…
        try await rig.spooler.simulatePaper(.ok)
        let binding = rig.printer.binding
        #expect(await rig.spooler.queueStatus(of: binding).status == .offline)
        #expect(try await rig.spooler.job(job)?.state == CUPSJobState.pending)
        // …a restock does, and the job prints once.
        try await rig.spooler.resume()
        #expect(try await rig.spooler.job(job)?.state == CUPSJobState.completed)
        try await rig.spooler.resume()
        #expect(rig.spooler.printed.count == 1)
        #expect(await rig.spooler.queueStatus(of: binding).status == .online)
    }

    @Test func aJobTheSimulatorForgotIsReportedLostNotPrinted() async throws {
        let rig = try Rig()
        // A job the previous run handed over (CUPS id recorded, state printing) …
        let job = try await rig.store.addPrintJob(printerId: "receipt", template: "ticket", reference: "A003", document: [0x1B, 0x40],
                                            paperMillimetres: 40, cuts: 1, state: .queued, now: Date())
        _ = try await rig.store.transitionPrintJob(job.id, from: [.queued], to: .printing, cupsJobId: 777, now: Date())
        // … is unknown to the new run's simulator: failed as lost, kept for a reprint, never assumed printed.
        await rig.printer.followActiveJobs()
        let after = try #require(try await rig.store.printJob(id: job.id))
        #expect(after.state == .failed)
        #expect(after.reason?.contains("no longer knows job 777") == true)
        #expect(rig.spooler.printed.count == 0)
        await #expect(throws: CUPSProbeError.self) {
            try await rig.spooler.sendDocument(jobId: 777, document: [0x0A], name: "x")
        }
        let reprinted = try await rig.printer.reprint(jobId: job.id)
        #expect(reprinted.state == .printing)
        await rig.printer.followActiveJobs()
        #expect(try await rig.store.printJob(id: job.id)?.state == .completed)
        #expect(rig.spooler.printed.count == 1)
    }
}
