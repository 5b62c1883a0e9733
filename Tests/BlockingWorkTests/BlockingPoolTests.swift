import Dispatch
import Synchronization
import Testing
@testable import BlockingWork

/// The pool's promises, observed with semaphores (no sleeps): at most `threadCount` items run at
/// once, a call cancelled before its item started never runs its body, a timeout ends the call
/// with a clear error, a lane runs its items one at a time.
/// A flag and a list shared with work on the pool.
final class Shared: Sendable {
    let flag = Atomic<Bool>(false)
    let list = Mutex<[Int]>([])
    var ran: Bool { flag.load(ordering: .sequentiallyConsistent) }
    func mark() { flag.store(true, ordering: .sequentiallyConsistent) }
}

@Suite struct BlockingPoolTests {
    /// Items that block until released and count how many run at once.
    final class Gate: Sendable {
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let running = Atomic<Int>(0)
        let peak = Atomic<Int>(0)

        func item() {
            let now = running.add(1, ordering: .sequentiallyConsistent).newValue
            _ = peak.max(now, ordering: .sequentiallyConsistent)
            started.signal()
            release.wait()
            running.subtract(1, ordering: .sequentiallyConsistent)
        }

        /// Waits (at most a few seconds) for `n` more items to have started.
        func waitStarted(_ n: Int, seconds: Int = 120) async -> Bool {
            await BlockingPoolTests.offCooperativePool { (0..<n).allSatisfy { _ in self.started.wait(timeout: .now() + .seconds(seconds)) == .success } }
        }

        /// True when no further item starts within `milliseconds` (the semaphore's timed wait).
        func noneStarts(within milliseconds: Int) async -> Bool {
            await BlockingPoolTests.offCooperativePool { self.started.wait(timeout: .now() + .milliseconds(milliseconds)) == .timedOut }
        }
    }

