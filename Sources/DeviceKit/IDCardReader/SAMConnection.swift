import IDCard

/// A link to a SAM module that exchanges one request frame for one response frame. Blocking:
/// callers run it on `BlockingPool`, never on the cooperative pool.
public protocol SAMConnection: AnyObject, Sendable {
    /// Human-readable description (`usb 0400:c35a bus 1 addr 11 (split endpoints)`).
    var description: String { get }
    /// Sends `request` and returns the complete, checksum-verified response frame within `timeout`.
    func transact(_ request: [UInt8], timeout: Duration) throws(SAMTransportError) -> [UInt8]
    /// Releases the device (also done on deinit).
    func close()
}

/// Why talking to a reader failed below the protocol.
public enum SAMTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No reader where the profile or options say.
    case notFound(String)
    /// The device exists but cannot be opened (permissions, busy).
    case cannotOpen(String)
    /// The device disappeared (unplugged).
    case deviceGone
    /// A step did not complete in time.
    case timeout(step: String)
    /// Any other I/O failure.
    case io(String)
    /// The bytes that came back are not a valid frame.
    case frame(SAMFrameError)

    public var description: String {
        switch self {
        case let .notFound(what): "reader not found: \(what)"
        case let .cannotOpen(why): "cannot open the reader: \(why)"
        case .deviceGone: "the reader was unplugged"
        case let .timeout(step): "no answer from the reader in time (\(step))"
        case let .io(why): "I/O error: \(why)"
        case let .frame(error): "malformed reply: \(error)"
        }
    }
}

/// Deadline arithmetic for blocking steps.
struct Deadline {
    let end: ContinuousClock.Instant

    init(_ timeout: Duration) { end = ContinuousClock.now + timeout }

    /// Milliseconds left, at least 1 (libusb treats 0 as "wait forever"), nil when expired.
    var remainingMilliseconds: Int? {
        let left = end - ContinuousClock.now
        let ms = Int(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
        return ms <= 0 ? nil : max(1, ms)
    }
}
