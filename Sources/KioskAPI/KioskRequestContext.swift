import Foundation
import Hummingbird

/// The request context of every kiosk route: JSON with ISO-8601 dates, sorted keys and unescaped
/// slashes, so answers are stable and readable.
public struct KioskRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The staff member a staff route group's middleware let in (nil elsewhere).
    public var staffLogin: StaffDoor.Login?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    public var requestDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    public var responseEncoder: JSONEncoder { KioskJSON.encoder }
}

/// The JSON encoding the API and the CLI share.
public enum KioskJSON {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