    /// Semaphore waits run on a Dispatch thread: the test's own threads (Swift's cooperative pool,
    /// two here) must stay free for the tasks under test.
    static func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: body()) }
        }
    }

    /// Hands a blocking item straight to the pool's threads, without a task: under the whole suite
    /// a new task may wait minutes for one of the two cooperative threads, a pool thread does not.
    static func block(_ pool: BlockingPool, with gate: Gate) {
        pool.schedule { _ in gate.item() }
    }

    @Test func neverRunsMoreItemsThanThreads() async throws {
        let pool = BlockingPool(threads: 2)
        let gate = Gate()
        for _ in 0..<3 { Self.block(pool, with: gate) }
        #expect(await gate.waitStarted(2))
        // Two threads, both held: the third item is queued, not started.
        #expect(await gate.noneStarts(within: 300))
        #expect(gate.running.load(ordering: .sequentiallyConsistent) == 2)
        gate.release.signal()
        #expect(await gate.waitStarted(1))   // the third starts once a thread is free
        #expect(gate.running.load(ordering: .sequentiallyConsistent) == 2)
        gate.release.signal()
        gate.release.signal()
        try await pool.run {}
        try await pool.run {}
        #expect(gate.peak.load(ordering: .sequentiallyConsistent) == 2)
        try await pool.shutdown()
    }

    @Test func aCallCancelledBeforeItStartsNeverRunsItsBody() async throws {
        let pool = BlockingPool(threads: 1)
        let gate = Gate()
        Self.block(pool, with: gate)
        #expect(await gate.waitStarted(1))
        let ran = Shared()
        // The test's own task is cancelled once its item is queued behind the held thread.
        let result = await pool.submit(timeout: nil, lane: nil, enqueued: { withUnsafeCurrentTask { $0?.cancel() } }) { ran.mark() }
        // Resumed at once, while the only thread is still held.
        if case .failure(.cancelled) = result {} else { Issue.record("expected .cancelled, got \(result)") }
        #expect(gate.running.load(ordering: .sequentiallyConsistent) == 1)
        gate.release.signal()
        // The pool is FIFO on one thread: once this has run, the cancelled item was dequeued (and skipped).
        try await pool.runIgnoringCancellation {}
        #expect(ran.ran == false)
        try await pool.shutdown()
    }

    @Test func theUntypedRunThrowsCancellationError() async throws {
        let pool = BlockingPool(threads: 1)
        let ran = Shared()
        let call = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await pool.run { ran.mark() }
        }
        await #expect(throws: CancellationError.self) { try await call.value }
        try await pool.run {}
        #expect(ran.ran == false)
        try await pool.shutdown()
    }

    @Test func aTimeoutWhileWaitingSkipsTheWorkAndSaysSo() async throws {
        let pool = BlockingPool(threads: 1)
        let gate = Gate()
        Self.block(pool, with: gate)
        #expect(await gate.waitStarted(1))
        let ran = Shared()
        await #expect(throws: BlockingWorkError.deadlineExceeded(timeout: .milliseconds(50), started: false)) {
            try await pool.run(timeout: .milliseconds(50)) { ran.mark() }
        }
        gate.release.signal()
        try await pool.run {}
        #expect(ran.ran == false)
        try await pool.shutdown()
    }

    @Test func aTimeoutWhileRunningResumesTheCallerAtOnce() async throws {
        let pool = BlockingPool(threads: 1)
        let gate = Gate()
        // The thread is free, so the item starts at once and is still held when the second passes.
        let error = await #expect(throws: BlockingWorkError.self) {
            try await pool.run(timeout: .seconds(1)) { gate.item() }
        }
        #expect(error == .deadlineExceeded(timeout: .seconds(1), started: true))
        #expect(error?.description.contains("did not finish within") == true)
        // The stuck item still holds its thread until it ends by itself.
        #expect(gate.running.load(ordering: .sequentiallyConsistent) == 1)
        gate.release.signal()
        try await pool.run {}
        #expect(gate.running.load(ordering: .sequentiallyConsistent) == 0)
        try await pool.shutdown()
    }

    enum DeviceError: Error, Equatable {
        case io(String)
        case interrupted(BlockingWorkError)
    }

    @Test func aTypedCallKeepsItsErrorAndMapsInterruptions() async throws {
        let pool = BlockingPool(threads: 1)
        await #expect(throws: DeviceError.io("stall")) {
            try await pool.run({ () throws(DeviceError) in throw .io("stall") }, interrupted: DeviceError.interrupted)
        }
        let value = try await pool.run({ () throws(DeviceError) -> Int in 42 }, interrupted: DeviceError.interrupted)
        #expect(value == 42)
        let cancelled = Task { () throws(DeviceError) -> Int in
            withUnsafeCurrentTask { $0?.cancel() }
            return try await pool.run({ () throws(DeviceError) -> Int in 1 }, interrupted: DeviceError.interrupted)
        }
        await #expect(throws: DeviceError.interrupted(.cancelled)) { try await cancelled.value }
        try await pool.shutdown()
        await #expect(throws: DeviceError.interrupted(.poolStopped)) {
            try await pool.run({ () throws(DeviceError) -> Int in 1 }, interrupted: DeviceError.interrupted)
        }
    }

    @Test func aLaneRunsItsItemsOneAtATimeInOrder() async throws {
        let pool = BlockingPool(threads: 2)
        let lane = BlockingLane()
        let gate = Gate()
        let order = Shared()
        lane.enqueue({ _ in order.list.withLock { $0.append(1) }; gate.item() }, on: pool)
        #expect(await gate.waitStarted(1))
        lane.enqueue({ _ in order.list.withLock { $0.append(2) }; gate.item() }, on: pool)
        // A thread is free, yet the lane's second item waits for its first.
        #expect(await gate.noneStarts(within: 300))
        try await pool.run {}   // other work still gets the free thread
        gate.release.signal()
        #expect(await gate.waitStarted(1))
        gate.release.signal()
        try await pool.run(on: lane) {}   // after both lane items
        #expect(order.list.withLock { $0 } == [1, 2])
        #expect(gate.peak.load(ordering: .sequentiallyConsistent) == 1)
        try await pool.shutdown()
    }

    @Test func theSharedPoolsSizeComesFromTheEnvironment() {
        #expect(BlockingPool.configuredThreadCount(nil) == BlockingPool.defaultThreadCount)
        #expect(BlockingPool.configuredThreadCount("8") == 8)
        #expect(BlockingPool.configuredThreadCount("0") == BlockingPool.defaultThreadCount)
        #expect(BlockingPool.configuredThreadCount("many") == BlockingPool.defaultThreadCount)
        #expect(BlockingPool.shared.threadCount >= 1)
    }
}
