import Foundation
import KioskConfig
import Logging
import Synchronization
import Testing
@testable import DeviceKit

@Suite struct DeviceMonitorTests {
    let bindings = [
        DeviceBinding(id: "idcard", kind: .idCardReader, driver: .simulated),
        DeviceBinding(id: "receipt", kind: .receiptPrinter, driver: .simulated),
    ]

    @Test func reportsEachChangeOnceAndKeepsTheBoardCurrent() async throws {
        let devices = bindings.map(SimulatedDevice.init)
        let board = DeviceStatusBoard()
        let changes = Mutex<[String]>([])
        let monitor = DeviceMonitor(devices: devices, board: board, interval: .seconds(1), logger: Logger(label: "test")) { _, new in
            changes.withLock { $0.append("\(new.id)=\(new.status.rawValue)") }
        }
        #expect(board.snapshot == nil)
        await monitor.pollOnce()
        #expect(board.snapshot?.reports.map(\.status) == [.online, .online])
        #expect(board.snapshot?.reports.last?.paper == .full)
        await monitor.pollOnce()  // nothing changed: nothing reported
        devices[0].set(status: .powerOff)
        await monitor.pollOnce()
        devices[1].set(status: .online, paper: .out)
        await monitor.pollOnce()
        #expect(changes.withLock { $0 } == ["idcard=online", "receipt=online", "idcard=powerOff", "receipt=online"])
        #expect(board.snapshot?.reports.allSatisfy(\.isHealthy) == false)
    }

    @Test func aDriverThisBuildLacksSaysSoInsteadOfPretending() async {
        let devices = DeviceFactory.makeDevices(for: [DeviceBinding(id: "cam", kind: .documentCamera, driver: .v4l2, path: "/dev/video0")],
                                                profilesDirectory: "/nonexistent", logger: Logger(label: "test"))
        let report = await devices[0].checkStatus()
        #expect(report.status == .noDevice)
        #expect(report.action == .configuration)
    }
}
