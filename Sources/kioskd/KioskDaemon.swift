import ArgumentParser
import Foundation
import KioskConfig
import KioskRuntime
import Logging
import Store
import Workflow
import Upstream

/// `kioskd`: the kiosk service. Loads kiosk-config/, opens the store, runs the API and device
/// services until SIGTERM/SIGINT.
@main
struct KioskDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskd",
        abstract: "OneWindow kiosk service: the touch screen's API, devices and workflow.",
        version: OneWindowVersion.current)

    @Option(name: .long, help: "Configuration directory.")
    var config = "kiosk-config"

    @Option(name: .long, help: "HOST:PORT to listen on (overrides api.listen).")
    var listen: String?

    @Option(name: .long, help: "Data directory (overrides dataDirectory).")
    var data: String?

    @Option(name: .long, help: "Log format: auto (text on a terminal, JSON lines otherwise), text or json.")
    var logFormat = "auto"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    /// End-to-end tests only: the kiosk's clock runs ahead of the system's by what
    /// `POST /api/v1/sim/clock` adds (deadlines passing in a real process). Never in service.
    @Flag(name: .long, help: ArgumentHelp("Tests only: a clock the simulator route moves forward.", visibility: .private))
    var testClock = false

    /// Soak runs only (`make bench-soak`): the kiosk's clock runs this many times faster than
    /// the system's, so 24 hall hours pass in minutes. Never in service.
    @Option(name: .long, help: ArgumentHelp("Soak runs only: the kiosk's clock runs this many times faster.", visibility: .private))
    var testClockRate: Double?

    func validate() throws {
        if let listen, HostPort(listen) == nil { throw ValidationError("--listen '\(listen)' is not HOST:PORT") }
        guard ["auto", "text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be auto, text or json") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level '\(logLevel)' is not a level") }
        if let rate = testClockRate, !(rate > 0 && rate <= 10_000) { throw ValidationError("--test-clock-rate must be in (0, 10000]") }
        if testClock, testClockRate != nil { throw ValidationError("--test-clock and --test-clock-rate are two different test clocks: give one") }
    }

    func run() async throws {
        let format = KioskLogHandler.Format(rawValue: logFormat) ?? KioskLogHandler.automaticFormat
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in KioskLogHandler(label: label, format: format, level: level) }
        let logger = Logger(label: "kioskd")

        var options = KioskOptions(configDirectory: config, listen: listen.flatMap(HostPort.init), dataDirectory: data)
        if testClock {
            options.useTestClock()
            logger.warning("TEST CLOCK: this kiosk's time can be moved forward through POST /api/v1/sim/clock; never run a kiosk in service with --test-clock")
        }
        if let rate = testClockRate {
            options.clock = ScaledClock(rate: rate)
            logger.warning("TEST CLOCK: this kiosk's time runs \(rate)× faster than the system's (--test-clock-rate); never run a kiosk in service with it")
        }
        let kiosk: Kiosk
        do {
            kiosk = try await Kiosk.prepare(options, logger: logger)
        } catch let error as ConfigError {
            for diagnostic in error.diagnostics { logger.error("configuration: \(diagnostic)") }
            logger.critical("refusing to start: the configuration has \(error.errors.count) error(s); `kioskctl config check --config \(config)` lists them")
            throw ExitCode(78)  // EX_CONFIG
        } catch let error as StoreError {
            logger.critical("refusing to start: \(error.message)")
            throw ExitCode(74)  // EX_IOERR
        } catch let error as UpstreamSetupError {
            logger.critical("refusing to start: upstream platform: \(error) (upstream in \(config)/kiosk.yaml)")
            throw ExitCode(78)  // EX_CONFIG
        }
        try await kiosk.run(logger: logger)
    }
}
