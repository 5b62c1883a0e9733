#if canImport(Glibc)
import Glibc
#endif

/// A failure of the V4L2 driver, with the ioctl or step that failed and the errno's text.
public struct V4L2Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, which decides the device status and the technician's action.
    public enum Code: String, Sendable {
        /// The node does not exist or is not a capture device (wrong path, no camera plugged).
        case noDevice
        /// The device went away while open (ENODEV): unplugged. Re-open when it returns.
        case gone
        /// No frame within the timeout.
        case timedOut
        /// The camera cannot do what the profile asks (size, format, streaming, a required control).
        case unsupported
        /// Busy (another program streams from it: EBUSY).
        case busy
        /// Any other ioctl failure.
        case failed
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Classifies a failed call by its errno.
    static func from(errno value: Int32, _ step: String) -> V4L2Error {
        let text = "\(step): \(String(cString: strerror(value))) (errno \(value))"
        switch value {
        case ENODEV, ENXIO: return V4L2Error(.gone, text + "; the camera was unplugged or lost power")
        case ENOENT: return V4L2Error(.noDevice, text + "; check the binding's path and that the camera is plugged in")
        case EBUSY: return V4L2Error(.busy, text + "; another program is using the camera")
        case ENOTTY, EINVAL: return V4L2Error(.unsupported, text)
        default: return V4L2Error(.failed, text)
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
