#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import NIOPosix
import Synchronization

/// Why a piece of blocking work gave no result of its own.
public enum BlockingWorkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The caller's task was cancelled before the work started; the work was skipped.
    /// (`BlockingPool.run` without a mapping throws `CancellationError` for this.)
    case cancelled
    /// The call's timeout passed. `started: false`: the work waited for a thread all that time and
    /// was skipped; `true`: it was running (a blocking C call cannot be interrupted) and finishes on
    /// its thread by itself, its result dropped.
    case deadlineExceeded(timeout: Duration, started: Bool)
    /// The pool was shut down; the work was not run.
    case poolStopped

    public var description: String {
        switch self {
        case .cancelled:
            "the blocking call was cancelled before it started"
        case let .deadlineExceeded(timeout, started):
            started ? "the blocking call did not finish within \(timeout) (it finishes on its thread; its result is dropped)"
                    : "the blocking call found no free thread within \(timeout) and was skipped"
        case .poolStopped:
            "the blocking-work pool is shut down"
        }
    }
}

/// The one place the process does blocking work: libusb and termios transfers, V4L2 ioctls, libcups
/// calls, page-file writes and fsyncs. A fixed number of threads (swift-nio's `NIOThreadPool`), never
/// the two threads of Swift's cooperative pool, so a slow device or disk cannot stall the API — and
/// a burst of them cannot grow threads without bound either: work beyond `threadCount` waits its turn.
///
/// Each call may be cancelled (the caller's task): work that has not started is skipped and the
/// caller resumed at once; work that has started runs to its end (a C call cannot be interrupted)
/// and its result is delivered, because its effect (a created print job, a written page) happened.
/// Each call may have a timeout: when it passes the caller is resumed with `deadlineExceeded` at once,
/// whether the work was still waiting (then skipped) or running (then its result is dropped).
///
/// The one documented exception is libusb's hot-plug event loop (`USBHotplugWatcher`), which must
/// wait inside libusb for as long as the kiosk runs and so has a thread of its own.
public final class BlockingPool: Sendable {
    /// How many items run at once, at most.
    public let threadCount: Int
    private let pool: NIOThreadPool
    private let stopped = Atomic<Bool>(false)

    /// Threads of the shared pool when `ONEWINDOW_BLOCKING_THREADS` does not say otherwise: a
    /// kiosk's steady mix holds up to six at once — the pad's and the reader's bounded waits, a camera
    /// frame, two printers' IPP calls, a page's fsync — so eight keep one device class from queueing
    /// behind another, while a burst beyond that still waits instead of growing threads.
    public static let defaultThreadCount = 8

    /// The process's pool: `ONEWINDOW_BLOCKING_THREADS` threads (1…64), else `defaultThreadCount`.
    /// Started on first use, never shut down.
    public static let shared = BlockingPool(threads: configuredThreadCount(getenv("ONEWINDOW_BLOCKING_THREADS").map { String(cString: $0) }))

    /// The thread count an environment value asks for (`defaultThreadCount` when absent or invalid).
    public static func configuredThreadCount(_ value: String?) -> Int {
        guard let value, let n = Int(value.trimmingPrefixAndSuffixSpaces), (1...64).contains(n) else { return defaultThreadCount }
        return n
    }

