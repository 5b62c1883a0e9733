/// Why libturbojpeg could not decode or encode an image; `reason` is libturbojpeg's own message.
public struct JPEGError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable {
        /// The bytes are not a JPEG libturbojpeg can read (header or data corrupt, truncated).
        case undecodable
        /// The image is larger than the decoder is allowed to handle.
        case tooLarge
        /// Encoding failed (bad dimensions, out of memory).
        case encodingFailed
    }

    public var code: Code
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
