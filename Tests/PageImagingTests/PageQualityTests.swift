import Testing
@testable import PageImaging

/// The quality check on pages generated in code, decoded and measured by the real libturbojpeg.
@Suite struct PageQualityTests {
    // Half of a 5 MP page keeps the debug-build tests quick; the check analyses both at ~648 wide.
    static let size = (width: 1296, height: 972)

    func page(blur: Int = 0, exposure: Double = 1, seed: UInt64 = 7) throws -> [UInt8] {
        try SyntheticPage(width: Self.size.width, height: Self.size.height, seed: seed, blurRadius: blur, exposure: exposure).jpeg()
    }

    @Test func aSharpWellLitPagePasses() throws {
        let verdict = PageQualityCheck.check(jpeg: try page())
        #expect(verdict.passed, "\(String(describing: verdict.figures))")
        let f = try #require(verdict.figures)
        #expect(f.width == 1296 && f.height == 972)
        #expect(f.analysedWidth == 648 && f.analysedHeight == 486)   // libturbojpeg's 1/2 scale
        #expect(f.meanLuminance > 150 && f.meanLuminance < 235)
        #expect(f.sharpness > QualityThresholds.standard.minimumSharpness * 2)
    }

    @Test func aBlurredPageIsRefusedWithTheChineseReason() throws {
        let verdict = PageQualityCheck.check(jpeg: try page(blur: 4))
        #expect(verdict.problem == .blurred, "\(String(describing: verdict.figures))")
        #expect(verdict.problem?.chineseMessage == "图像模糊，请放平材料后重拍")
        // Same exposure as the sharp page: only sharpness differs.
        let sharp = try #require(PageQualityCheck.check(jpeg: try page()).figures)
        let blurred = try #require(verdict.figures)
        #expect(abs(sharp.meanLuminance - blurred.meanLuminance) < 3)
        #expect(blurred.sharpness < sharp.sharpness / 4)
    }

    @Test func sharpnessFallsAsBlurGrows() throws {
        let figures = try [0, 1, 2, 4].map { try #require(PageQualityCheck.check(jpeg: try page(blur: $0)).figures).sharpness }
        #expect(figures == figures.sorted(by: >), "\(figures)")
    }

    @Test func aDarkPageIsRefusedAsDarkNotBlurred() throws {
        let verdict = PageQualityCheck.check(jpeg: try page(exposure: 0.25))
        #expect(verdict.problem == .tooDark, "\(String(describing: verdict.figures))")
        #expect(verdict.problem?.chineseMessage == "光线太暗，请调整后重拍")
    }

    @Test func aGlaringPageIsRefusedAsTooBright() throws {
        let verdict = PageQualityCheck.check(jpeg: try page(exposure: 1.6))
        #expect(verdict.problem == .tooBright, "\(String(describing: verdict.figures))")
        let f = try #require(verdict.figures)
        #expect(f.clippedFraction > 0.5)
    }

    @Test func thresholdsComeFromTheCaller() throws {
        let jpeg = try page()
        let f = try #require(PageQualityCheck.check(jpeg: jpeg).figures)
        var strict = QualityThresholds.standard
        strict.minimumSharpness = f.sharpness + 1
        #expect(PageQualityCheck.check(jpeg: jpeg, thresholds: strict).problem == .blurred)
        strict = .standard
        strict.minimumMeanLuminance = f.meanLuminance + 1
        strict.maximumMeanLuminance = 255
        #expect(PageQualityCheck.check(jpeg: jpeg, thresholds: strict).problem == .tooDark)
    }

    @Test func garbageAndTruncatedJPEGAreUnreadableNotACrash() throws {
        let good = try page()
        for bad in [[], [0xFF, 0xD8, 0xFF], Array("not a picture at all".utf8), Array(good.prefix(good.count / 3)),
                    [0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 0x41, count: 500)] {
            let verdict = PageQualityCheck.check(jpeg: bad)
            #expect(verdict.problem == .unreadable)
            #expect(verdict.figures == nil)
            #expect(verdict.detail?.isEmpty == false)
        }
    }

    /// Many UVC cameras send MJPEG frames without Huffman tables (DHT), relying on the standard ones;
    /// they are stored as they come, so the check must read them.
    @Test func anMJPEGFrameWithoutHuffmanTablesIsCheckedLikeTheFullJPEG() throws {
        let jpeg = try page()
        var stripped: [UInt8] = [0xFF, 0xD8]
        var i = 2
        while i + 3 < jpeg.count {
            let marker = jpeg[i + 1]
            if marker == 0xDA { stripped += jpeg[i...]; break }
            let length = Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])
            if marker != 0xC4 { stripped += jpeg[i..<(i + 2 + length)] }
            i += 2 + length
        }
        #expect(stripped.count < jpeg.count)
        // No DHT marker is left in the headers (entropy data never holds FF C4: FF is stuffed with 00).
        #expect(!stripped.indices.dropLast().contains { stripped[$0] == 0xFF && stripped[$0 + 1] == 0xC4 })
        let full = try #require(PageQualityCheck.check(jpeg: jpeg).figures)
        let bare = try #require(PageQualityCheck.check(jpeg: stripped).figures)
        #expect(full == bare)
    }

    @Test func thresholdProblemsAreNamed() {
        #expect(QualityThresholds.standard.problems.isEmpty)
        let bad = QualityThresholds(minimumSharpness: -1, minimumMeanLuminance: 200, maximumMeanLuminance: 100,
                                    maximumClippedFraction: 2, analysisWidth: 10)
        #expect(bad.problems.count == 4)
    }
}