    public init(threads: Int) {
        precondition(threads > 0, "a blocking pool needs at least one thread")
        threadCount = threads
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    deinit {
        if !stopped.load(ordering: .relaxed) { pool.shutdownGracefully { _ in } }
    }

    /// Stops the threads once the running items end; work still waiting is not run (`poolStopped`).
    public func shutdown() async throws {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        try await pool.shutdownGracefully()
    }

    /// Runs `body` on the pool. Throws `CancellationError` when the caller was cancelled before the
    /// work started, `BlockingWorkError` when the timeout passed or the pool is shut down, else
    /// whatever `body` throws.
    public func run<T: Sendable>(timeout: Duration? = nil, on lane: BlockingLane? = nil,
                                 _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let result = await submit(timeout: timeout, lane: lane) { () -> Result<T, any Error> in Result { try body() } }
        switch result {
        case let .success(outcome): return try outcome.get()
        case .failure(.cancelled): throw CancellationError()
        case let .failure(error): throw error
        }
    }

    /// Runs `body` on the pool, for callers with a typed error: a call that gave no result of its
    /// own (cancelled, timed out, pool stopped) throws what `interrupted` makes of it.
    public func run<T: Sendable, E: Error>(timeout: Duration? = nil, on lane: BlockingLane? = nil,
                                           _ body: @escaping @Sendable () throws(E) -> T,
                                           interrupted: (BlockingWorkError) -> E) async throws(E) -> T {
        let result = await submit(timeout: timeout, lane: lane) { () -> Result<T, E> in
            do throws(E) { return .success(try body()) } catch { return .failure(error) }
        }
        switch result {
        case let .success(outcome): return try outcome.get()
        case let .failure(error): throw interrupted(error)
        }
    }

    /// Runs `body` on the pool even if the caller is cancelled, for callers that have no error to
    /// report an interruption with (`BlockingIO.run`). On a pool that was shut down it runs `body`
    /// on the caller's thread (the shared pool never is).
    public func runIgnoringCancellation<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result = await submit(timeout: nil, lane: nil, cancellable: false) { () -> Result<T, E> in
            do throws(E) { return .success(try body()) } catch { return .failure(error) }
        }
        switch result {
        case let .success(outcome): return try outcome.get()
        case .failure: return try body()
        }
    }

    /// The core: `body` on a pool thread (through `lane` when given), unless the call is cancelled
    /// or times out before it starts. `enqueued` is called once the item was handed to the pool (tests).
    func submit<T: Sendable>(timeout: Duration?, lane: BlockingLane?, cancellable: Bool = true,
                             enqueued: (@Sendable () -> Void)? = nil,
                             _ body: @escaping @Sendable () -> T) async -> Result<T, BlockingWorkError> {
        if cancellable, Task.isCancelled { return .failure(.cancelled) }
        let ticket = Ticket<T>()
        let work = { (continuation: CheckedContinuation<Result<T, BlockingWorkError>, Never>) in
            guard ticket.install(continuation) else { return }
            if let timeout {
                // A Dispatch timer, not a sleeping task: it fires even when the cooperative pool is busy.
                let timer = Timer(DispatchWorkItem { ticket.expire(timeout) })
                ticket.setTimer(timer)
                let c = timeout.components
                let nanoseconds = Int(clamping: c.seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue + c.attoseconds / 1_000_000_000)
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(max(0, nanoseconds)), execute: timer.item)
            }
            let item: @Sendable (Bool) -> Void = { active in
                guard active else { ticket.abandon(.poolStopped); return }
                guard ticket.start() else { return }   // cancelled or timed out while waiting: skipped
                ticket.finish(body())
            }
            if let lane { lane.enqueue(item, on: self) } else { self.schedule(item) }
            enqueued?()
        }
        guard cancellable else { return await withCheckedContinuation(work) }
        return await withTaskCancellationHandler {
            await withCheckedContinuation(work)
        } onCancel: {
            ticket.abandon(.cancelled)
        }
    }

    /// Hands an item to the threads; `false` when the pool no longer runs anything.
    func schedule(_ item: @escaping @Sendable (Bool) -> Void) {
        pool.submit { state in item(state == .active) }
    }
}

/// Work that must run one item at a time (a device that is not thread-safe, like a V4L2 node) on
/// the shared threads: items of a lane run in order, and a lane holds at most one pool thread, so a
/// stuck device delays only its own lane's later items (which then wait, bounded by their own
/// timeouts, without taking threads from other work).
public final class BlockingLane: Sendable {
    private struct State {
        var busy = false
        var waiting: [@Sendable (Bool) -> Void] = []
    }

    private let state = Mutex(State())

    public init() {}

