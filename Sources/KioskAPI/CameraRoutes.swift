import DeviceKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// `GET /api/v1/camera/preview`: a low-resolution JPEG snapshot the touch screen shows while the
/// citizen positions the paper, at most `perSecond` a second (more answer 429 with Retry-After).
public struct CameraRoutes: Sendable {
    let camera: (any DocumentCamera)?
    let limiter: PreviewRateLimiter

    public init(camera: (any DocumentCamera)?, perSecond: Int = 4) {
        self.camera = camera
        limiter = PreviewRateLimiter(perSecond: perSecond)
    }

    public func add(to router: Router<KioskRequestContext>) {
        router.get("/api/v1/camera/preview") { _, _ -> Response in
            guard let camera else {
                throw APIProblem(.notFound, code: "no-camera", title: "高拍仪暂时无法使用，请联系工作人员", detail: "no document camera is configured")
            }
            guard limiter.admit(now: ContinuousClock.now) else {
                throw APIProblem(.tooManyRequests, code: "preview-rate", title: "请稍候",
                                 detail: "at most \(limiter.perSecond) previews a second", extensions: ["retryAfterSeconds": .int(1)])
            }
            let jpeg: [UInt8]
            do throws(CaptureError) { jpeg = try await camera.preview() } catch {
                throw APIProblem(.serviceUnavailable, code: "preview-failed", title: error.chineseMessage, detail: error.description)
            }
            return Response(status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: jpeg)))
        }
    }
}

/// A sliding one-second window: at most `perSecond` admissions in any second.
final class PreviewRateLimiter: Sendable {
    let perSecond: Int
    private let recent = Mutex<[ContinuousClock.Instant]>([])

    init(perSecond: Int) { self.perSecond = max(1, perSecond) }

    func admit(now: ContinuousClock.Instant) -> Bool {
        recent.withLock { times in
            times.removeAll { now - $0 >= .seconds(1) }
            guard times.count < perSecond else { return false }
            times.append(now)
            return true
        }
    }
}
