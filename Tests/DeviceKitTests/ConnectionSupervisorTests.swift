import KioskConfig
import Synchronization
import Testing
@testable import DeviceKit

/// The one connection supervisor of the reader, the pad and the camera: its backoff sequence, its
/// `noDevice` → `powerOff` transitions, hot-plug, and its loop's waits through an injected sleep.
/// Sleeps and polls recorded by the supervisor's loop.
final class Recorder: Sendable {
    let slept = Mutex<[Duration]>([])
    let polls = Atomic<Int>(0)
}

@Suite struct ConnectionSupervisorTests {
    final class Link: Sendable {
        let closed = Atomic<Int>(0)
    }

    enum OpenError: Error, CustomStringConvertible {
        case notFound, denied
        var description: String { self == .notFound ? "nothing at 1-1" : "permission denied" }
    }

    /// What an opener does next: fail absent, fail unusable, or open.
    final class Opener: Sendable {
        let plan = Mutex<[Result<Void, OpenError>]>([])
        func open() throws(OpenError) -> Link {
            let next = plan.withLock { $0.isEmpty ? .success(()) : $0.removeFirst() }
            if case let .failure(error) = next { throw error }
            return Link()
        }
    }

    static func supervisor(_ backoff: ConnectionSupervisor<Link>.Backoff = .init(first: .milliseconds(250), doublings: 3, maximum: .seconds(2)))
        -> ConnectionSupervisor<Link> {
        ConnectionSupervisor(binding: DeviceBinding(id: "pad", kind: .evaluationPad, driver: .hid), backoff: backoff,
                             wording: .init(absentAdvice: "check the pad's cable", unplugged: "the pad was unplugged"),
                             close: { $0.closed.add(1, ordering: .relaxed) })
    }

    static func classify(_ error: OpenError) -> ConnectionSupervisor<Link>.OpenFailure { error == .notFound ? .absent : .unusable }

    func waits(_ supervisor: ConnectionSupervisor<Link>, _ opener: Opener, failures: Int) -> [Duration] {
        opener.plan.withLock { $0 = Array(repeating: .failure(.notFound), count: failures) }
        return (0..<failures).map { _ in
            guard case let .failed(_, wait) = supervisor.connection(open: opener.open, classify: Self.classify) else { return .zero }
            return wait
        }
    }

