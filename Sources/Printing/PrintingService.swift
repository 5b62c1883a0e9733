import AsyncAlgorithms
import DeviceKit
import KioskConfig
import Logging
import ServiceLifecycle
import Store
import Workflow

/// Follows every printer's jobs a few times a second (recovering, at its first round, jobs a
/// previous run left mid-submission) until the kiosk shuts down.
public struct PrintingService: Service {
    public let printers: [SlipPrinter]
    let interval: Duration

    public init(printers: [SlipPrinter], interval: Duration = .milliseconds(250)) {
        self.printers = printers
        self.interval = interval
    }

    public func run() async throws {
        // The first round at once (it recovers what a previous run left mid-submission), then on the timer.
        for printer in printers { await printer.followActiveJobs() }
        for await _ in AsyncTimerSequence.repeating(every: interval).cancelOnGracefulShutdown() {
            for printer in printers { await printer.followActiveJobs() }
        }
    }
}

/// Builds the kiosk's printers: every receipt or ticket printer bound to CUPS or to the simulator
/// becomes a `SlipPrinter` (a binding whose profile does not load becomes a `MisconfiguredDevice`
/// saying why).
public enum PrinterFleet {
    public static func attach(to devices: [any KioskDevice], profilesDirectory: String, store: KioskStore, kioskId: String,
                              clock: any KioskClock = SystemClock(),
                              logger: Logger) -> (devices: [any KioskDevice], printers: [SlipPrinter]) {
        var printers: [SlipPrinter] = []
        let replaced = devices.map { device -> any KioskDevice in
            let binding = device.binding
            guard binding.driver == .cups || binding.driver == .simulated, binding.kind == .receiptPrinter || binding.kind == .ticketPrinter else { return device }
            do {
                let printer = try SlipPrinter(binding: binding, profilesDirectory: profilesDirectory, store: store,
                                              kioskId: kioskId, logger: logger, clock: clock)
                printers.append(printer)
                return printer
            } catch {
                return MisconfiguredDevice(binding: binding, reason: "printer profile: \(error)")
            }
        }
        return (replaced, printers)
    }
}
