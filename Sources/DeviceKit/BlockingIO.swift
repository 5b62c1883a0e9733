import BlockingWork

/// The drivers' former entry point for blocking calls, kept so callers outside DeviceKit compile
/// unchanged: it runs `body` on `BlockingPool.shared` (the process's one bounded pool), but, having
/// no error of its own to throw, is not cancellable. New code calls `BlockingPool.shared.run`.
public enum BlockingIO {
    public static func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        try await BlockingPool.shared.runIgnoringCancellation(body)
    }
}
