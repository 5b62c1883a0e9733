import Foundation

/// The platform's bearer token. It is only ever put in an `Authorization` header: its
/// `description`, `debugDescription` and mirror say `redacted`, so it cannot reach a log line,
/// an error message or a `dump()` by accident.
public struct BearerToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let secret: String

    public init(_ secret: String) { self.secret = secret }

    /// The `Authorization` header value.
    var authorizationValue: String { "Bearer \(secret)" }

    /// `text` with the secret replaced by `[redacted]`.
    func scrubbed(_ text: String) -> String {
        secret.isEmpty ? text : text.replacingOccurrences(of: secret, with: "[redacted]")
    }

    public var description: String { "BearerToken(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    /// Reads the token from `file` (trimmed), or else from the environment variable `variable`.
    /// Errors name where it was looked for, never its content.
    public static func load(file: String?, environmentVariable variable: String?,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(UpstreamSetupError) -> BearerToken {
        if let file, !file.isEmpty {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw UpstreamSetupError("cannot read the upstream token file \(file) (create it, readable by kioskd only, or set upstream.tokenEnvironmentVariable)")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw UpstreamSetupError("the upstream token file \(file) is empty") }
            guard !token.contains(where: { $0.isNewline || $0 == " " }) else {
                throw UpstreamSetupError("the upstream token file \(file) holds more than one token (one line, no spaces)")
            }
            return BearerToken(token)
        }
        if let variable, !variable.isEmpty {
            guard let token = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
                throw UpstreamSetupError("the environment variable \(variable) (upstream.tokenEnvironmentVariable) is not set")
            }
            return BearerToken(token)
        }
        throw UpstreamSetupError("upstream.platform http needs upstream.tokenFile or upstream.tokenEnvironmentVariable")
    }
}

/// Why the platform connection could not be set up from the configuration (exit 78 in kioskd).
public struct UpstreamSetupError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
