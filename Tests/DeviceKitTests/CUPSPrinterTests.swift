import Foundation
import KioskConfig
import KioskTestSupport
import Testing
@testable import DeviceKit

/// The CUPS printer's status, read through the real libcups from a real private cupsd whose
/// capture backend simulates the paper sensor.
@Suite(.serialized) struct CUPSPrinterTests {
    func printer(_ cups: PrivateCUPS, queue: String) -> CUPSPrinter {
        CUPSPrinter(binding: DeviceBinding(id: queue, kind: .receiptPrinter, driver: .cups, queue: queue, server: cups.server))
    }

    /// Polls the printer until `accept` holds (CUPS changes state asynchronously as the backend runs).
    func waitForStatus(_ printer: CUPSPrinter, _ accept: (DeviceStatusReport) -> Bool) async throws -> DeviceStatusReport {
        var last = await printer.checkStatus()
        for _ in 0..<200 where !accept(last) {
            try await Task.sleep(for: .milliseconds(50))
            last = await printer.checkStatus()
        }
        return last
    }

    @Test func anIdleQueueIsOnlineWithPaperUnknown() async throws {
        let cups = try PrivateCUPS(queues: ["receipt"])
        defer { cups.stop() }
        let report = await printer(cups, queue: "receipt").checkStatus()
        #expect(report.status == .online)
        // CUPS has no paper reading until a job runs: unknown, not "full" and not "out".
        #expect(report.paper == .unknown)
        #expect(report.detail == nil)
    }

    @Test func paperOutStopsTheQueueAndIsReportedAsOut() async throws {
        let cups = try PrivateCUPS(queues: ["receipt"])
        defer { cups.stop() }
        try cups.setPaper("out", queue: "receipt")
        try cups.submitWithLP(Data("slip".utf8), queue: "receipt")
        let report = try await waitForStatus(printer(cups, queue: "receipt")) { $0.paper == .out }
        #expect(report.paper == .out)
        #expect(report.status == .userError)
        #expect(report.action == .clear)
        #expect(report.detail?.contains("out of paper") == true)
        #expect(!report.isHealthy)
        #expect(try cups.jobs(queue: "receipt").isEmpty)
    }

    @Test func paperLowIsReportedAsLowAndStillPrints() async throws {
        let cups = try PrivateCUPS(queues: ["receipt"])
        defer { cups.stop() }
        try cups.setPaper("low", queue: "receipt")
        let bytes = Data([0x1B, 0x40]) + Data("受理通知单".utf8)
        try cups.submitWithLP(bytes, queue: "receipt")
        let report = try await waitForStatus(printer(cups, queue: "receipt")) { $0.paper == .low }
        #expect(report.paper == .low)
        #expect(report.status.isServing)
        #expect(report.isHealthy)
        for _ in 0..<100 where try cups.jobs(queue: "receipt").isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try cups.jobs(queue: "receipt") == [bytes])
    }

    @Test func aQueueThatDoesNotExistIsNoDeviceWithAConfigurationAction() async throws {
        let cups = try PrivateCUPS(queues: ["receipt"])
        defer { cups.stop() }
        let report = await printer(cups, queue: "nosuchqueue").checkStatus()
        #expect(report.status == .noDevice)
        #expect(report.action == .configuration)
        #expect(report.detail?.contains("no queue 'nosuchqueue'") == true)
    }

    @Test func aStoppedCupsdIsOfflineWithAClearReason() async throws {
        let cups = try PrivateCUPS(queues: ["receipt"])
        let device = printer(cups, queue: "receipt")
        #expect(await device.checkStatus().status == .online)
        cups.stop()
        let report = await device.checkStatus()
        #expect(report.status == .offline)
        #expect(report.paper == .unknown)
        #expect(report.detail?.contains("not reachable") == true)
    }

    @Test func stateMappingKeepsUnknownApartFromOut() {
        let binding = DeviceBinding(id: "p", kind: .ticketPrinter, driver: .cups, queue: "p")
        func map(_ state: Int, _ reasons: [String], accepting: Bool = true) -> DeviceStatusReport {
            CUPSStateMapping.report(for: binding, queue: CUPSQueueState(state: state, reasons: reasons, isAcceptingJobs: accepting, message: nil))
        }
        #expect(map(3, []).paper == .unknown)
        #expect(map(3, []).status == .online)
        #expect(map(4, []).status == .busy)
        #expect(map(5, ["media-empty-error", "paused"]).paper == .out)
        #expect(map(5, ["media-jam-error"]).paper == .jammed)
        #expect(map(3, ["media-low-report"]).paper == .low)
        #expect(map(3, ["cover-open-error"]).status == .userError)
        #expect(map(3, ["offline-report"]).status == .offline)
        #expect(map(5, ["paused"]).status == .offline)
        #expect(map(5, ["paused"]).action == .reset)
        #expect(map(3, [], accepting: false).status == .offline)
    }
}
