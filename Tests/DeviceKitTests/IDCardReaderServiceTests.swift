import Foundation
import IDCard
import KioskConfig
import Logging
import Synchronization
import Testing
@testable import DeviceKit

/// The reader service over the in-process SAM: placements, removal, unplug and re-plug, faults.
@Suite struct IDCardReaderServiceTests {
    let binding = DeviceBinding(id: "idcard", kind: .idCardReader, driver: .simulated)

    /// Collects the service's events as they are published.
    final class Recorder: Sendable {
        final class Log: Sendable {
            let items = Mutex<[String]>([])
        }

        let log = Log()
        let task: Task<Void, Never>

        init(_ service: IDCardReaderService) {
            let stream = service.events.subscribe()
            let log = self.log
            task = Task {
                for await event in stream {
                    switch event {
                    case let .cardInserted(identity): log.items.withLock { $0.append("inserted \(identity.idNumber)") }
                    case .cardRemoved: log.items.withLock { $0.append("removed") }
                    }
                }
            }
        }

        func settled() async throws -> [String] {
            try await Task.sleep(for: .milliseconds(50))
            return log.items.withLock { $0 }
        }
    }

    @Test func readsEachPlacementOnceAndReportsRemoval() async throws {
        let sam = SimulatedSAMConnection()
        let service = IDCardReaderService(simulatedBinding: binding, simulator: sam, logger: Logger(label: "test"))
        #expect(await service.checkStatus().status == .starting)
        let recorder = Recorder(service)
        await service.pollOnce()
        #expect(await service.checkStatus().status == .online)
        sam.withSimulator { $0.place(SampleCards.resident) }
        for _ in 0..<5 { await service.pollOnce() }
        #expect(service.currentCard?.name == "张三")
        sam.withSimulator { $0.remove() }
        await service.pollOnce()
        await service.pollOnce()
        sam.withSimulator { $0.place(SampleCards.foreign2023) }
        await service.pollOnce()
        #expect(try await recorder.settled() == ["inserted 11010519491231002X", "removed", "inserted 937001198505200022"])
        let counters = service.counters
        #expect(counters.successfulReads == 2)
        #expect(counters.polls == 9)
        #expect(counters.communicationErrors == 0)
    }

    /// Find-card cannot tell two cards apart: a card swapped for another between two polls (or
    /// placed over it) is noticed by reading the lying card again every few polls, and announced
    /// as a new placement; the same card read again announces nothing.
    @Test func aCardSwappedWithoutLiftingIsReadAsANewPlacement() async throws {
        let sam = SimulatedSAMConnection()
        let service = IDCardReaderService(simulatedBinding: binding, simulator: sam, recheckEvery: 3, logger: Logger(label: "test"))
        let recorder = Recorder(service)
        sam.withSimulator { $0.place(SampleCards.resident) }
        for _ in 0..<7 { await service.pollOnce() }   // read once, then re-read twice: the same card
        #expect(try await recorder.settled() == ["inserted 11010519491231002X"])
        sam.withSimulator { $0.place(SampleCards.foreign2023) }   // within one poll, never lifted
        await service.pollOnce()
        await service.pollOnce()
        #expect(try await recorder.settled() == ["inserted 11010519491231002X"])   // not due yet
        await service.pollOnce()
        #expect(try await recorder.settled() == ["inserted 11010519491231002X", "inserted 937001198505200022"])
        #expect(service.currentCard?.idNumber == "937001198505200022")
        #expect(service.counters.successfulReads == 2)
        // A re-read asked for now (the simulator's placement does): at once, not at the next due poll.
        sam.withSimulator { $0.place(SampleCards.resident) }
        await service.pollOnce(recheck: true)
        #expect(try await recorder.settled().last == "inserted 11010519491231002X")
        // Lifting still reads as a removal.
        sam.withSimulator { $0.remove() }
        await service.pollOnce()
        #expect(try await recorder.settled().last == "removed")
    }

    /// A re-read that fails (the card half lifted) is no removal and no new card: the next due
    /// poll reads again.
    @Test func aFailedRereadChangesNothing() async throws {
        let sam = SimulatedSAMConnection()
        let service = IDCardReaderService(simulatedBinding: binding, simulator: sam, recheckEvery: 1, logger: Logger(label: "test"))
        let recorder = Recorder(service)
        sam.withSimulator { $0.place(SampleCards.resident) }
        await service.pollOnce()
        sam.withSimulator { $0.injectedStatuses = [(.readBase, .readFailed)] }
        await service.pollOnce()
        #expect(service.currentCard?.idNumber == "11010519491231002X")
        await service.pollOnce()
        #expect(try await recorder.settled() == ["inserted 11010519491231002X"])
    }

