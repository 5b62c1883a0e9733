import Foundation

/// Runs blocking test work (a child process, a script that starts cupsd) on a thread of its own
/// and awaits it, so that a test waiting on it does not hold one of the two threads of Swift's
/// cooperative pool, which the in-process tests running meanwhile need (a pad test waiting for a
/// key press starved for a minute when both were held). Keep `#expect` outside `body`.
public func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}
