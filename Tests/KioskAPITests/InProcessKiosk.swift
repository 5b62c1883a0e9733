import Foundation
import Hummingbird
import HummingbirdTesting
import KioskConfig
import KioskTestSupport
import NIOCore
import Testing
@testable import KioskRuntime

/// Helpers of the in-process API tests: the shipped configuration with two staff accounts and the
/// printers on the simulator, logins, and a citizen's submitted filing.
enum InProcessKiosk {
    static let staffPIN = "13579"
    static let technicianPIN = "86420"
    static let item = "11370481004396815B3707104001000001"

    /// The shipped configuration with two accounts, printers on the simulator, and `edit` applied.
    static func fixture(_ edit: (ConfigFixture) throws -> Void = { _ in }) throws -> ConfigFixture {
        let fixture = try ConfigFixture()
        try fixture.bindPrintersToSimulator()
        try StaffAccountsFile(accounts: [
            StaffAccount(name: "wangfang", role: .staff, pinHash: try PINHash.hash(pin: staffPIN)),
            StaffAccount(name: "lijun", role: .technician, pinHash: try PINHash.hash(pin: technicianPIN)),
        ]).save(configDirectory: fixture.directory)
        try edit(fixture)
        return fixture
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    static func login(_ client: some TestClientProtocol, _ account: String, _ pin: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(uri: "/api/v1/staff/login", method: .post,
                                 body: ByteBuffer(string: #"{"account":"\#(account)","pin":"\#(pin)"}"#)) { ($0.status, try json($0.body)) }
    }

    /// A session with a card, a complete birth-registration filing submitted; (session, number, progress token).
    static func submitted(_ client: some TestClientProtocol, _ kiosk: Kiosk) async throws -> (String, String, String) {
        let session = try await client.execute(uri: "/api/v1/sessions", method: .post) { try json($0.body)["id"] as? String ?? "" }
        await kiosk.sessions.cardInserted(.init(name: "张三", idNumber: "11010519491231002X", documentKind: "resident", verifiedByCard: true))
        let draft = try await client.execute(uri: "/api/v1/sessions/\(session)/filings", method: .post,
                                             body: ByteBuffer(string: #"{"itemCode":"\#(item)"}"#)) { try json($0.body) }
        let id = try #require(draft["id"] as? String)
        for material in try #require(draft["materials"] as? [[String: Any]]) where material["need"] as? String == "required" {
            let code = try #require(material["code"] as? String)
            for page in 0..<(material["pagesExpected"] as? Int ?? 1) {
                try await client.execute(uri: "/api/v1/filings/\(id)/materials/\(code)/pages", method: .post,
                                         headers: [.contentType: "image/jpeg"], body: ByteBuffer(bytes: TestPages.jpeg("\(code)-\(page)"))) {
                    #expect($0.status == .created)
                }
            }
        }
        let filing = try await client.execute(uri: "/api/v1/filings/\(id)/submit", method: .post, body: ByteBuffer(string: "{}")) {
            #expect($0.status == .created, "\(String(buffer: $0.body))")
            return try json($0.body)
        }
        let number = try #require(filing["number"] as? String)
        let token = try #require((filing["progressUrl"] as? String)?.split(separator: "/").last.map(String.init))
        return (session, number, token)
    }

}
