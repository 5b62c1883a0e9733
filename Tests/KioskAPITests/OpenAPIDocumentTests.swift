import Foundation
import KioskTestSupport
import Logging
import Testing
import Yams
@testable import KioskAPI
@testable import KioskRuntime

/// The OpenAPI document in the repository and the router must describe the same API: every route
/// documented, every documented route served.
@Suite struct OpenAPIDocumentTests {
    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        let data = try TemporaryDirectory("openapi")
        defer { data.remove() }
        let kiosk = try await Kiosk.prepare(KioskOptions(configDirectory: RepoPaths.defaultConfig, dataDirectory: data.path),
                                      logger: Logger(label: "test"))
        let served = Set(kiosk.makeRouter().routes.map { "\($0.method.rawValue) \($0.path.description)" })
        let document = try #require(try Yams.load(yaml: try OpenAPIDocument.yaml()) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: Any])
        let methods = ["get", "put", "post", "delete", "patch", "head", "options"]
        var documented: Set<String> = []
        for (path, item) in paths {
            for (key, operation) in try #require(item as? [String: Any]) where methods.contains(key) {
                documented.insert("\(key.uppercased()) \(path)")
                // Each operation has an id and answers something.
                let op = try #require(operation as? [String: Any])
                #expect(op["operationId"] is String, "\(key) \(path) has no operationId")
                #expect((op["responses"] as? [AnyHashable: Any])?.isEmpty == false, "\(key) \(path) has no responses")
            }
        }
        #expect(served.subtracting(documented).sorted() == [], "served but not documented")
        #expect(documented.subtracting(served).sorted() == [], "documented but not served")
        #expect(served.count >= 36)
    }

    @Test func theDocumentIsServedAsJSON() throws {
        let json = try OpenAPIDocument.json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        let paths = try #require(object["paths"] as? [String: Any])
        // Response codes stay strings in JSON.
        let health = try #require((paths["/api/v1/health"] as? [String: Any])?["get"] as? [String: Any])
        #expect((health["responses"] as? [String: Any])?["200"] != nil)
    }
}
