import Dispatch

/// Runs blocking C calls (libcups, libusb, termios) on a dedicated queue, never on the two
/// threads of Swift's cooperative pool, so a slow device cannot stall the API.
public enum BlockingIO {
    private static let queue = DispatchQueue(label: "onewindow.blocking-io", qos: .userInitiated, attributes: .concurrent)

    public static func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(E) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
