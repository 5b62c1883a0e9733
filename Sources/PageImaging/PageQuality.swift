/// The limits a page must meet, from the camera's profile (`quality:` in `devices/cameras/*.yaml`).
public struct QualityThresholds: Sendable, Hashable, Codable {
    /// Minimum variance of the Laplacian of the reduced grayscale page (sharpness).
    public var minimumSharpness: Double
    /// Mean luminance (0–255) below which the page is too dark.
    public var minimumMeanLuminance: Double
    /// Mean luminance above which the page is too bright.
    public var maximumMeanLuminance: Double
    /// Largest share (0–1) of pixels at 250 or above (blown out) before the page is too bright.
    public var maximumClippedFraction: Double
    /// The page is analysed at the smallest libjpeg-turbo scale at least this wide (e.g. 648 of 2592: ¼).
    public var analysisWidth: Int

    public init(minimumSharpness: Double = 120, minimumMeanLuminance: Double = 70, maximumMeanLuminance: Double = 240,
                maximumClippedFraction: Double = 0.5, analysisWidth: Int = 640) {
        self.minimumSharpness = minimumSharpness
        self.minimumMeanLuminance = minimumMeanLuminance
        self.maximumMeanLuminance = maximumMeanLuminance
        self.maximumClippedFraction = maximumClippedFraction
        self.analysisWidth = analysisWidth
    }

    /// The defaults for a 5 MP UVC document camera.
    public static let standard = QualityThresholds()

    /// Problems with the values themselves (for profile validation); empty when usable.
    public var problems: [String] {
        var found: [String] = []
        if !(minimumSharpness >= 0) { found.append("minimumSharpness must be ≥ 0") }
        if !(0...255).contains(minimumMeanLuminance) { found.append("minimumMeanLuminance must be 0–255") }
        if !(0...255).contains(maximumMeanLuminance) { found.append("maximumMeanLuminance must be 0–255") }
        if minimumMeanLuminance >= maximumMeanLuminance { found.append("minimumMeanLuminance must be below maximumMeanLuminance") }
        if !(0...1).contains(maximumClippedFraction) { found.append("maximumClippedFraction must be 0–1") }
        if !(64...4096).contains(analysisWidth) { found.append("analysisWidth must be 64–4096") }
        return found
    }
}

/// What the check measured on a page.
public struct QualityFigures: Sendable, Hashable, Codable {
    /// Size of the page and of the reduced image analysed.
    public var width: Int
    public var height: Int
    public var analysedWidth: Int
    public var analysedHeight: Int
    /// Variance of the 4-neighbour Laplacian over the reduced image.
    public var sharpness: Double
    /// Mean luminance, 0–255.
    public var meanLuminance: Double
    /// Share of pixels at 250 or above.
    public var clippedFraction: Double
}

/// Why a page was refused; each has the sentence the citizen's screen shows.
public enum QualityProblem: String, Sendable, Hashable, Codable, CaseIterable {
    case unreadable
    case tooDark
    case tooBright
    case blurred

    /// Chinese, for the screen.
    public var chineseMessage: String {
        switch self {
        case .unreadable: "图像无法识别，请重新拍照"
        case .tooDark: "光线太暗，请调整后重拍"
        case .tooBright: "光线太亮或反光，请调整后重拍"
        case .blurred: "图像模糊，请放平材料后重拍"
        }
    }
}

/// The outcome of a quality check: the figures (when the page could be decoded) and the problem, if any.
public struct QualityVerdict: Sendable, Hashable {
    public var figures: QualityFigures?
    public var problem: QualityProblem?
    /// libturbojpeg's reason when the page could not be decoded.
    public var detail: String?

    public var passed: Bool { problem == nil }
}

/// The page quality check: decode at reduced scale to grayscale, then exposure (mean luminance and
/// blown-out share) and sharpness (variance of the Laplacian). Exposure is judged first: a dark
/// page also has little contrast and would otherwise be called blurred.
public enum PageQualityCheck {
    public static func check(jpeg: [UInt8], thresholds: QualityThresholds = .standard) -> QualityVerdict {
        let header: JPEGHeader
        let image: GrayImage
        do {
            (header, image) = try JPEGDecoder.decodeGrayWithHeader(jpeg, minimumWidth: thresholds.analysisWidth)
        } catch {
            return QualityVerdict(figures: nil, problem: .unreadable, detail: error.description)
        }
        let figures = measure(image, originalWidth: header.width, originalHeight: header.height)
        return QualityVerdict(figures: figures, problem: judge(figures, thresholds), detail: nil)
    }

    /// The problem the figures show under the thresholds, nil when the page passes.
    public static func judge(_ f: QualityFigures, _ t: QualityThresholds) -> QualityProblem? {
        if f.meanLuminance < t.minimumMeanLuminance { return .tooDark }
        if f.meanLuminance > t.maximumMeanLuminance || f.clippedFraction > t.maximumClippedFraction { return .tooBright }
        if f.sharpness < t.minimumSharpness { return .blurred }
        return nil
    }

    /// Measures exposure and sharpness of a grayscale image.
    public static func measure(_ image: GrayImage, originalWidth: Int? = nil, originalHeight: Int? = nil) -> QualityFigures {
        let w = image.width, h = image.height
        var sum = 0, clipped = 0
        var lapSum = 0.0, lapSquares = 0.0, lapCount = 0
        image.pixels.withUnsafeBufferPointer { p in
            for v in p where v >= 250 { clipped += 1 }
            for v in p { sum += Int(v) }
            guard w >= 3, h >= 3 else { return }
            for y in 1..<(h - 1) {
                let row = y * w
                var rowSum = 0, rowSquares = 0
                for x in 1..<(w - 1) {
                    let i = row + x
                    let l = Int(p[i - 1]) + Int(p[i + 1]) + Int(p[i - w]) + Int(p[i + w]) - 4 * Int(p[i])
                    rowSum += l
                    rowSquares += l * l
                }
                lapSum += Double(rowSum)
                lapSquares += Double(rowSquares)
            }
            lapCount = (w - 2) * (h - 2)
        }
        let n = Double(w * h)
        var variance = 0.0
        if lapCount > 0 {
            let mean = lapSum / Double(lapCount)
            variance = max(0, lapSquares / Double(lapCount) - mean * mean)
        }
        return QualityFigures(width: originalWidth ?? w, height: originalHeight ?? h, analysedWidth: w, analysedHeight: h,
                              sharpness: variance, meanLuminance: Double(sum) / n, clippedFraction: Double(clipped) / n)
    }
}
