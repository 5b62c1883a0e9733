import DeviceKit
import FrontDesk
import Logging
import PageImaging

/// The use case "a page for a material": taken from the document camera (no upload) or uploaded,
/// checked for sharpness and exposure against the camera profile's thresholds (the standard ones
/// without a camera), then stored and linked to the open draft's material. A page that fails the
/// check is never kept; a store refusal caused by the data disk is logged once with its cause.
public struct PageCapture: Sendable {
    let visit: CitizenVisit
    let pages: MaterialsStore
    let camera: (any DocumentCamera)?
    static let logger = Logger(label: "onewindow.materials")

    public init(visit: CitizenVisit, pages: MaterialsStore, camera: (any DocumentCamera)?) {
        self.visit = visit
        self.pages = pages
        self.camera = camera
    }

    /// The largest page body a transport should accept.
    public var maximumPageBytes: Int { pages.maximumPageBytes }

    /// Adds a page to `material` of the open draft `draftID`: `upload` when the citizen sent one,
    /// otherwise a page from the camera. Answers the page's SHA-256 and the material's page count.
    public func addPage(draftID: String, material: String, upload: [UInt8]) async throws -> (sha256: String, pages: Int) {
        let draft = try await visit.openDraft(draftID)
        guard draft.slots.contains(where: { $0.requirement.material.code == material }) else { throw CitizenRefusal.noSuchMaterial(material) }
        let bytes: [UInt8]
        if upload.isEmpty {
            guard let camera else { throw CitizenRefusal.noCamera }
            bytes = try await Self.capture(from: camera)
        } else {
            // An uploaded page meets the same check as a captured one (every page is checked).
            try await Self.check(upload, thresholds: camera?.profile.thresholds ?? .standard, source: "uploaded")
            bytes = upload
        }
        do {
            return try await pages.addPage(bytes, desk: visit.desk, draftID: draft.id, materialCode: material)
        } catch {
            switch error {
            case let .desk(desk): throw desk
            case let .materials(m):
                if m.code == .diskFull || m.code == .ioFailed {
                    // A page the data disk refused is a fault staff must hear of; logged once, with its cause.
                    Self.logger.error("page not stored", metadata: ["code": "\(m.code)", "cause": "\(m.message)"])
                }
                throw CitizenRefusal.pageNotStored(m)
            }
        }
    }

    /// Captures and checks one page from `camera`.
    public static func capture(from camera: any DocumentCamera) async throws(CitizenRefusal) -> [UInt8] {
        let bytes: [UInt8]
        do throws(CaptureError) { bytes = try await camera.capture() } catch { throw .captureFailed(error) }
        try await check(bytes, thresholds: camera.profile.thresholds, source: "captured")
        return bytes
    }

    /// Checks a page for sharpness and exposure; refuses it (not kept) when it fails.
    public static func check(_ bytes: [UInt8], thresholds: QualityThresholds, source: String) async throws(CitizenRefusal) {
        // Decoding a 5 MP page takes milliseconds of CPU: off the cooperative pool.
        let verdict = await BlockingIO.run { PageQualityCheck.check(jpeg: bytes, thresholds: thresholds) }
        if !verdict.passed { throw .pageQuality(verdict, thresholds: thresholds, source: source) }
    }
}
