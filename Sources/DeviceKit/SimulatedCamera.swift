import KioskConfig
import Synchronization

/// Why a page could not be captured, with the sentence the citizen's screen shows.
public enum CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing to capture (the simulator has no page queued).
    case noPage
    /// The camera is not streaming (unplugged, busy, failed).
    case unavailable(String)

    public var description: String {
        switch self {
        case .noPage: "no page is under the camera"
        case let .unavailable(reason): "the document camera cannot capture: \(reason)"
        }
    }

    /// Chinese, for the screen.
    public var chineseMessage: String {
        switch self {
        case .noPage: "请将材料平放在高拍仪下后再拍照"
        case .unavailable: "高拍仪暂时无法使用，请联系工作人员"
        }
    }
}

/// A document camera (高拍仪): takes one page as JPEG bytes.
public protocol DocumentCamera: KioskDevice {
    func capture() async throws(CaptureError) -> [UInt8]
}

/// The simulated document camera of the demo and tests: it "captures" the pages fed to it
/// (`POST /api/v1/sim/camera/next-page`), oldest first, at most `capacity` waiting.
public final class SimulatedCamera: DocumentCamera, ResettableDevice {
    public let binding: DeviceBinding
    public let capacity: Int
    private let queued = Mutex<[[UInt8]]>([])

    public init(binding: DeviceBinding, capacity: Int = 16) {
        self.binding = binding
        self.capacity = capacity
    }

    public func checkStatus() async -> DeviceStatusReport {
        DeviceStatusReport(binding: binding, status: .online)
    }

    /// Queues the image the next capture returns; false when `capacity` pages already wait.
    @discardableResult
    public func feed(_ jpeg: [UInt8]) -> Bool {
        queued.withLock { pages in
            guard pages.count < capacity else { return false }
            pages.append(jpeg)
            return true
        }
    }

    public func capture() async throws(CaptureError) -> [UInt8] {
        guard let page = queued.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { throw .noPage }
        return page
    }

    /// Drops the queued pages.
    public func reset() async throws -> DeviceStatusReport {
        queued.withLock { $0.removeAll() }
        return await checkStatus()
    }
}