    @Test func failedOpensBackOffDoublingUpToTheCap() {
        let supervisor = Self.supervisor()
        let opener = Opener()
        #expect(waits(supervisor, opener, failures: 6)
            == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(2), .seconds(2)])
        // The reader's: 2, 4, 8, 16, 32 polls of 300 ms (then 32 again), at most 10 s.
        let reader = Self.supervisor(.init(first: .milliseconds(600), doublings: 4, maximum: .seconds(10)))
        #expect(waits(reader, opener, failures: 6)
            == [.milliseconds(600), .milliseconds(1200), .milliseconds(2400), .milliseconds(4800), .milliseconds(9600), .milliseconds(9600)])
        // A poll interval of 500 ms reaches the cap.
        let slow = Self.supervisor(.init(first: .seconds(1), doublings: 4, maximum: .seconds(10)))
        #expect(waits(slow, opener, failures: 5).last == .seconds(10))
        // An open resets the sequence.
        guard case .opened = supervisor.connection(open: opener.open, classify: Self.classify) else { Issue.record("not opened"); return }
        #expect(supervisor.failedOpens == 0)
    }

    @Test func aDeviceNeverSeenIsNoDeviceAndOneThatWentAwayIsPowerOff() {
        let supervisor = Self.supervisor()
        let opener = Opener()
        #expect(supervisor.report.status == .starting)
        opener.plan.withLock { $0 = [.failure(.notFound)] }
        _ = supervisor.connection(open: opener.open, classify: Self.classify)
        #expect(supervisor.report.status == .noDevice)
        #expect(supervisor.report.action == .configuration)
        #expect(supervisor.report.detail == "nothing at 1-1: check the pad's cable")

        guard case let .opened(link, returned) = supervisor.connection(open: opener.open, classify: Self.classify) else {
            Issue.record("not opened"); return
        }
        #expect(!returned)
        supervisor.setStatus(.online, detail: nil, action: nil)
        guard case .open = supervisor.connection(open: opener.open, classify: Self.classify) else { Issue.record("not kept"); return }

        #expect(supervisor.unplugged())
        #expect(link.closed.load(ordering: .relaxed) == 1)
        #expect(supervisor.report.status == .powerOff)
        #expect(supervisor.report.detail == "the pad was unplugged")
        #expect(supervisor.unplugs == 1)
        #expect(!supervisor.unplugged())   // nothing open: nothing counted twice

        opener.plan.withLock { $0 = [.failure(.notFound), .failure(.denied)] }
        _ = supervisor.connection(open: opener.open, classify: Self.classify)
        #expect(supervisor.report.status == .powerOff)   // it was there once
        #expect(supervisor.report.action == .maintenance)
        _ = supervisor.connection(open: opener.open, classify: Self.classify)
        #expect(supervisor.report.status == .hardwareError)
        guard case .opened(_, returned: true) = supervisor.connection(open: opener.open, classify: Self.classify) else {
            Issue.record("not re-opened"); return
        }
    }

    @Test func hotplugLeftDropsTheConnectionAndArrivedForgetsTheBackoff() {
        let supervisor = Self.supervisor()
        let opener = Opener()
        _ = waits(supervisor, opener, failures: 3)
        supervisor.noteHotplug(.arrived)
        #expect(supervisor.hotplugPending)
        #expect(!supervisor.applyHotplug())
        #expect(supervisor.failedOpens == 0)
        #expect(!supervisor.hotplugPending)
        guard case let .opened(link, _) = supervisor.connection(open: opener.open, classify: Self.classify) else { Issue.record("not opened"); return }
        supervisor.noteHotplug(.left)
        #expect(supervisor.applyHotplug())
        #expect(link.closed.load(ordering: .relaxed) == 1)
        #expect(supervisor.connection == nil)
        #expect(supervisor.report.status == .powerOff)
    }

    @Test func theLoopWaitsInSlicesAndAHotplugEventCutsTheWaitShort() async throws {
        let supervisor = Self.supervisor()
        let recorder = Recorder()
        // A wait of 120 ms: slices of 50, 50, 20 through the injected sleep, no real time.
        try await supervisor.wait(.milliseconds(120)) { slice in recorder.slept.withLock { $0.append(slice) } }
        #expect(recorder.slept.withLock { $0 } == [.milliseconds(50), .milliseconds(50), .milliseconds(20)])
        // A hot-plug event during a 2 s backoff ends it after the slice in which it came.
        recorder.slept.withLock { $0 = [] }
        try await supervisor.wait(.seconds(2)) { slice in
            let n = recorder.slept.withLock { $0.append(slice); return $0.count }
            if n == 3 { supervisor.noteHotplug(.arrived) }
        }
        #expect(recorder.slept.withLock { $0.count } == 3)
    }

    @Test func theLoopPollsWaitsTheAskedDelayAndClosesOnCancellation() async throws {
        let supervisor = Self.supervisor()
        let opener = Opener()
        let recorder = Recorder()
                let loop = Task {
            try await supervisor.run(hotplugIDs: nil, sleep: { slice in
                recorder.slept.withLock { $0.append(slice) }
                if recorder.polls.load(ordering: .relaxed) >= 3 { withUnsafeCurrentTask { $0?.cancel() }; throw CancellationError() }
            }) {
                let n = recorder.polls.add(1, ordering: .relaxed).newValue
                _ = supervisor.connection(open: opener.open, classify: Self.classify)
                return n == 1 ? .milliseconds(100) : .milliseconds(30)
            }
        }
        try await loop.value
        #expect(recorder.polls.load(ordering: .relaxed) == 3)
        #expect(recorder.slept.withLock { $0 } == [.milliseconds(50), .milliseconds(50), .milliseconds(30), .milliseconds(30)])
        #expect(supervisor.connection == nil)   // closed when the loop ended
    }
}
