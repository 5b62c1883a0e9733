import Foundation
import Hummingbird
import NIOCore
import Yams

/// The API's OpenAPI 3.1 document (`Sources/KioskAPI/openapi.yaml`, shipped as a resource),
/// served as JSON at `GET /openapi.json`. A test keeps it and the router in step.
public enum OpenAPIDocument {
    /// The YAML text as kept in the repository.
    public static func yaml() throws -> String {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "openapi.yaml is missing from the KioskAPI resources"])
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The document as JSON bytes.
    public static func json() throws -> [UInt8] {
        let object = jsonCompatible(try Yams.load(yaml: try yaml()) ?? [:])
        return [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// YAML's values made JSON's: keys as strings (a response code `200:` is an integer in YAML),
    /// dates as ISO-8601 strings.
    static func jsonCompatible(_ value: Any) -> Any {
        switch value {
        case let dictionary as [AnyHashable: Any]:
            var result: [String: Any] = [:]
            for (key, element) in dictionary { result["\(key.base)"] = jsonCompatible(element) }
            return result
        case let array as [Any]:
            return array.map(jsonCompatible)
        case let date as Date:
            return ISO8601DateFormatter().string(from: date)
        case let data as Data:
            return data.base64EncodedString()
        default:
            return value
        }
    }
}

/// `GET /openapi.json`.
public struct OpenAPIRoutes: Sendable {
    let document: [UInt8]

    public init() throws { document = try OpenAPIDocument.json() }

    public func add(to router: Router<KioskRequestContext>) {
        router.get("/openapi.json") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "max-age=3600"],
                     body: .init(byteBuffer: ByteBuffer(bytes: document)))
        }
    }
}
