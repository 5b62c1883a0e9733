import BlockingWork
import KioskConfig
import PageImaging
import Synchronization

/// The simulated document camera of the demo and tests: it "captures" the pages fed to it
/// (`POST /api/v1/sim/camera/next-page`), oldest first, at most `capacity` waiting; with nothing
/// fed it generates a page in code (`SyntheticPage` at the profile's capture size, a new seed
/// each time, with the blur and exposure of `conditions`) unless generation is off.
public final class SimulatedCamera: DocumentCamera, ResettableDevice {
    /// How the generated pages come out (the demo sets blur or darkness to show a refused page).
    public struct Conditions: Sendable, Hashable {
        public var blurRadius: Int
        public var exposure: Double

        public init(blurRadius: Int = 0, exposure: Double = 1) {
            self.blurRadius = blurRadius
            self.exposure = exposure
        }
    }

    public let binding: DeviceBinding
    public let profile: CameraProfile
    public let capacity: Int
    /// Whether a capture with nothing fed generates a page (true) or fails with `.noPage`.
    public let generatesPages: Bool
    private let state: Mutex<(queued: [[UInt8]], conditions: Conditions, nextSeed: UInt64)>

    public init(binding: DeviceBinding, profile: CameraProfile = .simulated, capacity: Int = 16, generatesPages: Bool = true,
                firstSeed: UInt64 = 1) {
        self.binding = binding
        self.profile = profile
        self.capacity = capacity
        self.generatesPages = generatesPages
        state = Mutex((queued: [], conditions: Conditions(), nextSeed: firstSeed))
    }

    public func checkStatus() async -> DeviceStatusReport {
        DeviceStatusReport(binding: binding, status: .online)
    }

    /// Queues the image the next capture returns; false when `capacity` pages already wait.
    @discardableResult
    public func feed(_ jpeg: [UInt8]) -> Bool {
        state.withLock { state in
            guard state.queued.count < capacity else { return false }
            state.queued.append(jpeg)
            return true
        }
    }

    /// Sets the blur and exposure of the pages generated from now on.
    public func set(conditions: Conditions) {
        state.withLock { $0.conditions = conditions }
    }

    public var conditions: Conditions { state.withLock { $0.conditions } }

    public func capture() async throws(CaptureError) -> [UInt8] {
        enum Next { case fed([UInt8]), generate(SyntheticPage), nothing }
        let next = state.withLock { state -> Next in
            if !state.queued.isEmpty { return .fed(state.queued.removeFirst()) }
            guard generatesPages else { return .nothing }
            defer { state.nextSeed &+= 1 }
            return .generate(SyntheticPage(width: profile.capture.width, height: profile.capture.height, seed: state.nextSeed,
                                           blurRadius: state.conditions.blurRadius, exposure: state.conditions.exposure))
        }
        switch next {
        case .nothing: throw .noPage
        case let .fed(page): return page
        case let .generate(page): return try await Self.encode(page, quality: profile.jpegQuality ?? 85)
        }
    }

    /// A generated page at the profile's preview size (queued pages are left for the capture).
    public func preview() async throws(CaptureError) -> [UInt8] {
        let mode = profile.preview ?? CameraProfile.Mode(width: 640, height: 480, format: .yuyv)
        let (conditions, seed) = state.withLock { ($0.conditions, $0.nextSeed) }
        let scale = Double(mode.width) / Double(max(1, profile.capture.width))
        let page = SyntheticPage(width: mode.width, height: mode.height, seed: seed,
                                 blurRadius: Int((Double(conditions.blurRadius) * scale).rounded()), exposure: conditions.exposure)
        return try await Self.encode(page, quality: 70)
    }

    static func encode(_ page: SyntheticPage, quality: Int) async throws(CaptureError) -> [UInt8] {
        // Drawing a 5 MP page takes tens of milliseconds: off the cooperative pool.
        try await BlockingPool.shared.run({ () throws(CaptureError) -> [UInt8] in
            do throws(JPEGError) { return try page.jpeg(quality: quality) } catch {
                throw CaptureError.unavailable("the simulator could not encode its page: \(error)")
            }
        }, interrupted: { CaptureError.unavailable("the simulator did not draw its page: \($0)") })
    }

    /// Drops the queued pages and goes back to sharp, well-lit pages.
    public func reset() async throws -> DeviceStatusReport {
        state.withLock { $0.queued.removeAll(); $0.conditions = Conditions() }
        return await checkStatus()
    }
}
