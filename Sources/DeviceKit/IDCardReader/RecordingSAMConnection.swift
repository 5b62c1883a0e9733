import IDCard
import Synchronization

/// A `SAMConnection` that passes every exchange to the real one and keeps a copy of each complete
/// request/response frame pair, in order (`kioskctl idcard record`, and the replay's own check that
/// the driver got back exactly the recorded bytes). A failed exchange is kept as its error.
public final class RecordingSAMConnection: SAMConnection {
    /// One exchange as it happened on the wire.
    public struct Entry: Sendable {
        public var request: [UInt8]
        public var result: Result<[UInt8], SAMTransportError>
    }

    public let underlying: any SAMConnection
    private let entries = Mutex<[Entry]>([])

    public init(_ underlying: any SAMConnection) { self.underlying = underlying }

    public var description: String { underlying.description }

    public func transact(_ request: [UInt8], timeout: Duration) throws(SAMTransportError) -> [UInt8] {
        do {
            let response = try underlying.transact(request, timeout: timeout)
            entries.withLock { $0.append(Entry(request: request, result: .success(response))) }
            return response
        } catch {
            entries.withLock { $0.append(Entry(request: request, result: .failure(error))) }
            throw error
        }
    }

    public func close() { underlying.close() }

    /// Everything recorded so far, oldest first.
    public var recorded: [Entry] { entries.withLock { $0 } }

    /// Forgets the last `count` entries (a poll that only repeats the one before it).
    public func dropLast(_ count: Int) { entries.withLock { $0.removeLast(min(count, $0.count)) } }
}
