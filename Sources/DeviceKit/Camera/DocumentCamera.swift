import KioskConfig
import PageImaging

/// A document camera (高拍仪): takes one page as JPEG bytes, and a small preview frame.
public protocol DocumentCamera: KioskDevice {
    /// The model's profile: sizes, controls and the page quality thresholds.
    var profile: CameraProfile { get }
    /// One page at the profile's capture size, as JPEG.
    func capture() async throws(CaptureError) -> [UInt8]
    /// A low-resolution JPEG snapshot for the screen while the citizen positions the paper.
    func preview() async throws(CaptureError) -> [UInt8]
}
