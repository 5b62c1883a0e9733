import KioskConfig
import PageImaging

/// A document camera model's profile (`devices/cameras/<name>.yaml`): capture and preview sizes and
/// formats, the V4L2 controls to set, buffers, timeouts and the page quality thresholds.
public struct CameraProfile: Sendable, Hashable, Codable {
    /// Pixel formats the driver asks the camera for.
    public enum PixelFormat: String, Sendable, Hashable, Codable {
        /// Motion-JPEG: each frame is a JPEG, stored as it comes.
        case mjpeg
        /// Packed YUV 4:2:2, encoded to JPEG with libjpeg-turbo.
        case yuyv
    }

    /// A frame size and format.
    public struct Mode: Sendable, Hashable, Codable {
        public var width: Int
        public var height: Int
        public var format: PixelFormat

        public init(width: Int, height: Int, format: PixelFormat) {
            self.width = width
            self.height = height
            self.format = format
        }
    }

    /// One V4L2 control by the name the driver gives it (VIDIOC_QUERYCTRL), and its value.
    public struct Control: Sendable, Hashable, Codable {
        public var name: String
        public var value: Int
    }

    /// Bounds of opening the camera and of waiting for one frame.
    public struct Timeouts: Sendable, Hashable, Codable {
        public var openMilliseconds: Int
        public var frameMilliseconds: Int
    }

    public var name: String
    public var capture: Mode
    public var preview: Mode?
    public var controls: [Control]?
    /// Whether a control the camera lacks is skipped (true, the default) or refuses the camera.
    public var optionalControls: Bool?
    public var buffers: Int?
    public var warmupFrames: Int?
    public var timeouts: Timeouts?
    public var jpegQuality: Int?
    public var quality: QualityThresholds?
    /// How udev recognises the camera (its USB ids) for its stable name and permissions.
    public var udev: UdevMatch?

    public init(name: String, capture: Mode, preview: Mode? = nil, controls: [Control]? = nil, optionalControls: Bool? = nil,
                buffers: Int? = nil, warmupFrames: Int? = nil, timeouts: Timeouts? = nil, jpegQuality: Int? = nil,
                quality: QualityThresholds? = nil) {
        self.name = name; self.capture = capture; self.preview = preview; self.controls = controls
        self.optionalControls = optionalControls; self.buffers = buffers; self.warmupFrames = warmupFrames
        self.timeouts = timeouts; self.jpegQuality = jpegQuality; self.quality = quality
    }

    /// The simulator's profile: a 5 MP page, standard thresholds.
    public static let simulated = CameraProfile(name: "simulated", capture: Mode(width: 2592, height: 1944, format: .mjpeg),
                                                preview: Mode(width: 640, height: 480, format: .yuyv))

    public var thresholds: QualityThresholds { quality ?? .standard }
    public var frameTimeoutMilliseconds: Int { timeouts?.frameMilliseconds ?? 3000 }
    public var openTimeoutMilliseconds: Int { timeouts?.openMilliseconds ?? 2000 }

    /// Loads and checks `devices/cameras/<name>.yaml` under `profilesDirectory`.
    public static func load(name: String, profilesDirectory: String) throws(ConfigError) -> CameraProfile {
        try load(path: "\(profilesDirectory)/\(DeviceKind.documentCamera.profileFolder)/\(name).yaml")
    }

    public static func load(path: String) throws(ConfigError) -> CameraProfile {
        try ProfileLoader.load(CameraProfile.self, path: path) { $0.problems }
    }

    /// What is wrong with the values, each at its key.
    public var problems: [ProfileProblem] {
        var found: [ProfileProblem] = []
        /// A problem at a dotted key path (numbers are list indexes), its message led by the path.
        func add(_ path: String, _ message: String) {
            let elements = path.split(separator: ".").map { part in Int(part).map(PathElement.index) ?? .key(String(part)) }
            found.append(ProfileProblem(at: elements, "\(path): \(message)"))
        }
        func mode(_ m: Mode, _ key: String) {
            if !(16...8192).contains(m.width) { add("\(key).width", "must be 16–8192 pixels") }
            if !(16...8192).contains(m.height) { add("\(key).height", "must be 16–8192 pixels") }
            if m.format == .yuyv && m.width % 2 != 0 { add("\(key).width", "a yuyv width must be even") }
        }
        mode(capture, "capture")
        if let preview { mode(preview, "preview") }
        if let buffers, !(1...8).contains(buffers) { add("buffers", "must be 1–8") }
        if let warmupFrames, !(0...30).contains(warmupFrames) { add("warmupFrames", "must be 0–30") }
        if let jpegQuality, !(30...100).contains(jpegQuality) { add("jpegQuality", "must be 30–100") }
        if let t = timeouts {
            if !(100...30_000).contains(t.openMilliseconds) { add("timeouts.openMilliseconds", "must be 100–30000") }
            if !(100...30_000).contains(t.frameMilliseconds) { add("timeouts.frameMilliseconds", "must be 100–30000") }
        }
        for (i, control) in (controls ?? []).enumerated() where control.name.isEmpty || control.name.utf8.count > 31 {
            add("controls.\(i).name", "must be the driver's control name (1–31 bytes)")
        }
        for problem in quality?.problems ?? [] { add("quality", problem) }
        return found
    }
}