    /// The service's loop, a simulated placement and a staff reset may poll at once: one placement
    /// is still read once (a second, late read would land in the next citizen's session).
    @Test func overlappingPollsReadAPlacementOnce() async throws {
        let sam = SimulatedSAMConnection(bitsPerSecond: 115_200)
        let service = IDCardReaderService(simulatedBinding: binding, simulator: sam, logger: Logger(label: "test"))
        let recorder = Recorder(service)
        await service.pollOnce()
        sam.withSimulator { $0.place(SampleCards.resident) }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { await service.pollOnce() } }
        }
        #expect(try await recorder.settled() == ["inserted 11010519491231002X"])
        #expect(service.counters.successfulReads == 1)
    }

    @Test func unplugDropsTheHandleAndReplugReopensIt() async throws {
        let sam = SimulatedSAMConnection()
        let plugged = Mutex(true)
        let opens = Mutex(0)
        let service = IDCardReaderService(binding: binding, opener: { () throws(SAMTransportError) -> any SAMConnection in
            guard plugged.withLock({ $0 }) else { throw .notFound("no USB device 0400:c35a") }
            opens.withLock { $0 += 1 }
            return sam
        }, pollInterval: .milliseconds(10), logger: Logger(label: "test"))
        let recorder = Recorder(service)
        sam.withSimulator { $0.place(SampleCards.resident) }
        await service.pollOnce()
        #expect(service.currentCard != nil)

        // Unplugged mid-session: the pending poll fails cleanly, the card is gone, status powerOff.
        plugged.withLock { $0 = false }
        sam.setUnplugged(true)
        await service.pollOnce()
        var report = await service.checkStatus()
        #expect(report.status == .powerOff)
        #expect(report.action == .maintenance)
        #expect(service.currentCard == nil)
        let backoff = await service.pollOnce()  // still absent: re-open fails, wait grows
        #expect(backoff > .milliseconds(10))
        #expect(await service.checkStatus().status == .powerOff)

        // Plugged back: re-opened without restarting, the card on it read again.
        plugged.withLock { $0 = true }
        sam.setUnplugged(false)
        await service.pollOnce()
        report = await service.checkStatus()
        #expect(report.status == .online)
        #expect(opens.withLock { $0 } == 2)
        #expect(service.counters.unplugs == 1)
        #expect(try await recorder.settled() == ["inserted 11010519491231002X", "removed", "inserted 11010519491231002X"])
    }

    @Test func aReaderThatWasNeverThereIsNoDevice() async {
        let service = IDCardReaderService(binding: binding, opener: { () throws(SAMTransportError) -> any SAMConnection in
            throw .notFound("no USB device 0400:c35a")
        }, logger: Logger(label: "test"))
        await service.pollOnce()
        let report = await service.checkStatus()
        #expect(report.status == .noDevice)
        #expect(report.action == .configuration)
        #expect(report.detail?.contains("0400:c35a") == true)
    }

    @Test func aSAMThatFailsItsSelfTestIsAHardwareError() async {
        let sam = SimulatedSAMConnection()
        sam.withSimulator { $0.injectedStatuses = [(.findCard, .samSelfTestFailed)] }
        let service = IDCardReaderService(simulatedBinding: binding, simulator: sam, logger: Logger(label: "test"))
        await service.pollOnce()
        let report = await service.checkStatus()
        #expect(report.status == .hardwareError)
        #expect(report.action == .maintenance)
        #expect(service.counters.failedReads["SW3 0x60"] == 1)
        await service.pollOnce()
        #expect(await service.checkStatus().status == .online)
    }

    @Test func aCardReadFailureIsCountedAndRetriedNextPoll() async throws {
        let sam = SimulatedSAMConnection()
        sam.withSimulator {
            $0.place(SampleCards.resident)
            $0.injectedStatuses = [(.readBase, .readFailed)]
        }
        let service = IDCardReaderService(simulatedBinding: binding, simulator: sam, logger: Logger(label: "test"))
        let recorder = Recorder(service)
        await service.pollOnce()
        #expect(service.currentCard == nil)
        #expect(service.counters.failedReads["SW3 0x41"] == 1)
        await service.pollOnce()
        #expect(try await recorder.settled() == ["inserted 11010519491231002X"])
    }

    @Test func garbledRepliesAreCommunicationErrorsNotCrashes() async {
        final class Garbling: SAMConnection, @unchecked Sendable {
            var description: String { "garbling" }
            func transact(_ request: [UInt8], timeout: Duration) throws(SAMTransportError) -> [UInt8] {
                throw .frame(.badChecksum(expected: 1, got: 2))
            }
            func close() {}
        }
        let connection = Garbling()
        let service = IDCardReaderService(binding: binding, opener: { () throws(SAMTransportError) -> any SAMConnection in connection },
                                          logger: Logger(label: "test"))
        await service.pollOnce()
        await service.pollOnce()
        #expect(service.counters.communicationErrors == 2)
        #expect(await service.checkStatus().detail?.contains("checksum") == true)
    }
}
