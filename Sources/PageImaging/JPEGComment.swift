/// Adds a JPEG comment segment (COM, `FF FE`) right after the start-of-image marker: the picture
/// is unchanged, the bytes (and so the page's SHA-256) differ. The benchmark and the tests use it to
/// make many distinct pages from one generated page without encoding each again.
public enum JPEGComment {
    /// `jpeg` with `text` (UTF-8, at most 65,533 bytes) as a comment; `jpeg` itself if it does not
    /// start with FF D8.
    public static func inserting(_ text: String, into jpeg: [UInt8]) -> [UInt8] {
        guard jpeg.count >= 2, jpeg[0] == 0xFF, jpeg[1] == 0xD8 else { return jpeg }
        let body = Array(text.utf8.prefix(65_533))
        let length = body.count + 2
        return [0xFF, 0xD8, 0xFF, 0xFE, UInt8(length >> 8), UInt8(length & 0xFF)] + body + jpeg[2...]
    }
}
