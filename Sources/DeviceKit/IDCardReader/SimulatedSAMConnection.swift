import Foundation
import IDCard
import Synchronization

/// A SAM reached in-process: the device-side `SAMSimulator` behind a simulated wire, with the
/// wire time of a real serial line (10 bits a byte) when asked, and replies delivered in pieces
/// so reassembly is exercised as on a real link.
public final class SimulatedSAMConnection: SAMConnection {
    private let sam: Mutex<SAMSimulator>
    private let wire: Mutex<(bitsPerSecond: Int?, chunkSize: Int, unplugged: Bool)>

    public init(simulator: SAMSimulator = SAMSimulator(), bitsPerSecond: Int? = nil, chunkSize: Int = 64) {
        sam = Mutex(simulator)
        wire = Mutex((bitsPerSecond, chunkSize, false))
    }

    public var description: String { "simulated SAM" }

    /// Changes the simulated module (place or remove a card, inject faults).
    public func withSimulator<R>(_ body: (inout SAMSimulator) -> R) -> R {
        sam.withLock { body(&$0) }
    }

    /// Simulates unplugging (`true`) and plugging back (`false`).
    public func setUnplugged(_ unplugged: Bool) { wire.withLock { $0.unplugged = unplugged } }

    /// The time the bytes take on the simulated wire.
    public func wireTime(bytes: Int) -> Duration {
        guard let bps = wire.withLock({ $0.bitsPerSecond }) else { return .zero }
        return .microseconds(Int64(bytes) * 10 * 1_000_000 / Int64(bps))
    }

    public func transact(_ request: [UInt8], timeout: Duration) throws(SAMTransportError) -> [UInt8] {
        let (chunkSize, unplugged) = wire.withLock { ($0.chunkSize, $0.unplugged) }
        if unplugged { throw .deviceGone }
        let reply = sam.withLock { $0.respond(to: request) }
        let delay = wireTime(bytes: request.count + reply.count)
        if delay > timeout { throw .timeout(step: "simulated wire") }
        if delay > .zero { Thread.sleep(forTimeInterval: Double(delay.components.attoseconds) / 1e18 + Double(delay.components.seconds)) }
        var assembler = SAMFrameAssembler()
        var offset = 0
        while offset < reply.count {
            assembler.append(reply[offset..<min(offset + chunkSize, reply.count)])
            offset += chunkSize
            do throws(SAMFrameError) {
                if let frame = try assembler.nextFrame() { return frame }
            } catch {
                throw .frame(error)
            }
        }
        throw .frame(.truncated(expected: reply.count + 1, got: reply.count))
    }

    public func close() {}
}
