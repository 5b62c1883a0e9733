import PageImaging

/// Pages the tests upload: one sharp generated page (640×480 JPEG, passes the standard quality
/// check), made distinct per use by a JPEG comment so each has its own SHA-256.
public enum TestPages {
    /// The generated page, encoded once.
    public static let base: [UInt8] = {
        do { return try SyntheticPage(width: 640, height: 480, seed: 7).jpeg() } catch { fatalError("cannot encode the test page: \(error)") }
    }()

    /// A sharp, well-exposed JPEG page whose bytes depend on `tag`.
    public static func jpeg(_ tag: String) -> [UInt8] { JPEGComment.inserting(tag, into: base) }
}
