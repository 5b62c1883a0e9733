import DeviceKit
import Foundation
import Hummingbird
import HummingbirdTesting
import KioskTestSupport
import Logging
import NIOCore
import Testing
@testable import KioskAPI
@testable import KioskRuntime

/// HTTP as RFC 9110 says and the README promises: 405 with `Allow` for a known path asked with
/// another method, HEAD wherever GET is, 415 for a JSON route sent another media type, problem
/// details a person can read (the field named, no Swift decoding dump), dates that exist.
@Suite struct HTTPConformanceTests {
    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    /// An in-process kiosk on simulated printers (citizen routes open).
    func withKiosk(_ body: @escaping @Sendable (any TestClientProtocol, Kiosk) async throws -> Void) async throws {
        let fixture = try ConfigFixture()
        defer { fixture.remove() }
        try fixture.bindPrintersToSimulator()
        let data = try TemporaryDirectory("http-conformance")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: fixture.directory, dataDirectory: data.path), logger: Logger(label: "test"))
        try await Application(router: kiosk.makeRouter()).test(.router) { client in try await body(client, kiosk) }
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
        try await withKiosk { client, _ in
            for (method, uri, allow) in [(HTTPRequest.Method.post, "/api/v1/health", "GET, HEAD"), (.put, "/api/v1/sessions", "POST"),
                                         (.get, "/api/v1/sim/idcard/place", "POST"), (.get, "/api/v1/sessions/abc", "DELETE"),
                                         (.patch, "/api/v1/catalog/items/X1", "GET, HEAD")] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                    #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                    let problem = try json(response.body)
                    #expect(problem["status"] as? Int == 405)
                    #expect((problem["type"] as? String)?.hasSuffix("/method-not-allowed") == true)
                }
            }
            // A path no route has is still a 404.
            try await client.execute(uri: "/api/v1/no-such-thing", method: .post) { #expect($0.status == .notFound) }
        }
    }

    @Test func headAnswersLikeGetWithoutABody() async throws {
        try await withKiosk { client, _ in
            let get = try await client.execute(uri: "/api/v1/catalog/items", method: .get) { ($0.status, $0.headers[.contentType]) }
            try await client.execute(uri: "/api/v1/catalog/items", method: .head) { response in
                #expect(response.status == get.0)
                #expect(response.headers[.contentType] == get.1)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/openapi.json", method: .head) { #expect($0.status == .ok) }
        }
    }

    @Test func aJSONRouteRefusesAnotherMediaTypeWith415() async throws {
        try await withKiosk { client, _ in
            let session = try await client.execute(uri: "/api/v1/sessions", method: .post) { try json($0.body)["id"] as? String ?? "" }
            let body = #"{"itemCode":"11370481004396815B3707104001000001"}"#
            for type in ["text/plain", "application/xml", "text/xml; charset=utf-8", "application/x-www-form-urlencoded"] {
                try await client.execute(uri: "/api/v1/sessions/\(session)/filings", method: .post,
                                         headers: [.contentType: type], body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .unsupportedMediaType, "\(type)")
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                    let detail = try json(response.body)["detail"] as? String
                    #expect(detail == "the body must be application/json, not \(type)")
                }
            }
            // The same body as JSON gets past decoding (to the rule that a filing needs a card read).
            try await client.execute(uri: "/api/v1/sessions/\(session)/filings", method: .post,
                                     headers: [.contentType: "application/json; charset=utf-8"], body: ByteBuffer(string: body)) {
                #expect($0.status == .conflict)
            }
            for type in ["application/json", "application/merge-patch+json"] {
                try await client.execute(uri: "/api/v1/sim/pad/press", method: .post, headers: [.contentType: type],
                                         body: ByteBuffer(string: #"{"level":5}"#)) { #expect($0.status == .accepted, "\(type)") }
            }
            try await client.execute(uri: "/api/v1/sim/pad/press", method: .post, body: ByteBuffer(string: #"{"level":5}"#)) {
                #expect($0.status == .accepted, "no Content-Type is taken as JSON")
            }
            // Any JSON body up to the documented 16 KiB, unknown members and all (a 256-byte limit refused valid ones).
            let padded = #"{"level":5,"note":"\#(String(repeating: "x", count: 2000))"}"#
            try await client.execute(uri: "/api/v1/sim/pad/press", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: padded)) { #expect($0.status == .accepted) }
            try await client.execute(uri: "/api/v1/sim/pad/press", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"level":5,"unknown":null,"more":{"x":null}}"#)) {
                #expect($0.status == .accepted, "a null in a member the route does not know is no reason to refuse")
            }
            try await client.execute(uri: "/api/v1/sim/pad/press", method: .post, headers: [.contentType: "text/plain"],
                                     body: ByteBuffer(string: #"{"level":5}"#)) { #expect($0.status == .unsupportedMediaType) }
        }
    }

    @Test func aBodyOfTheWrongShapeIsSaidInWordsNamingTheField() async throws {
        try await withKiosk { client, _ in
            let session = try await client.execute(uri: "/api/v1/sessions", method: .post) { try json($0.body)["id"] as? String ?? "" }
            let cases: [(String, String, String)] = [
                ("/api/v1/sessions/\(session)/filings", #"{"itemCode":5}"#, "field 'itemCode' must be a string"),
                ("/api/v1/sim/pad/press", #"{}"#, "missing field 'level'"),
                ("/api/v1/sim/pad/press", #"{"level":"five"}"#, "field 'level' must be a whole number"),
                ("/api/v1/sim/idcard/place", #"{"name":"张三","idNumber":null}"#, "field 'idNumber' must not be null"),
                // An optional member is left out, not null (a null read as absent took a request the schema refuses).
                ("/api/v1/sim/camera/conditions", #"{"blurRadius":0,"exposure":null}"#, "field 'exposure' must not be null (leave it out instead)"),
                ("/api/v1/sim/idcard/place", #"["张三"]"#, "the body must be an object"),
                ("/api/v1/sim/pad/press", #"{"level":"#, "the body is not valid JSON"),
            ]
            for (uri, body, detail) in cases {
                try await client.execute(uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest, "\(body)")
                    let text = try json(response.body)["detail"] as? String ?? ""
                    #expect(text == detail, "\(body)")
                    #expect(!text.contains("CodingKeys") && !text.contains("debugDescription") && !text.contains("Swift."), "\(text)")
                }
            }
        }
    }

    @Test(arguments: [("birthDate", "2024-13-01"), ("birthDate", "2023-02-29"), ("validFrom", "20200101"), ("validUntil", "forever"),
                      ("validFrom", "2020-1-01")])
    func aSimulatedCardWithADateThatDoesNotExistIsRefused(_ field: String, _ value: String) async throws {
        try await withKiosk { client, kiosk in
            let card = #"{"name":"张三","idNumber":"11010519491231002X","\#(field)":"\#(value)"}"#
            try await client.execute(uri: "/api/v1/sim/idcard/place", method: .post, body: ByteBuffer(string: card)) { response in
                #expect(response.status == .unprocessableContent)
                let detail = try json(response.body)["detail"] as? String ?? ""
                #expect(detail.contains(field) && detail.contains(value), "\(detail)")
            }
            #expect(kiosk.devices.compactMap { $0 as? IDCardReaderService }.first?.currentCard == nil)
        }
    }

    @Test(arguments: [#""issueCount":"""#, #""issueCount":"123""#, #""issueCount":100"#, #""sex":"x""#, #""nationality":"CHNA""#,
                      #""passNumber":"1234567890""#])
    func aSimulatedCardOutsideItsSchemaIsRefused(_ member: String) async throws {
        try await withKiosk { client, _ in
            let card = #"{"name":"张三","idNumber":"11010519491231002X",\#(member)}"#
            try await client.execute(uri: "/api/v1/sim/idcard/place", method: .post, body: ByteBuffer(string: card)) {
                #expect($0.status == .unprocessableContent, "\(member)")
            }
            let notAlphanumeric = #"{"name":"张三","idNumber":"11010519491231002中"}"#
            try await client.execute(uri: "/api/v1/sim/idcard/place", method: .post, body: ByteBuffer(string: notAlphanumeric)) {
                #expect($0.status == .unprocessableContent)
            }
        }
    }

    @Test func realDatesAndLongTermAreAccepted() async throws {
        try await withKiosk { client, _ in
            let card = #"{"name":"张三","idNumber":"11010519491231002X","birthDate":"1949-12-31","validFrom":"2024-02-29","validUntil":"long-term","issueCount":7}"#
            try await client.execute(uri: "/api/v1/sim/idcard/place", method: .post, body: ByteBuffer(string: card)) {
                #expect($0.status == .accepted)
            }
        }
    }
}
