import CTurboJPEG

/// What a JPEG header says.
public struct JPEGHeader: Sendable, Equatable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// Decodes JPEG through libturbojpeg, to grayscale, optionally at a reduced scale chosen among the
/// scaling factors libjpeg-turbo supports (1/8 … 2, computed inside the IDCT so a 1/4 decode costs
/// far less than a full one). A handle is made per call: decoding is thread-safe and `Sendable`.
public enum JPEGDecoder {
    /// Largest side accepted (a 5 MP page is 2592 × 1944; 16384 leaves room and bounds memory).
    public static let maximumSide = 16_384

    /// Reads the header only.
    public static func header(_ jpeg: [UInt8]) throws(JPEGError) -> JPEGHeader {
        guard let handle = tjInitDecompress() else { throw JPEGError(.undecodable, "tjInitDecompress failed") }
        defer { tjDestroy(handle) }
        return try header(jpeg, handle: handle)
    }

    static func header(_ jpeg: [UInt8], handle: tjhandle) throws(JPEGError) -> JPEGHeader {
        guard jpeg.count >= 4 else { throw JPEGError(.undecodable, "\(jpeg.count) bytes are not a JPEG image") }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let rc = jpeg.withUnsafeBufferPointer { buffer in
            tjDecompressHeader3(handle, buffer.baseAddress, UInt(buffer.count), &width, &height, &subsampling, &colorspace)
        }
        guard rc == 0 else { throw JPEGError(.undecodable, message(handle)) }
        guard width > 0, height > 0 else { throw JPEGError(.undecodable, "header gives \(width)×\(height)") }
        guard width <= maximumSide, height <= maximumSide else {
            throw JPEGError(.tooLarge, "\(width)×\(height) is larger than \(maximumSide) pixels a side")
        }
        return JPEGHeader(width: Int(width), height: Int(height))
    }

    /// The scaled size libturbojpeg produces for the smallest supported factor whose width is still
    /// at least `minimumWidth` (the full size when even 1/1 is narrower).
    public static func scaledSize(of header: JPEGHeader, minimumWidth: Int) -> (width: Int, height: Int) {
        var count: Int32 = 0
        guard let factors = tjGetScalingFactors(&count), count > 0 else { return (header.width, header.height) }
        var best = (width: header.width, height: header.height)
        for i in 0..<Int(count) {
            let f = factors[i]
            guard f.num <= f.denom else { continue }   // never upscale
            let w = (header.width * Int(f.num) + Int(f.denom) - 1) / Int(f.denom)
            let h = (header.height * Int(f.num) + Int(f.denom) - 1) / Int(f.denom)
            if w >= minimumWidth && w < best.width { best = (w, h) }
        }
        return best
    }

    /// Decodes to grayscale at the smallest supported scale at least `minimumWidth` wide (pass
    /// `Int.max`… or the image width for full size). `fast` uses the fast integer IDCT.
    public static func decodeGray(_ jpeg: [UInt8], minimumWidth: Int = .max, fast: Bool = true) throws(JPEGError) -> GrayImage {
        try decodeGrayWithHeader(jpeg, minimumWidth: minimumWidth, fast: fast).image
    }

    /// `decodeGray`, with the full-size header it read on the way (one header parse, one handle).
    public static func decodeGrayWithHeader(_ jpeg: [UInt8], minimumWidth: Int = .max,
                                            fast: Bool = true) throws(JPEGError) -> (header: JPEGHeader, image: GrayImage) {
        guard let handle = tjInitDecompress() else { throw JPEGError(.undecodable, "tjInitDecompress failed") }
        defer { tjDestroy(handle) }
        let head = try header(jpeg, handle: handle)
        let size = scaledSize(of: head, minimumWidth: min(minimumWidth, head.width))
        var pixels = [UInt8](repeating: 0, count: size.width * size.height)
        let flags: Int32 = fast ? TJFLAG_FASTDCT : 0
        let rc = jpeg.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                tjDecompress2(handle, source.baseAddress, UInt(source.count), target.baseAddress, Int32(size.width), Int32(size.width),
                              Int32(size.height), Int32(TJPF_GRAY.rawValue), flags)
            }
        }
        // A warning (e.g. a truncated stream: the rest is grey) still counts as a failure: the
        // citizen must retake rather than file half a page.
        guard rc == 0 else { throw JPEGError(.undecodable, message(handle)) }
        return (head, GrayImage(width: size.width, height: size.height, pixels: pixels))
    }

    static func message(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown libturbojpeg error" }
        return String(cString: text)
    }
}
