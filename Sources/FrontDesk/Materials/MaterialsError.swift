/// Why a page was not stored; nothing was changed on disk or in the store when this is thrown.
public struct MaterialsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of refusal.
    public enum Code: String, Sendable {
        /// The bytes are not a JPEG image.
        case notJPEG
        /// The page is larger than `maximumPageBytes`.
        case pageTooLarge
        /// The filing's pages would exceed `maximumFilingBytes`.
        case filingTooLarge
        /// Not enough free space (checked before writing, or ENOSPC/EDQUOT while writing).
        case diskFull
        /// Any other I/O failure (permissions, a broken disk).
        case ioFailed
    }

    public var code: Code
    /// English, for logs and technicians: what happened and what to do.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Chinese, for the screen.
    public var chineseMessage: String {
        switch code {
        case .notJPEG: "图像格式不正确，请重新拍摄"
        case .pageTooLarge: "图像过大，请重新拍摄"
        case .filingTooLarge: "本次申请的材料页数过多，请删除部分页面后再拍"
        case .diskFull: "存储空间不足，暂时无法拍照，请联系工作人员"
        case .ioFailed: "材料保存失败，请联系工作人员"
        }
    }
}
