import BlockingWork
import KioskConfig
import Logging
import PageImaging
import Synchronization

/// A UVC document camera through V4L2 (`driver: v4l2`, `path: /dev/videoN`, `profile:`). Opens the
/// node when first needed, sets the profile's controls, and for each page sets the capture format,
/// streams, takes one frame and stops: MJPEG frames are kept as they come, YUYV frames are encoded
/// to JPEG with libjpeg-turbo. Unplugged (ENODEV) → `powerOff`, the handle is dropped and the node
/// opened afresh at the next status check or capture. All device work runs on the process's blocking
/// pool, one item at a time through the camera's own lane (the node is not thread-safe), never on the
/// cooperative pool, and every call is bounded by the profile's timeouts.
public final class V4L2Camera: DocumentCamera, ResettableDevice, @unchecked Sendable {
    public let binding: DeviceBinding
    public let profile: CameraProfile
    public let path: String
    let logger: Logger
    /// The camera's items on the blocking pool run one at a time, in order.
    private let lane = BlockingLane()
    /// The open node (opened, dropped and re-opened only by work on `lane`) and whether it was ever
    /// open: a node that disappears afterwards was unplugged (`powerOff`), one that never existed is
    /// a configuration matter (`noDevice`).
    let supervisor: ConnectionSupervisor<V4L2Device>
    private let lastStatus = Mutex<DeviceStatus>(.starting)
    /// Captures and previews under way: a status check then reports the last state instead of
    /// queueing a QUERYCAP behind a stream that may take seconds (and timing out spuriously).
    private let streaming = Atomic<Int>(0)

    public init(binding: DeviceBinding, profile: CameraProfile, logger: Logger) {
        self.binding = binding
        self.profile = profile
        path = binding.path ?? "/dev/video0"
        self.logger = logger
        // The camera is opened on demand (a status check, a capture), never polled: no backoff.
        supervisor = ConnectionSupervisor(binding: binding, backoff: .init(first: .zero, doublings: 0, maximum: .zero),
                                          wording: .init(absentAdvice: "check the camera's cable",
                                                         unplugged: "the camera was unplugged; it is re-opened when it answers again"),
                                          close: { $0.close() })
    }

    /// Loads the binding's profile (`devices/cameras/<profile>.yaml`, default `generic-uvc-5mp`).
    public convenience init(binding: DeviceBinding, profilesDirectory: String, logger: Logger) throws(ConfigError) {
        self.init(binding: binding, profile: try CameraProfile.load(name: binding.profile ?? "generic-uvc-5mp", profilesDirectory: profilesDirectory),
                  logger: logger)
    }

    // MARK: KioskDevice

    public func checkStatus() async -> DeviceStatusReport {
        if streaming.load(ordering: .relaxed) > 0 {
            return DeviceStatusReport(binding: binding, status: lastStatus.withLock { $0 }, detail: "capturing")
        }
        let result = await run(timeoutMilliseconds: profile.openTimeoutMilliseconds) { camera throws(V4L2Error) in
            _ = try camera.openedDevice().capabilities()
        }
        switch result {
        case .success:
            lastStatus.withLock { $0 = .online }
            return DeviceStatusReport(binding: binding, status: .online)
        case let .failure(error):
            let status = Self.status(for: error, everOpened: supervisor.everConnected)
            lastStatus.withLock { $0 = status }
            return DeviceStatusReport(binding: binding, status: status, detail: error.description, action: Self.action(for: error))
        }
    }

    public func capture() async throws(CaptureError) -> [UInt8] {
        do throws(V4L2Error) { return try await capturePage() } catch { throw Self.captureError(error) }
    }

    /// `capture()` with the driver's own error, whose code says what failed (for the technician's CLI).
    public func capturePage() async throws(V4L2Error) -> [UInt8] {
        try await frame(profile.capture, warmup: profile.warmupFrames ?? 2, quality: profile.jpegQuality ?? 85)
    }

    public func preview() async throws(CaptureError) -> [UInt8] {
        do throws(V4L2Error) { return try await frame(profile.preview ?? profile.capture, warmup: 0, quality: 70) } catch {
            throw Self.captureError(error)
        }
    }

    /// Closes the node; the next use opens it afresh.
    public func reset() async throws -> DeviceStatusReport {
        _ = await run(timeoutMilliseconds: profile.openTimeoutMilliseconds) { camera throws(V4L2Error) in camera.drop(unplugged: false) }
        return await checkStatus()
    }

    // MARK: work on the camera's lane

    /// What the screen is told of a driver failure.
    static func captureError(_ error: V4L2Error) -> CaptureError {
        error.code == .timedOut ? .timedOut(error.description) : .unavailable(error.description)
    }

    func frame(_ mode: CameraProfile.Mode, warmup: Int, quality: Int) async throws(V4L2Error) -> [UInt8] {
        let profile = self.profile
        // The whole grab (set format, stream, warm-up frames, encode) within open + warm-up + frame timeouts.
        let budget = profile.openTimeoutMilliseconds + (warmup + 1) * profile.frameTimeoutMilliseconds
        streaming.add(1, ordering: .relaxed)
        defer { streaming.subtract(1, ordering: .relaxed) }
        let result = await run(timeoutMilliseconds: budget) { camera throws(V4L2Error) -> [UInt8] in
            let device = try camera.openedDevice()
            let fourcc: FourCC = mode.format == .mjpeg ? .mjpeg : .yuyv
            let format = try device.setFormat(width: mode.width, height: mode.height, fourcc: fourcc)
            let frame = try device.grab(format: format, buffers: profile.buffers ?? 2, warmupFrames: warmup,
                                        timeoutMilliseconds: (warmup + 1) * profile.frameTimeoutMilliseconds)
            return try Self.jpeg(from: frame, quality: quality)
        }
        switch result {
        case let .success(bytes):
            lastStatus.withLock { $0 = .online }
            return bytes
        case let .failure(error):
            lastStatus.withLock { $0 = Self.status(for: error, everOpened: supervisor.everConnected) }
            logger.warning("camera capture failed", metadata: ["device": "\(binding.id)", "error": "\(error)"])
            throw error
        }
    }

