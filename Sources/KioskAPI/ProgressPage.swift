import Foundation
import FrontDesk
import Hummingbird
import Workflow

extension ServiceGuide: ResponseEncodable {}
extension FilingProgress: ResponseEncodable {}

/// The small mobile page the slip's QR code opens (`/p/<token>`): the filing's status and history
/// in Chinese, no personal data, no scripts.
enum ProgressPage {
    static func html(_ progress: FilingProgress?) -> String {
        var body = ""
        if let p = progress {
            body += "<h1>\(escape(p.itemName))</h1>"
            if let bundle = p.bundleName { body += "<p class=muted>\(escape(bundle))</p>" }
            body += "<p>办件编号：\(escape(p.number))</p>"
            body += "<p class=status>当前状态：<b>\(escape(p.statusName))</b></p>"
            body += "<p>承办单位：\(escape(p.department))</p>"
            if let received = p.receivedDay { body += "<p>受理日期：\(escape(received))</p>" }
            if let deadline = p.promisedDeadline { body += "<p>承诺办结日期：\(escape(deadline))</p>" }
            if !p.deferredMaterials.isEmpty {
                body += "<h2>容缺后补材料</h2><ul>"
                for m in p.deferredMaterials {
                    let consequence = m.effectiveConsequence.chineseName
                    if m.suppliedAt != nil {
                        body += "<li>\(escape(m.name))：已补交</li>"
                    } else if m.lapsedAt != nil {
                        body += "<li>\(escape(m.name))：逾期（\(escape(m.deadline.description))前）未补交，本件已按<b>\(escape(consequence))</b>处理</li>"
                    } else {
                        body += "<li>\(escape(m.name))：\(escape(m.howToSupply))，请于\(escape(m.deadline.description))前补交；逾期未补交的，按\(escape(consequence))处理</li>"
                    }
                }
                body += "</ul>"
            }
            if let result = p.result {
                body += "<h2>\(result.method == "mail" ? "邮寄送达" : "领取办理结果")</h2><p><b>\(escape(result.text))</b></p>"
                if let note = result.note { body += "<p class=muted>\(escape(note))</p>" }
            }
            body += "<h2>办理进度</h2><ol>"
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "zh_CN")
            formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
            formatter.dateFormat = "yyyy-MM-dd HH:mm"
            for step in p.history {
                body += "<li><b>\(escape(step.statusName))</b> <span class=muted>\(formatter.string(from: step.at)) · \(escape(step.by))</span></li>"
            }
            body += "</ol>"
            if let code = p.ratingCode {
                let grouped = stride(from: 0, to: code.count, by: 4).map { i in
                    String(code.dropFirst(i).prefix(4))
                }.joined(separator: " ")
                body += "<h2>服务评价</h2><p>评价码：<b>\(escape(grouped))</b></p><p class=muted>凭评价码可在自助终端对本次服务进行评价（每项服务评价一次）。</p>"
            }
        } else {
            body = "<h1>未找到办件</h1><p>二维码无效或已过期，请拨打咨询电话或到服务窗口查询。</p>"
        }
        return """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8">\
            <meta name="viewport" content="width=device-width,initial-scale=1"><title>办件进度查询</title>\
            <style>body{font-family:sans-serif;margin:1em;line-height:1.5}h1{font-size:1.3em}.muted{color:#666}.status b{color:#0a5}</style>\
            </head><body>\(body)</body></html>
            """
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
