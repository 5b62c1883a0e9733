import BlockingWork
import DeviceKit
import Foundation
import KioskConfig
import KioskTestSupport
import Logging
import Slips
import Store
import Synchronization
import Testing
import Workflow
@testable import Printing

/// The duplicate notice the crash-point run once saw under heavy load (one filing's notice in two
/// CUPS jobs), reproduced deterministically: a Send-Document whose bytes left the kiosk but which
/// cupsd had not processed yet when the recovery asked about the job — CUPS still said
/// `job-incoming` — and which cupsd processed (and printed) before the recovery's cancel. The
/// recovery used to ignore the refused cancel and send the slip again (after a kill), or mark the
/// job failed without its CUPS id so the next restock reprinted it (after a timed-out answer).
@Suite struct InFlightDocumentTests {
    /// A spooler (the in-process printer, which answers as CUPS does) between which and the kiosk a
    /// document is in flight: `sendDocument` hands the bytes over but the answer never comes back
    /// (`.interrupted`, as a timeout or a kill); cupsd "reads" them just before the next cancel.
    final class InFlight: PrintSpooler {
        let inner = SimulatedSpooler(name: "receipt", firstJobId: 100)
        private let pending = Mutex<[(id: Int32, document: [UInt8], name: String)]>([])
        var destination: String { inner.destination }

        func createJob(name: String) async throws(CUPSProbeError) -> Int32 { try await inner.createJob(name: name) }
        func sendDocument(jobId: Int32, document: [UInt8], name: String) async throws(CUPSProbeError) {
            pending.withLock { $0.append((jobId, document, name)) }
            throw .interrupted(.cancelled)
        }
        /// The document arrives at cupsd, which prints it at once.
        func deliver() async throws(CUPSProbeError) {
            let items = pending.withLock { p -> [(id: Int32, document: [UInt8], name: String)] in
                let all = p
                p.removeAll()
                return all
            }
            for item in items { try await inner.sendDocument(jobId: item.id, document: item.document, name: item.name) }
        }
        func job(_ id: Int32) async throws(CUPSProbeError) -> CUPSJobState? { try await inner.job(id) }
        func unfinishedJobs(named name: String) async throws(CUPSProbeError) -> [CUPSJobState] { try await inner.unfinishedJobs(named: name) }
        func cancel(_ id: Int32) async throws(CUPSProbeError) {
            try await deliver()   // the interleaving: the buffered Send-Document is processed first
            try await inner.cancel(id)
        }
        func resume() async throws(CUPSProbeError) { try await inner.resume() }
        func queueStatus(of binding: DeviceBinding) async -> DeviceStatusReport { await inner.queueStatus(of: binding) }
    }

    let binding = DeviceBinding(id: "receipt", kind: .receiptPrinter, driver: .simulated, profile: "generic-58mm")
    let slip = SlipDocument(kind: "acceptance", elements: [.line("受理通知书 370481-TZ01-20261207-00001", TextStyle(bold: true))])

    func printer(_ spooler: InFlight, store: KioskStore) throws -> SlipPrinter {
        try SlipPrinter(binding: binding, profilesDirectory: RepoPaths.devices, store: store, kioskId: "TZ01",
                        logger: Logger(label: "test"), spooler: spooler, clock: ManualClock(Date(timeIntervalSince1970: 1_796_000_000)))
    }

    @Test func aTimedOutSendWhoseDocumentArrivesLateIsFollowedNotReprintedAtRestock() async throws {
        let data = try TemporaryDirectory("inflight")
        defer { data.remove() }
        let store = try KioskStore.open(directory: data.path)
        let spooler = InFlight()
        let printer = try printer(spooler, store: store)
        let outcome = try await printer.print(slip)
        // The document's answer was lost; the recovery found `job-incoming`, its cancel was refused
        // (the job had printed meanwhile): the job stays with CUPS' id, to be asked about again.
        let kept = try #require(try await store.printJob(id: outcome.jobId))
        #expect(kept.state == .submitting)
        #expect(kept.cupsJobId != nil)
        await printer.followActiveJobs()
        #expect(try await store.printJob(id: outcome.jobId)?.state == .completed)
        let restock = try await printer.restock()
        #expect(restock.reprinted.isEmpty)
        #expect(spooler.inner.printed.count == 1, "the notice printed once, not again at the restock")
    }

    @Test func aKillWithTheDocumentInCupsdsSocketIsFollowedNotSentAgain() async throws {
        let data = try TemporaryDirectory("inflight-kill")
        defer { data.remove() }
        let store = try KioskStore.open(directory: data.path)
        let spooler = InFlight()
        // The killed kiosk: the job recorded with its CUPS id, the document's bytes sent, no answer.
        let job = try await store.addPrintJob(printerId: "receipt", template: "acceptance", reference: "370481-TZ01-20261207-00001",
                                              document: [0x1B, 0x40, 0x41, 0x0A], paperMillimetres: 10, cuts: 0, state: .queued, now: Date())
        _ = try await store.transitionPrintJob(job.id, from: [.queued], to: .submitting, countAttempt: true, now: Date())
        let cupsId = try await spooler.createJob(name: job.cupsJobName(kioskId: "TZ01"))
        _ = try await store.transitionPrintJob(job.id, from: [.submitting], to: .submitting, cupsJobId: cupsId, now: Date())
        await #expect(throws: CUPSProbeError.self) { try await spooler.sendDocument(jobId: cupsId, document: job.document, name: "a") }

        // The restarted kiosk recovers it.
        let restarted = try printer(spooler, store: store)
        await restarted.followActiveJobs()
        await restarted.followActiveJobs()
        #expect(try await store.printJob(id: job.id)?.state == .completed)
        #expect(try await store.printJob(id: job.id)?.cupsJobId == cupsId, "the first CUPS job is followed, not replaced")
        #expect(spooler.inner.printed.count == 1, "one CUPS job printed the notice")
    }

    @Test func aJobCanceledBeforeItsDocumentArrivedIsStillSentOnce() async throws {
        let data = try TemporaryDirectory("inflight-none")
        defer { data.remove() }
        let store = try KioskStore.open(directory: data.path)
        let spooler = InFlight()
        // Died after recording the id, before any byte of the document: the cancel is accepted.
        let job = try await store.addPrintJob(printerId: "receipt", template: "acceptance", reference: nil,
                                              document: [0x1B, 0x40, 0x42, 0x0A], paperMillimetres: 10, cuts: 0, state: .queued, now: Date())
        _ = try await store.transitionPrintJob(job.id, from: [.queued], to: .submitting, countAttempt: true, now: Date())
        let cupsId = try await spooler.inner.createJob(name: job.cupsJobName(kioskId: "TZ01"))
        _ = try await store.transitionPrintJob(job.id, from: [.submitting], to: .submitting, cupsJobId: cupsId, now: Date())
        let restarted = try SlipPrinter(binding: binding, profilesDirectory: RepoPaths.devices, store: store, kioskId: "TZ01",
                                        logger: Logger(label: "test"), spooler: spooler.inner,
                                        clock: ManualClock(Date(timeIntervalSince1970: 1_796_000_000)))
        await restarted.followActiveJobs()   // canceled in CUPS (accepted), sent afresh
        await restarted.followActiveJobs()   // the new CUPS job completed
        #expect(try await store.printJob(id: job.id)?.state == .completed)
        #expect(try await store.printJob(id: job.id)?.cupsJobId != cupsId)
        #expect(try await spooler.inner.job(cupsId)?.state == CUPSJobState.canceled)
        #expect(spooler.inner.printed.count == 1)
    }
}
