import Foundation
import FrontDesk
import HTTPTypes
import Hummingbird
import KioskServices
import Workflow

/// A ticket as a service window sees it (no personal data: the number, category and where it is).
struct WindowTicketView: ResponseEncodable {
    var id: Int64
    var ticket: String
    var category: String
    var categoryName: String
    var state: String
    var priority: Bool
    /// Why it is called first (`appointment`, `elderly`, `disabled`, `pregnant`): a declared
    /// ground is the window's to verify.
    var priorityReason: String?
    var window: String?
    var waiting: Int
    var issuedAt: Date
    var calledAt: Date?

    init(_ t: QueueTicket) {
        id = t.id; ticket = t.number.description; category = t.category; categoryName = t.categoryName; state = t.state.rawValue
        priority = t.priority; priorityReason = t.priorityReason?.rawValue; window = t.window; waiting = t.waitingAhead; issuedAt = t.issuedAt; calledAt = t.calledAt
    }
}

/// The `ticketCalled` event: the hall display shows it and speaks it (请A007号到3号窗口办理).
public struct TicketCalledEvent: Codable, Sendable, Hashable {
    public var ticket: String
    public var window: String
    public var category: String
    public var categoryName: String
    /// A recall (重呼) of the window's current ticket rather than a new call.
    public var recall: Bool
    public var calledAt: Date
    /// The sentence the display shows and speaks.
    public var announcement: String

    public init(ticket: String, window: String, category: String, categoryName: String, recall: Bool, calledAt: Date) {
        self.ticket = ticket; self.window = window; self.category = category; self.categoryName = categoryName; self.recall = recall
        self.calledAt = calledAt
        announcement = "请\(ticket)号到\(window)号窗口办理"
    }
}

extension ServiceWindow: ResponseEncodable {}
extension FleetView: ResponseEncodable {}

/// The service windows' routes (hall mode): a staff member signs in at a window with the staff
/// door's token and then calls, recalls, skips, finishes, transfers and pauses there; another
/// member's token is refused at that window (403 `window-held-by-other`). On a single kiosk they
/// answer 404 (window calling needs the hall store). Calls reach every kiosk's event stream
/// through `HallCallFeed` (from the hall store, whichever kiosk the window used).
extension StaffRoutes {
    struct TransferBody: Decodable { var category: String }
    struct PauseBody: Decodable { var reason: String }

    func addWindowRoutes(to router: Router<KioskRequestContext>) {
        let windows = router.group("/api/v1/windows").add(middleware: StaffLoginMiddleware(door: door, needs: .staff))
        windows.get("") { _, _ -> [ServiceWindow] in
            try await desk.serviceWindows()
        }
        windows.post("{id}/open") { _, context -> ServiceWindow in
            let (login, window) = try windowContext(context)
            try await audit(login, subject: "window:\(window)", action: "window-open", context: context)
            return try await desk.openWindow(window, staff: login.name)
        }
        windows.post("{id}/close") { _, context -> HTTPResponse.Status in
            let (login, window) = try windowContext(context)
            try await audit(login, subject: "window:\(window)", action: "window-close", context: context)
            try await desk.closeWindow(window, staff: login.name)
            return .noContent
        }
        windows.post("{id}/call-next") { request, context -> Response in
            let (login, window) = try windowContext(context)
            try await audit(login, subject: "window:\(window)", action: "call-next", context: context)
            guard let ticket = try await desk.callNext(window: window, staff: login.name) else { return Response(status: .noContent) }
            return try WindowTicketView(ticket).response(from: request, context: context)
        }
        windows.post("{id}/recall") { _, context -> WindowTicketView in
            let (login, window) = try windowContext(context)
            try await audit(login, subject: "window:\(window)", action: "recall", context: context)
            return WindowTicketView(try await desk.recall(window: window, staff: login.name))
        }
        windows.post("{id}/skip") { _, context -> WindowTicketView in
            let (login, window) = try windowContext(context)
            try await audit(login, subject: "window:\(window)", action: "skip", context: context)
            return WindowTicketView(try await desk.finishCalled(window: window, as: .skipped, staff: login.name))
        }
        windows.post("{id}/finish") { _, context -> WindowTicketView in
            let (login, window) = try windowContext(context)
            try await audit(login, subject: "window:\(window)", action: "finish", context: context)
            return WindowTicketView(try await desk.finishCalled(window: window, as: .served, staff: login.name))
        }
        windows.post("{id}/transfer") { request, context -> WindowTicketView in
            let (login, window) = try windowContext(context)
            let body = try await request.decodeJSON(TransferBody.self, context: context)
            try await audit(login, subject: "window:\(window)", action: "transfer", note: "to \(body.category)", context: context)
            return WindowTicketView(try await desk.transferCalled(window: window, to: body.category, staff: login.name))
        }
        windows.post("{id}/pause") { request, context -> ServiceWindow in
            let (login, window) = try windowContext(context)
            let body = try await request.decodeJSON(PauseBody.self, context: context)
            guard (1...40).contains(body.reason.trimmingCharacters(in: .whitespaces).count) else {
                throw APIProblem.invalid("reason must be 1–40 characters")
            }
            try await audit(login, subject: "window:\(window)", action: "window-pause", note: body.reason, context: context)
            return try await desk.pauseWindow(window, reason: body.reason, staff: login.name)
        }
        windows.post("{id}/resume") { _, context -> ServiceWindow in
            let (login, window) = try windowContext(context)
            try await audit(login, subject: "window:\(window)", action: "window-resume", context: context)
            return try await desk.pauseWindow(window, reason: nil, staff: login.name)
        }
        let staff = router.group("/api/v1/staff").add(middleware: StaffLoginMiddleware(door: door, needs: .staff))
        // The fleet view (hall mode): every kiosk of the hall, red first (the staff page /fleet).
        staff.get("hall/fleet") { _, _ -> FleetView in
            try await HallFleet(desk: desk).view(now: desk.clock.now())
        }
        staff.post("tickets/{number}/requeue") { _, context -> WindowTicketView in
            let login = try context.staff()
            let number = try context.parameters.require("number")
            try await audit(login, subject: "ticket:\(number)", action: "requeue", context: context)
            return WindowTicketView(try await desk.requeue(number: number))
        }
    }

    private func windowContext(_ context: KioskRequestContext) throws -> (StaffDoor.Login, String) {
        let login = try context.staff()
        let window = try context.parameters.require("id")
        guard (1...8).contains(window.count), window.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw APIProblem.invalid("window id must be 1–8 letters or digits")
        }
        return (login, window)
    }

}
