import DeviceKit
import Foundation
import Hummingbird
import HummingbirdTesting
import KioskConfig
import KioskTestSupport
import Logging
import Testing
@testable import KioskAPI
@testable import KioskRuntime

@Suite struct HealthRouteTests {
    struct Health: Decodable {
        struct Device: Decodable { var id: String; var kind: String; var status: String; var paper: String? }
        var status: String
        var version: String
        var kioskId: String
        var devices: [Device]
    }

    @Test func healthIs503UntilDevicesAreCheckedThenListsEveryDevice() async throws {
        let bindings = DeviceKind.allCases.map { DeviceBinding(id: $0.rawValue, kind: $0, driver: .simulated) }
        let devices = bindings.map(SimulatedDevice.init)
        let board = DeviceStatusBoard()
        let router = KioskRouter.make(health: HealthRoutes(board: board, kioskID: "TZ01", version: "9.9.9"))
        let monitor = DeviceMonitor(devices: devices, board: board, interval: .seconds(1), logger: Logger(label: "test"))
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let health = try JSONDecoder().decode(Health.self, from: Data(buffer: response.body))
                #expect(health.status == "starting")
            }
            await monitor.pollOnce()
            try await client.execute(uri: "/api/v1/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let health = try JSONDecoder().decode(Health.self, from: Data(buffer: response.body))
                #expect(health.status == "ok")
                #expect(health.version == "9.9.9")
                #expect(health.kioskId == "TZ01")
                #expect(Set(health.devices.map(\.kind)) == Set(DeviceKind.allCases.map(\.rawValue)))
            }
            devices[0].set(status: .powerOff)
            await monitor.pollOnce()
            try await client.execute(uri: "/api/v1/health", method: .get) { response in
                let health = try JSONDecoder().decode(Health.self, from: Data(buffer: response.body))
                #expect(response.status == .ok)
                #expect(health.status == "degraded")
                #expect(health.devices.first { $0.id == "idCardReader" }?.status == "powerOff")
            }
        }
    }

    @Test func thePreparedKioskServesHealthFromItsOwnConfigAndStore() async throws {
        let fixture = try ConfigFixture()
        let data = try TemporaryDirectory("api-data")
        defer { fixture.remove(); data.remove() }
        // Bind the printers to simulators so this in-process test needs no cupsd.
        try fixture.bindPrintersToSimulator()
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path), logger: Logger(label: "test"))
        // Devices with a loop of their own (reader, pad) report after their first round, as in kioskd.
        for case let reader as IDCardReaderService in kiosk.devices { await reader.pollOnce() }
        for case let pad as EvaluationPadDevice in kiosk.devices { await pad.pollOnce() }
        await kiosk.monitor.pollOnce()
        let app = Application(router: kiosk.makeRouter())
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/health", method: .get) { response in
                #expect(response.status == .ok)
                let health = try JSONDecoder().decode(Health.self, from: Data(buffer: response.body))
                #expect(health.status == "ok")
                #expect(health.kioskId == "TZ01")
                #expect(health.devices.count == 5)
            }
        }
        // The first round's states were recorded in the store's history.
        #expect(try await kiosk.store.deviceStatusHistory().count == 5)
    }
}
