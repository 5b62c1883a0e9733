import Testing
@testable import PageImaging

/// libturbojpeg round trips: grayscale encode/decode, reduced-scale decode, YUYV frames.
@Suite struct JPEGCodecTests {
    @Test func grayRoundTripKeepsThePicture() throws {
        let image = SyntheticPage(width: 320, height: 240, seed: 3, noise: 0).render()
        let jpeg = try JPEGEncoder.encode(image, quality: 95)
        #expect(jpeg.starts(with: [0xFF, 0xD8, 0xFF]))
        #expect(try JPEGDecoder.header(jpeg) == JPEGHeader(width: 320, height: 240))
        let back = try JPEGDecoder.decodeGray(jpeg, fast: false)
        #expect(back.width == 320 && back.height == 240)
        let meanError = zip(image.pixels, back.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / image.pixels.count
        #expect(meanError < 4)
    }

    @Test func reducedScaleDecodesAtLibjpegTurboFactors() throws {
        let jpeg = try SyntheticPage(width: 2592, height: 1944, seed: 1).jpeg()
        let quarter = try JPEGDecoder.decodeGray(jpeg, minimumWidth: 640)
        #expect(quarter.width == 648 && quarter.height == 486)
        let eighth = try JPEGDecoder.decodeGray(jpeg, minimumWidth: 300)
        #expect(eighth.width == 324 && eighth.height == 243)
        // The page is analysed at ¼ of 5 MP with the standard thresholds.
        #expect(PageQualityCheck.check(jpeg: jpeg).figures?.analysedWidth == 648)
        #expect(PageQualityCheck.check(jpeg: jpeg).passed)
    }

    @Test func yuyvFrameEncodesToAColourJPEGOfTheSameLuma() throws {
        // A 64×32 frame: luma a left-to-right ramp, chroma neutral (128).
        let (w, h) = (64, 32)
        var frame = [UInt8](repeating: 128, count: w * h * 2)
        for y in 0..<h { for x in 0..<w { frame[y * w * 2 + x * 2] = UInt8(x * 4) } }
        let jpeg = try frame.withUnsafeBytes { try JPEGEncoder.encodeYUYV($0, width: w, height: h, quality: 95) }
        let gray = try JPEGDecoder.decodeGray(jpeg, fast: false)
        #expect(gray.width == w && gray.height == h)
        for x in stride(from: 4, to: w - 4, by: 8) {
            #expect(abs(Int(gray.pixels[16 * w + x]) - x * 4) <= 6, "column \(x): \(gray.pixels[16 * w + x])")
        }
    }

    @Test func aShortYUYVFrameIsAnErrorNotACrash() {
        let frame = [UInt8](repeating: 0, count: 100)
        #expect(throws: JPEGError.self) { try frame.withUnsafeBytes { try JPEGEncoder.encodeYUYV($0, width: 64, height: 32) } }
        #expect(throws: JPEGError.self) { try frame.withUnsafeBytes { try JPEGEncoder.encodeYUYV($0, width: 5, height: 2) } }
    }
}
