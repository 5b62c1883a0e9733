/// Why a page could not be captured, with the sentence the citizen's screen shows.
public enum CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing to capture (the simulator has no page queued and generates none).
    case noPage
    /// The camera is not streaming (unplugged, busy, failed).
    case unavailable(String)
    /// The camera answered but no frame came within the profile's frame timeout.
    case timedOut(String)

    public var description: String {
        switch self {
        case .noPage: "no page is under the camera"
        case let .unavailable(reason): "the document camera cannot capture: \(reason)"
        case let .timedOut(reason): "the document camera gave no frame in time: \(reason)"
        }
    }

    /// Chinese, for the screen.
    public var chineseMessage: String {
        switch self {
        case .noPage: "请将材料平放在高拍仪下后再拍照"
        case .unavailable: "高拍仪暂时无法使用，请联系工作人员"
        case .timedOut: "高拍仪没有响应，请稍后重试"
        }
    }
}