    /// The frame as JPEG: MJPEG as it came (checked to be one), YUYV encoded.
    static func jpeg(from frame: V4L2Frame, quality: Int) throws(V4L2Error) -> [UInt8] {
        if frame.format.fourcc == .yuyv {
            let encoded: Result<[UInt8], JPEGError> = frame.bytes.withUnsafeBytes { raw in
                do throws(JPEGError) {
                    return .success(try JPEGEncoder.encodeYUYV(raw, width: frame.format.width, height: frame.format.height,
                                                               stride: frame.format.bytesPerLine > 0 ? frame.format.bytesPerLine : nil,
                                                               quality: quality))
                } catch { return .failure(error) }
            }
            switch encoded {
            case let .success(jpeg): return jpeg
            case let .failure(error): throw V4L2Error(.failed, "the YUYV frame could not be encoded: \(error)")
            }
        }
        guard frame.bytes.count >= 4, frame.bytes[0] == 0xFF, frame.bytes[1] == 0xD8 else {
            throw V4L2Error(.failed, "the \(frame.format.fourcc) frame of \(frame.bytes.count) bytes is not a JPEG (no SOI marker)")
        }
        return frame.bytes
    }

    /// The open device, opening it and setting the profile's controls when there is none.
    private func openedDevice() throws(V4L2Error) -> V4L2Device {
        let link = supervisor.connection(open: { () throws(V4L2Error) -> V4L2Device in try self.openNode() }) { (error: V4L2Error) in
            error.code == .gone || error.code == .noDevice ? .absent : .unusable
        }
        switch link {
        case let .open(device):
            return device
        case let .opened(device, returned):
            if returned {
                logger.notice("camera re-opened after it returned", metadata: ["device": "\(binding.id)", "path": "\(path)"])
            }
            return device
        case let .failed(error, _):
            throw error
        }
    }

    /// Opens the node, checks it streams and sets the profile's controls.
    private func openNode() throws(V4L2Error) -> V4L2Device {
        let opened = try V4L2Device(path: path)
        let caps = try opened.capabilities()
        guard caps.canCapture, caps.canStream else {
            throw V4L2Error(.unsupported, "\(path) (\(caps.card)) is not a streaming video capture device")
        }
        for control in profile.controls ?? [] {
            let found = try opened.setControl(named: control.name, to: control.value)
            if !found {
                guard profile.optionalControls ?? true else {
                    throw V4L2Error(.unsupported, "\(caps.card) has no control '\(control.name)' the profile requires")
                }
                logger.info("camera has no such control; skipped", metadata: ["device": "\(binding.id)", "control": "\(control.name)"])
            }
        }
        if !supervisor.everConnected {
            logger.info("camera opened", metadata: ["device": "\(binding.id)", "card": "\(caps.card)", "path": "\(path)"])
        }
        return opened
    }

    /// Drops the handle of a camera that went away (`unplugged`) or is reset; the next use opens it afresh.
    private func drop(unplugged: Bool) {
        guard supervisor.connection != nil else { return }
        logger.warning("camera handle dropped; it is re-opened when it answers again", metadata: ["device": "\(binding.id)"])
        if unplugged { supervisor.unplugged() } else { supervisor.drop() }
    }

    /// Runs `body` on the camera's lane; an unplugged device is dropped so it is re-opened later.
    /// If the work does not finish within the timeout the caller gets `.timedOut` at once (the stuck
    /// call finishes on its thread by itself; later work of the lane waits behind it and times out too).
    private func run<T: Sendable>(timeoutMilliseconds: Int, _ body: @escaping @Sendable (V4L2Camera) throws(V4L2Error) -> T) async
        -> Result<T, V4L2Error> {
        let path = self.path
        do throws(V4L2Error) {
            return .success(try await BlockingPool.shared.run(timeout: .milliseconds(timeoutMilliseconds), on: lane, { () throws(V4L2Error) -> T in
                do throws(V4L2Error) { return try body(self) } catch {
                    if error.code == .gone || error.code == .noDevice { self.drop(unplugged: true) }
                    throw error
                }
            }, interrupted: { reason in
                switch reason {
                case .deadlineExceeded: V4L2Error(.timedOut, "\(path) did not answer within \(timeoutMilliseconds) ms")
                case .cancelled, .poolStopped: V4L2Error(.failed, "\(path) was not asked: \(reason)")
                }
            }))
        } catch {
            return .failure(error)
        }
    }

    static func status(for error: V4L2Error, everOpened: Bool) -> DeviceStatus {
        switch error.code {
        case .gone: .powerOff
        case .noDevice: everOpened ? .powerOff : .noDevice
        case .busy: .busy
        case .timedOut, .failed: .hardwareError
        case .unsupported: .hardwareError
        }
    }

    static func action(for error: V4L2Error) -> TechnicianAction {
        switch error.code {
        case .gone, .noDevice: .maintenance
        case .busy, .timedOut, .failed: .reset
        case .unsupported: .configuration
        }
    }
}
