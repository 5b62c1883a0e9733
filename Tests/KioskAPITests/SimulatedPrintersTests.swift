import Foundation
import DeviceKit
import Hummingbird
import HummingbirdTesting
import KioskConfig
import KioskTestSupport
import Logging
import NIOCore
import Printing
import Testing
@testable import KioskAPI
@testable import KioskRuntime

/// A kiosk whose printers are bound to the simulator prints its slips (into memory) through the
/// same job ledger as CUPS printers, and its paper can be run out and restocked from the API.
@Suite struct SimulatedPrintersTests {
    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    @Test func ticketsPrintOnSimulatedPrintersAndWaitForARestockWhenBothRunOut() async throws {
        let fixture = try ConfigFixture()
        let data = try TemporaryDirectory("sim-printers")
        defer { fixture.remove(); data.remove() }
        try fixture.bindPrintersToSimulator()
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path), logger: Logger(label: "test"))
        #expect(kiosk.printers.map(\.binding.id).sorted() == ["receipt", "ticket"])
        let ticketSpooler = try #require(kiosk.printers.first { $0.binding.id == "ticket" }?.spooler as? SimulatedSpooler)
        await kiosk.monitor.pollOnce()
        let category = try #require(kiosk.desk.categories.first?.code)
        let app = Application(router: kiosk.makeRouter())
        try await app.test(.router) { client in
            let slip = try await client.execute(uri: "/api/v1/tickets", method: .post, body: ByteBuffer(string: #"{"category":"\#(category)"}"#)) { response in
                #expect(response.status == .created)
                return try json(response.body)["slip"] as? [String: Any] ?? [:]
            }
            #expect(slip["state"] as? String == "completed")
            #expect(ticketSpooler.printed.count == 1)

            // Both rolls run out: the citizen routes close (nothing can print), slips are not lost.
            for printer in ["ticket", "receipt"] {
                try await client.execute(uri: "/api/v1/sim/printers/\(printer)/paper", method: .post,
                                         body: ByteBuffer(string: #"{"state":"out"}"#)) { response in
                    #expect(response.status == .accepted)
                }
            }
            try await client.execute(uri: "/api/v1/tickets", method: .post, body: ByteBuffer(string: #"{"category":"\#(category)"}"#)) { response in
                #expect(response.status == .serviceUnavailable)
            }
            try await client.execute(uri: "/api/v1/sim/printers/ticket/paper", method: .post, body: ByteBuffer(string: #"{"state":"ok"}"#)) { response in
                #expect(response.status == .accepted)
            }
            let again = try await client.execute(uri: "/api/v1/tickets", method: .post, body: ByteBuffer(string: #"{"category":"\#(category)"}"#)) { response in
                #expect(response.status == .created)
                return try json(response.body)["slip"] as? [String: Any] ?? [:]
            }
            #expect(again["state"] as? String == "completed")
            #expect(ticketSpooler.printed.count == 2)
        }
    }
}
