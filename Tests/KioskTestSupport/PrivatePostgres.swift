import Foundation

/// A real PostgreSQL server (Debian's `postgresql`, version 15) private to one test: `initdb` in a
/// temporary directory, `pg_ctl` on 127.0.0.1 and a free port, a fast stop at the end. Run as the
/// `postgres` user when the tests run as root (initdb refuses root), as the current user otherwise.
/// Fails loudly when the server is not installed or cannot start: tests that need it never skip.
public final class PrivatePostgres: @unchecked Sendable {
    public let base: TemporaryDirectory
    public private(set) var port: Int
    private let bin: String
    private let asPostgres: Bool

    /// The data directory (the cluster).
    public var dataDirectory: String { base.path + "/data" }
    /// A connection URL for the `postgres` database as the `postgres` superuser (trust on loopback).
    public var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    public init() throws {
        bin = try Self.binaries()
        base = try TemporaryDirectory("pg")
        asPostgres = getuid() == 0
        port = 0
        do {
            if asPostgres {
                // The server runs as `postgres`: it must own the directory (and reach it through /tmp).
                let result = try ChildProcess.run("/bin/chown", ["-R", "postgres:postgres", base.path])
                guard result.status == 0 else { throw TestSupportError("chown postgres \(base.path) failed: \(result.stderr)") }
            }
            let initdb = try runWithoutPipes("\(bin)/initdb", ["-D", dataDirectory, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                                                    "--locale=C", "--no-sync"])
            guard initdb.status == 0 else { throw TestSupportError("initdb failed: \(initdb.stderr)\(initdb.stdout)") }
            try startServer()
        } catch {
            base.remove()
            throw error
        }
    }

    /// Starts the server (again after `stopImmediately`, on the same port when `samePort`).
    public func start(samePort: Bool = true) throws {
        try startServer(samePort: samePort)
    }

    private func startServer(samePort: Bool = false) throws {
        for attempt in 1...3 {
            let candidate = samePort && port != 0 ? port : try ChildProcess.freePort()
            // fsync off: a test cluster, thrown away afterwards (an immediate stop still keeps every
            // committed row: the WAL is written before COMMIT returns, only not forced to the disk).
            let options = "-c listen_addresses=127.0.0.1 -p \(candidate) -k \(base.path) -c fsync=off -c max_connections=200"
            // Not through pipes: the server started in the background would inherit them and keep
            // them open, so reading the output to its end would wait for the server to stop.
            let result = try runWithoutPipes("\(bin)/pg_ctl", ["-D", dataDirectory, "-l", base.path + "/server.log", "-o", options, "-w", "-t", "60", "start"])
            if result.status == 0 {
                port = candidate
                return
            }
            let log = (try? String(contentsOfFile: base.path + "/server.log", encoding: .utf8)) ?? ""
            if attempt == 3 || samePort && port != 0 && !log.contains("could not bind") {
                throw TestSupportError("PostgreSQL did not start on 127.0.0.1:\(candidate): \(result.stderr)\(result.stdout)\n\(log.suffix(2000))")
            }
        }
    }

    /// Stops the server at once, as a pulled cable or a crashed database host would
    /// (`pg_ctl stop -m immediate`: no checkpoint, clients see their connections die).
    public func stopImmediately() throws {
        let result = try runWithoutPipes("\(bin)/pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
        guard result.status == 0 else { throw TestSupportError("pg_ctl stop -m immediate failed: \(result.stderr)") }
    }

    /// Runs SQL with `psql` (the server's own client, not the code under test) and returns its output
    /// (unaligned, tuples only).
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let psql = bin + "/psql"
        let result = try ChildProcess.run(psql, ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database,
                                                 "-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
        guard result.status == 0 else { throw TestSupportError("psql failed: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates a database and returns its URL.
    public func createDatabase(_ name: String) throws -> String {
        _ = try psql("CREATE DATABASE \(name)")
        return "postgres://postgres@127.0.0.1:\(port)/\(name)"
    }

    public func stop() {
        _ = try? runWithoutPipes("\(bin)/pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "stop"])
        base.remove()
    }

    deinit { stop() }

    /// Runs to completion with its output in a file: `posix_spawn` and `waitpid` (Foundation's
    /// Process never noticed `su` exiting once the server it started in the background ran on).
    private func runWithoutPipes(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
        let outputFile = base.path + "/pg_ctl.out"
        let argv: [String]
        if asPostgres {
            argv = ["/bin/su", "postgres", "-s", "/bin/sh", "-c", ([executable] + arguments).map(Self.shellQuoted).joined(separator: " ")]
        } else {
            argv = [executable] + arguments
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw TestSupportError("cannot start \(argv[0]): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let text = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
        return ProcessResult(status: exitCode, stdout: text, stderr: "")
    }

    private static func shellQuoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// The server's programs (`/usr/lib/postgresql/<version>/bin`), newest version first.
    private static func binaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        throw TestSupportError("PostgreSQL is not installed (Debian package postgresql: no \(root)/*/bin/initdb); `make test` installs it via scripts/bootstrap.sh")
    }
}
