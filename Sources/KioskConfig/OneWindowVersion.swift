/// The product's version, reported by health, `kioskd --version` and `kioskctl --version`.
public enum OneWindowVersion {
    public static let current = "0.1.0"
}
