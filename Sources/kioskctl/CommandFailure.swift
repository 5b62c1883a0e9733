import ArgumentParser

/// A failure of a kioskctl command: one line on stderr (`kioskctl <command>: <message>`) and the
/// exit status the README documents for that command.
struct CommandFailure: Error {
    var exitCode: Int32
    var message: String

    init(_ exitCode: Int32, _ message: String) {
        self.exitCode = exitCode
        self.message = message
    }

    init(exitCode: Int32, message: String) { self.init(exitCode, message) }

    /// Runs `body`; a `CommandFailure` it throws becomes its line on stderr and its exit status.
    static func exitOnFailure(_ command: String, _ body: () throws -> Void) throws {
        do { try body() } catch let failure as CommandFailure { throw failure.exit(command) }
    }

    /// `exitOnFailure` for an async body.
    static func exitOnFailure(_ command: String, _ body: () async throws -> Void) async throws {
        do { try await body() } catch let failure as CommandFailure { throw failure.exit(command) }
    }

    private func exit(_ command: String) -> ExitCode {
        Console.err("kioskctl \(command): \(message)")
        return ExitCode(exitCode)
    }
}
