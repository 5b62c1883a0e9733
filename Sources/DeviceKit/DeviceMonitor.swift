import Foundation
import Workflow
import Logging
import ServiceLifecycle
import Synchronization

/// The latest status of every device, as the monitor last saw it. Health and alerts read this
/// instead of probing hardware on every request.
public final class DeviceStatusBoard: Sendable {
    /// All devices' reports from one polling round.
    public struct Snapshot: Sendable {
        public var reports: [DeviceStatusReport]
        public var takenAt: Date
    }

    private let latest = Mutex<Snapshot?>(nil)

    public init() {}

    /// Nil until the first round has finished.
    public var snapshot: Snapshot? { latest.withLock { $0 } }

    /// Stores a round's reports and returns those whose status or paper changed.
    @discardableResult
    public func update(_ reports: [DeviceStatusReport], at date: Date = SystemClock().now()) -> [(old: DeviceStatusReport?, new: DeviceStatusReport)] {
        latest.withLock { current in
            let previous = Dictionary((current?.reports ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            current = Snapshot(reports: reports, takenAt: date)
            return reports.compactMap { report in
                let old = previous[report.id]
                if let old, old.status == report.status, old.paper == report.paper { return nil }
                return (old, report)
            }
        }
    }
}

/// Polls every device's status on an interval (a swift-service-lifecycle `Service`), keeps the
/// board current and logs each change of state once.
public struct DeviceMonitor: Service {
    public typealias TransitionHandler = @Sendable (_ old: DeviceStatusReport?, _ new: DeviceStatusReport) async -> Void

    private let devices: [any KioskDevice]
    private let board: DeviceStatusBoard
    private let interval: Duration
    private let logger: Logger
    private let onTransition: TransitionHandler?

    public init(devices: [any KioskDevice], board: DeviceStatusBoard, interval: Duration, logger: Logger,
                onTransition: TransitionHandler? = nil) {
        self.devices = devices
        self.board = board
        self.interval = interval
        self.logger = logger
        self.onTransition = onTransition
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    let settled = await self.pollOnce()
                    // Devices still starting (a reader before its first poll) are looked at again soon.
                    try await Task.sleep(for: settled ? self.interval : .milliseconds(50))
                }
            }
        } catch is CancellationError {
            // Graceful shutdown interrupts the sleep: a normal end, not a failure.
        }
    }

    /// One round: every device checked concurrently; the board updated once. Returns false while
    /// some device is still `starting`.
    @discardableResult
    public func pollOnce() async -> Bool {
        let reports = await Self.checkAll(devices)
        for (old, new) in board.update(reports) {
            var metadata: Logger.Metadata = ["device": "\(new.id)", "status": "\(new.status.rawValue)"]
            if let paper = new.paper { metadata["paper"] = "\(paper.rawValue)" }
            if let detail = new.detail { metadata["detail"] = "\(detail)" }
            if new.status == .starting {
                logger.info("device starting", metadata: metadata)
            } else if old == nil && new.isHealthy {
                logger.info("device ready", metadata: metadata)
            } else if new.isHealthy && old?.status == .starting {
                logger.info("device ready", metadata: metadata)
            } else if new.isHealthy {
                logger.notice("device recovered", metadata: metadata)
            } else {
                logger.warning("device needs attention", metadata: metadata)
            }
            await onTransition?(old, new)
        }
        return !reports.contains { $0.status == .starting }
    }

    /// Checks devices concurrently and returns their reports in the devices' order.
    public static func checkAll(_ devices: [any KioskDevice]) async -> [DeviceStatusReport] {
        await withTaskGroup(of: (Int, DeviceStatusReport).self) { group in
            for (index, device) in devices.enumerated() {
                group.addTask { (index, await device.checkStatus()) }
            }
            var reports = [DeviceStatusReport?](repeating: nil, count: devices.count)
            for await (index, report) in group { reports[index] = report }
            return reports.compactMap { $0 }
        }
    }
}
