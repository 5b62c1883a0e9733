import CTurboJPEG

/// Encodes images to JPEG through libturbojpeg: grayscale pages (the simulator) and packed
/// YUYV 4:2:2 camera frames (V4L2 cameras at small sizes), without going through RGB.
public enum JPEGEncoder {
    /// Encodes a grayscale image (one component).
    public static func encode(_ image: GrayImage, quality: Int = 85) throws(JPEGError) -> [UInt8] {
        guard let handle = tjInitCompress() else { throw JPEGError(.encodingFailed, "tjInitCompress failed") }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let rc = image.pixels.withUnsafeBufferPointer { source in
            tjCompress2(handle, source.baseAddress, Int32(image.width), Int32(image.width), Int32(image.height),
                        Int32(TJPF_GRAY.rawValue), &output, &size, Int32(TJSAMP_GRAY.rawValue), Int32(quality), 0)
        }
        defer { tjFree(output) }
        guard rc == 0, let output else { throw JPEGError(.encodingFailed, JPEGDecoder.message(handle)) }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    /// Encodes a packed YUYV (Y0 U Y1 V) frame of `width × height` (width even) as 4:2:2 JPEG.
    /// `stride` is the frame's bytes per line (V4L2 `bytesperline`; at least `width * 2`).
    public static func encodeYUYV(_ frame: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int? = nil,
                                  quality: Int = 85) throws(JPEGError) -> [UInt8] {
        let lineBytes = stride ?? width * 2
        guard width > 0, height > 0, width % 2 == 0, lineBytes >= width * 2, frame.count >= lineBytes * height else {
            throw JPEGError(.encodingFailed, "a \(width)×\(height) YUYV frame needs \(width * 2 * height) bytes (even width), got \(frame.count)")
        }
        // Unpack to planar I422 (Y plane, then U and V planes of half width), rows unpadded.
        let chroma = width / 2
        var planar = [UInt8](repeating: 0, count: width * height + 2 * chroma * height)
        planar.withUnsafeMutableBufferPointer { out in
            let bytes = frame.bindMemory(to: UInt8.self)
            let uBase = width * height, vBase = uBase + chroma * height
            for row in 0..<height {
                let line = row * lineBytes
                for pair in 0..<chroma {
                    let p = line + pair * 4
                    out[row * width + pair * 2] = bytes[p]
                    out[row * width + pair * 2 + 1] = bytes[p + 2]
                    out[uBase + row * chroma + pair] = bytes[p + 1]
                    out[vBase + row * chroma + pair] = bytes[p + 3]
                }
            }
        }
        guard let handle = tjInitCompress() else { throw JPEGError(.encodingFailed, "tjInitCompress failed") }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let rc = planar.withUnsafeBufferPointer { source in
            tjCompressFromYUV(handle, source.baseAddress, Int32(width), 1, Int32(height), Int32(TJSAMP_422.rawValue),
                              &output, &size, Int32(quality), 0)
        }
        defer { tjFree(output) }
        guard rc == 0, let output else { throw JPEGError(.encodingFailed, JPEGDecoder.message(handle)) }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }
}
