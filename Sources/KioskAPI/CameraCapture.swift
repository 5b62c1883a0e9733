import DeviceKit
import FrontDesk
import HTTPTypes
import Logging
import PageImaging

/// A page for a citizen's material, taken from the document camera or uploaded: checked for
/// sharpness and exposure against the camera profile's thresholds (the standard ones without a camera), refused with the screen's Chinese reason when
/// it fails (422 `page-quality`; the page is not kept), and the materials store's refusals as problems.
enum CameraCapture {
    static let logger = Logger(label: "onewindow.materials")

    /// Captures and checks one page; throws an `APIProblem` the screen can show.
    static func page(from camera: any DocumentCamera) async throws(APIProblem) -> [UInt8] {
        let bytes: [UInt8]
        do throws(CaptureError) { bytes = try await camera.capture() } catch {
            throw APIProblem(error == .noPage ? .conflict : .serviceUnavailable, code: "capture-failed",
                             title: error.chineseMessage, detail: error.description)
        }
        try await checked(bytes, thresholds: camera.profile.thresholds, source: "captured")
        return bytes
    }

    /// Checks a page (captured, or uploaded as `image/jpeg`) for sharpness and exposure; throws the
    /// screen's Chinese reason as 422 `page-quality` when it fails, so the page is never kept.
    static func checked(_ bytes: [UInt8], thresholds: QualityThresholds, source: String) async throws(APIProblem) {
        // Decoding a 5 MP page takes milliseconds of CPU: off the cooperative pool.
        let verdict = await BlockingIO.run { PageQualityCheck.check(jpeg: bytes, thresholds: thresholds) }
        if let problem = verdict.problem {
            var extensions: [String: ProblemValue] = ["reason": .string(problem.rawValue)]
            if let f = verdict.figures {
                extensions["figures"] = .object([
                    "sharpness": .int(Int(f.sharpness.rounded())), "meanLuminance": .int(Int(f.meanLuminance.rounded())),
                    "clippedPercent": .int(Int((f.clippedFraction * 100).rounded())),
                ])
            }
            throw APIProblem(.unprocessableContent, code: "page-quality", title: problem.chineseMessage,
                             detail: "the \(source) page failed the quality check (\(problem.rawValue))"
                                 + (verdict.figures.map { ": sharpness \(Int($0.sharpness)) (min \(Int(thresholds.minimumSharpness))), mean luminance \(Int($0.meanLuminance)) (\(Int(thresholds.minimumMeanLuminance))–\(Int(thresholds.maximumMeanLuminance)))" } ?? "")
                                 + (verdict.detail.map { ": \($0)" } ?? "") + "; it was not kept",
                             extensions: extensions)
        }
    }

    /// Runs a materials-store call, mapping its refusals to problems.
    static func storing<T>(_ body: () async throws(MaterialsStore.AddError) -> T) async throws -> T {
        do { return try await body() } catch {
            switch error {
            case let .desk(desk): throw desk.problem
            case let .materials(m):
                let status: HTTPResponse.Status = switch m.code {
                case .notJPEG: .unprocessableContent
                case .pageTooLarge, .filingTooLarge: .contentTooLarge
                case .diskFull, .ioFailed: .init(code: 507, reasonPhrase: "Insufficient Storage")
                }
                let code = switch m.code {
                case .notJPEG: "not-jpeg"
                case .pageTooLarge: "page-too-large"
                case .filingTooLarge: "filing-too-large"
                case .diskFull: "disk-full"
                case .ioFailed: "store-failed"
                }
                if m.code == .diskFull || m.code == .ioFailed {
                    // A page the data disk refused is a fault staff must hear of; logged once, with its cause.
                    Self.logger.error("page not stored", metadata: ["code": "\(code)", "cause": "\(m.message)"])
                }
                throw APIProblem(status, code: code, title: m.chineseMessage, detail: m.message)
            }
        }
    }
}
