import Foundation
import FrontDesk
import Hummingbird
import Workflow

/// A ticket's live place in the queue, for the citizen's phone (the ticket's QR, hall mode): the
/// number, the category, how many are ahead, whether and where it was called. No personal data.
struct QueuePosition: ResponseEncodable {
    var ticket: String
    var categoryName: String
    var state: String
    var stateName: String
    var waiting: Int
    var window: String?
    var issuedAt: Date
    var calledAt: Date?

    init(_ t: QueueTicket) {
        ticket = t.number.description; categoryName = t.categoryName; state = t.state.rawValue; stateName = t.state.chineseName
        waiting = t.state == .waiting ? t.waitingAhead : 0; window = t.window; issuedAt = t.issuedAt; calledAt = t.calledAt
    }
}

/// The small mobile page of `/q/<token>`: refreshes itself every 10 s, no scripts.
enum QueuePositionPage {
    /// A token as the kiosk makes them (22 URL-safe base64 characters); anything else is not looked up.
    static func isWellFormed(_ token: String) -> Bool {
        token.count == 22 && token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    static func html(_ position: QueuePosition?) -> String {
        var body: String
        if let p = position {
            body = "<h1>\(ProgressPage.escape(p.ticket))</h1><p class=muted>\(ProgressPage.escape(p.categoryName))</p>"
            switch p.state {
            case "waiting":
                body += "<p class=big>您前面还有 <b>\(p.waiting)</b> 人等候</p><p class=muted>请留意大厅叫号屏和语音叫号。</p>"
            case "called":
                body += "<p class=big><b>请到\(ProgressPage.escape(p.window ?? ""))号窗口办理</b></p>"
            default:
                body += "<p class=big>\(ProgressPage.escape(p.stateName))</p>"
            }
        } else {
            body = "<h1>未找到号票</h1><p>二维码无效或已过期，请到服务台咨询。</p>"
        }
        return """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8">\
            <meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="refresh" content="10">\
            <title>排队进度</title>\
            <style>body{font-family:sans-serif;margin:1em;line-height:1.5}h1{font-size:2em;margin:.2em 0}.muted{color:#555}.big{font-size:1.4em}b{color:#0a5}</style>\
            </head><body>\(body)</body></html>
            """
    }
}