    func enqueue(_ item: @escaping @Sendable (Bool) -> Void, on pool: BlockingPool) {
        let startNow = state.withLock { s -> Bool in
            if s.busy { s.waiting.append(item); return false }
            s.busy = true
            return true
        }
        if startNow { pool.schedule { active in self.drain(item, active: active, pool: pool) } }
    }

    /// Runs one item, then hands the next to the pool (a fresh turn, so other work is not starved).
    private func drain(_ item: @escaping @Sendable (Bool) -> Void, active: Bool, pool: BlockingPool) {
        item(active)
        let next = state.withLock { s -> (@Sendable (Bool) -> Void)? in
            if s.waiting.isEmpty { s.busy = false; return nil }
            return s.waiting.removeFirst()
        }
        if let next { pool.schedule { active in self.drain(next, active: active, pool: pool) } }
    }
}

/// One call's meeting point between the caller (its continuation, cancellation and timer) and the
/// pool thread: whichever comes first — start, cancel, timeout — decides, exactly once.
private final class Ticket<T: Sendable>: Sendable {
    private enum Phase { case waiting, running, over }

    private struct State {
        var phase = Phase.waiting
        var continuation: CheckedContinuation<Result<T, BlockingWorkError>, Never>?
        /// Why the call ended before its continuation was installed (a cancellation that came first).
        var early: BlockingWorkError?
        var timer: Timer?
    }

    private let state = Mutex(State())

    /// False when the call already ended (then the continuation has been resumed).
    func install(_ continuation: CheckedContinuation<Result<T, BlockingWorkError>, Never>) -> Bool {
        let early = state.withLock { s -> BlockingWorkError? in
            if let early = s.early { s.phase = .over; return early }
            s.continuation = continuation
            return nil
        }
        if let early { continuation.resume(returning: .failure(early)); return false }
        return true
    }

    func setTimer(_ timer: Timer) {
        let cancelAtOnce = state.withLock { s -> Bool in
            guard s.phase != .over else { return true }
            s.timer = timer
            return false
        }
        if cancelAtOnce { timer.item.cancel() }
    }

    /// On the pool thread: true when the work should run now.
    func start() -> Bool {
        state.withLock { s in
            guard s.phase == .waiting else { return false }
            s.phase = .running
            return true
        }
    }

    func finish(_ value: T) {
        let (continuation, timer) = state.withLock { s in
            s.phase = .over
            defer { s.continuation = nil; s.timer = nil }
            return (s.continuation, s.timer)
        }
        timer?.item.cancel()
        continuation?.resume(returning: .success(value))
    }

    /// Cancellation or a stopped pool: ends the call only if the work has not started.
    func abandon(_ reason: BlockingWorkError) {
        let (continuation, timer) = state.withLock { s -> (CheckedContinuation<Result<T, BlockingWorkError>, Never>?, Timer?) in
            guard s.phase == .waiting else { return (nil, nil) }
            guard let continuation = s.continuation else {
                if s.early == nil { s.early = reason }
                return (nil, nil)
            }
            s.phase = .over
            defer { s.continuation = nil; s.timer = nil }
            return (continuation, s.timer)
        }
        timer?.item.cancel()
        continuation?.resume(returning: .failure(reason))
    }

    /// The timeout: ends the call whether the work waits (skipped) or runs (result dropped).
    func expire(_ timeout: Duration) {
        let (continuation, started) = state.withLock { s -> (CheckedContinuation<Result<T, BlockingWorkError>, Never>?, Bool) in
            let started = s.phase == .running
            if s.phase == .waiting { s.phase = .over }
            defer { s.continuation = nil; s.timer = nil }
            return (s.continuation, started)
        }
        continuation?.resume(returning: .failure(.deadlineExceeded(timeout: timeout, started: started)))
    }
}

/// A call's timeout timer (DispatchWorkItem is thread-safe but not marked Sendable).
private final class Timer: @unchecked Sendable {
    let item: DispatchWorkItem
    init(_ item: DispatchWorkItem) { self.item = item }
}

private extension String {
    var trimmingPrefixAndSuffixSpaces: Substring {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
