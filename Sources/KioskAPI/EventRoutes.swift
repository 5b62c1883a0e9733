import AsyncAlgorithms
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle

/// `GET /api/v1/events`: the kiosk's events as Server-Sent Events. A screen that reconnects with
/// `Last-Event-ID` first gets the events it missed, then the live ones; a comment line every
/// `keepAlive` keeps proxies and the browser from closing an idle stream. The stream ends when
/// kioskd shuts down.
public struct EventRoutes: Sendable {
    let log: KioskEventLog
    let keepAlive: Duration

    public init(log: KioskEventLog, keepAlive: Duration = .seconds(15)) {
        self.log = log
        self.keepAlive = keepAlive
    }

    public func add(to router: Router<KioskRequestContext>) {
        router.get("/api/v1/events") { request, _ -> Response in
            let header = request.headers[HTTPField.Name("Last-Event-ID")!]
            var lastID: Int64? = nil
            if let header {
                guard let id = Int64(header.trimmingCharacters(in: .whitespaces)), id >= 0 else {
                    throw APIProblem.invalid("Last-Event-ID must be the id of an earlier event (a non-negative integer)")
                }
                lastID = id
            }
            let (replay, gap, live) = log.subscribe(after: lastID)
            let resumedAfter = lastID
            let keepAlive = self.keepAlive
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store",
                          HTTPField.Name("X-Accel-Buffering")!: "no"],
                body: ResponseBody { writer in
                    var opening = "retry: 2000\n\n"
                    if gap, let resumedAfter {
                        opening += "event: \(KioskEventType.resync.rawValue)\ndata: {\"after\":\(resumedAfter)}\n\n"
                    }
                    for event in replay { opening += event.serverSentEvent }
                    try await writer.write(ByteBuffer(string: opening))

                    // One stream of chunks fed by the live events and the keep-alive timer.
                    let (chunks, feed) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1024))
                    let forward = Task {
                        for await event in live { feed.yield(event.serverSentEvent) }
                        feed.finish()
                    }
                    let ticker = Task {
                        for await _ in AsyncTimerSequence.repeating(every: keepAlive) { feed.yield(": keep-alive\n\n") }
                    }
                    defer {
                        forward.cancel()
                        ticker.cancel()
                    }
                    try await withGracefulShutdownHandler {
                        for await chunk in chunks {
                            try await writer.write(ByteBuffer(string: chunk))
                        }
                    } onGracefulShutdown: {
                        feed.finish()
                    }
                    try await writer.finish(nil)
                })
        }
    }
}
