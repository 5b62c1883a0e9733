import Foundation
import FrontDesk
import HTTPTypes
import Hummingbird
import KioskServices
import NIOCore
import Workflow

/// An RFC 9457 problem answer (`application/problem+json`): a Chinese `title` fit for the touch
/// screen and an English `detail` for logs and technicians.
public struct APIProblem: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// Chinese, shown on the screen.
    public var title: String
    /// English, for logs.
    public var detail: String
    /// A stable machine-readable code, e.g. `incomplete-materials`.
    public var code: String
    /// Extra members (e.g. the missing materials).
    public var extensions: [String: ProblemValue]

    public init(_ status: HTTPResponse.Status, code: String, title: String, detail: String,
                extensions: [String: ProblemValue] = [:]) {
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.extensions = extensions
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var object: [String: ProblemValue] = extensions
        object["type"] = .string("https://onewindow.local/problems/\(code)")
        object["title"] = .string(title)
        object["detail"] = .string(detail)
        object["status"] = .int(Int(status.code))
        object["instance"] = .string(request.uri.path)
        let data = try KioskJSON.encoder.encode(object)
        var headers: HTTPFields = [.contentType: "application/problem+json; charset=utf-8"]
        // A problem that says when to come back says it in the header too (429 lockout, 503 maintenance).
        if case let .int(seconds)? = extensions["retryAfterSeconds"] { headers[.retryAfter] = String(seconds) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // Common problems.
    /// A body that is not JSON of the route's shape, said in one short sentence that names the
    /// field (never Swift's `DecodingError` dump: the detail is read by people and logged).
    static func badJSON(_ error: any Error) -> APIProblem {
        let detail = (error as? DecodingError).map(BodyDecoding.describe) ?? "the body is not valid JSON"
        return APIProblem(.badRequest, code: "malformed-body", title: "请求内容有误", detail: detail)
    }

    static func unsupportedMediaType(_ contentType: String) -> APIProblem {
        APIProblem(.unsupportedMediaType, code: "unsupported-media-type", title: "请求内容有误",
                   detail: "the body must be application/json, not \(contentType)")
    }

    static func invalid(_ detail: String) -> APIProblem {
        APIProblem(.unprocessableContent, code: "invalid-field", title: "请求内容有误", detail: detail)
    }

    static func notFound(_ detail: String) -> APIProblem {
        APIProblem(.notFound, code: "not-found", title: "未找到该记录", detail: detail)
    }
}

/// A JSON value inside a problem's extension members.
public indirect enum ProblemValue: Sendable, Encodable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([ProblemValue])
    case object([String: ProblemValue])

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .string(s): try c.encode(s)
        case let .int(i): try c.encode(i)
        case let .bool(b): try c.encode(b)
        case let .array(a): try c.encode(a)
        case let .object(o): try c.encode(o)
        }
    }
}

/// Turns every error a route throws into a problem answer: `APIProblem` as is, a front desk's
/// refusal as its rule's problem (`FrontDeskError.problem`), Hummingbird's own
/// errors with their status, anything else as a 500 that says nothing private.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as APIProblem {
            return try problem.response(from: request, context: context)
        } catch let error as FrontDeskError {
            switch error {
            case .storage, .diskFull: context.logger.error("store refused", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            default: break
            }
            return try error.problem.response(from: request, context: context)
        } catch let error as WorkflowError {
            return try FrontDeskError.workflow(error).problem.response(from: request, context: context)
        } catch let refusal as CitizenRefusal {
            return try refusal.problem.response(from: request, context: context)
        } catch let error as HTTPError {
            let title = switch error.status {
            case .notFound: "未找到该页面"
            case .methodNotAllowed: "不支持该操作"
            case .contentTooLarge: "上传内容过大"
            default: "请求有误"
            }
            return try APIProblem(error.status, code: "http-\(error.status.code)", title: title,
                                  detail: error.body ?? error.status.reasonPhrase).response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            return try APIProblem(error.status, code: "http-\(error.status.code)", title: "请求有误", detail: "\(error)")
                .response(from: request, context: context)
        } catch {
            context.logger.error("unexpected error", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return try APIProblem(.internalServerError, code: "internal", title: "系统繁忙，请稍后再试或联系工作人员",
                                  detail: "internal error (see kioskd log)").response(from: request, context: context)
        }
    }
}

extension Request {
    /// Decodes a JSON body of at most `limit` bytes: 413 when larger, 415 when sent as another
    /// media type (text/plain, XML, a form…; no Content-Type is taken as JSON), 400 when not JSON of
    /// that shape. `emptyAs` is the value of an empty body, for routes whose body is optional.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: some RequestContext, limit: Int = 16 * 1024, emptyAs: T? = nil) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw APIProblem(.contentTooLarge, code: "body-too-large", title: "上传内容过大", detail: "the body exceeds \(limit) bytes")
        }
        if buffer.readableBytes == 0, let emptyAs { return emptyAs }
        if buffer.readableBytes > 0, let contentType = headers[.contentType], !BodyDecoding.isJSON(contentType: contentType) {
            throw APIProblem.unsupportedMediaType(contentType)
        }
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch {
            throw APIProblem.badJSON(error)
        }
        // A member of the body's type is left out, never null (as in the answers): a null would
        // read as absent, and a request the schema refuses would be taken. Members the type does
        // not know are ignored whatever they hold.
        if let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] {
            let members = Set(Mirror(reflecting: value).children.compactMap(\.label))
            if let key = object.keys.sorted().first(where: { members.contains($0) && object[$0] is NSNull }) {
                throw APIProblem(.badRequest, code: "malformed-body", title: "请求内容有误",
                                 detail: "field '\(key)' must not be null (leave it out instead)")
            }
        }
        return value
    }
}

extension Request {
    /// A page sent as the body: empty when there is none, else JPEG bytes of at most `limit`
    /// (413 larger, 415 another content type, 422 bytes that are not JPEG).
    func pageBody(limit: Int) async throws -> [UInt8] {
        let buffer: ByteBuffer
        do { buffer = try await body.collect(upTo: limit) } catch {
            throw APIProblem(.contentTooLarge, code: "page-too-large", title: "图像过大，请重新拍摄", detail: "a page may be at most \(limit) bytes")
        }
        guard buffer.readableBytes > 0 else { return [] }
        guard (headers[.contentType] ?? "").hasPrefix("image/jpeg") else {
            throw APIProblem(.unsupportedMediaType, code: "not-jpeg", title: "图像格式不正确，请重新拍摄",
                             detail: "send the page as image/jpeg (no body on a page upload takes it from the document camera)")
        }
        let bytes = Array(buffer: buffer)
        guard MaterialsStore.looksLikeJPEG(bytes) else {
            throw APIProblem(.unprocessableContent, code: "not-jpeg", title: "图像格式不正确，请重新拍摄",
                             detail: "the body is not a JPEG image (it must start with FF D8 FF)")
        }
        return bytes
    }
}

extension FrontDeskError {
    /// The problem a refusal or a store failure answers: each workflow rule its own stable type
    /// (`https://onewindow.local/problems/<code>`), unknown records 404, a value out of range 422,
    /// a step the state does not allow 409; a store that cannot be written 503.
    public var problem: APIProblem {
        switch self {
        case let .workflow(workflow):
            let (status, code) = workflow.problemStatusAndCode
            return APIProblem(status, code: code, title: workflow.chineseMessage, detail: workflow.description,
                              extensions: workflow.problemExtensions)
        case .storage:
            return APIProblem(.serviceUnavailable, code: "storage", title: chineseMessage, detail: description)
        case .diskFull:
            return APIProblem(.init(code: 507, reasonPhrase: "Insufficient Storage"), code: "disk-full", title: chineseMessage, detail: description)
        case .hallUnavailable:
            return APIProblem(.serviceUnavailable, code: "hall-unavailable", title: chineseMessage, detail: description)
        }
    }
}

extension CitizenRefusal {
    /// The refusal as the screen's problem: each case its own stable type.
    public var problem: APIProblem {
        switch self {
        case let .sessionEnded(id):
            return APIProblem(.notFound, code: "session-ended", title: "本次办理已结束，请重新开始", detail: "no open session \(id)")
        case let .noCard(forFiling):
            return forFiling
                ? APIProblem(.conflict, code: "no-card", title: "请先将身份证放在读卡区", detail: "a filing needs the applicant's ID card read first")
                : APIProblem(.notFound, code: "no-card", title: "请将身份证放在读卡区", detail: "no ID card was read in this session")
        case let .noCardForSupplement(tailAccepted):
            return tailAccepted
                ? APIProblem(.conflict, code: "no-card", title: "请将身份证放在读卡区，或输入身份证号码后四位",
                             detail: "read the ID card in this session, or give idNumberTail (the ID number's last four characters)")
                : APIProblem(.conflict, code: "no-card", title: "请将身份证放在读卡区",
                             detail: "the owed materials are looked up by the ID card read in this session")
        case .noAgentCard:
            return APIProblem(.conflict, code: "no-card", title: "请代办人先将本人身份证放在读卡区",
                              detail: "an agent filing starts with the agent's ID card read")
        case .principalCardAwaited:
            return APIProblem(.conflict, code: "principal-card-awaited", title: "请将被代办人的身份证放在读卡区",
                              detail: "an agent filing waits for the principal's card (or POST …/principal with the name and ID number)")
        case let .noSuchMaterial(code):
            return APIProblem.notFound("the filing asks for no material \(code)")
        case .noCamera:
            return APIProblem(.serviceUnavailable, code: "no-camera", title: "高拍仪暂时无法使用，请联系工作人员",
                              detail: "no document camera is configured; upload the page as image/jpeg")
        case let .captureFailed(error):
            return APIProblem(error == .noPage ? .conflict : .serviceUnavailable, code: "capture-failed",
                              title: error.chineseMessage, detail: error.description)
        case let .pageQuality(verdict, thresholds, source):
            let problem = verdict.problem
            var extensions: [String: ProblemValue] = ["reason": .string(problem?.rawValue ?? "unreadable")]
            if let f = verdict.figures {
                extensions["figures"] = .object([
                    "sharpness": .int(Int(f.sharpness.rounded())), "meanLuminance": .int(Int(f.meanLuminance.rounded())),
                    "clippedPercent": .int(Int((f.clippedFraction * 100).rounded())),
                ])
            }
            let figures = verdict.figures.map {
                ": sharpness \(Int($0.sharpness)) (min \(Int(thresholds.minimumSharpness))), mean luminance \(Int($0.meanLuminance)) (\(Int(thresholds.minimumMeanLuminance))–\(Int(thresholds.maximumMeanLuminance)))"
            } ?? ""
            return APIProblem(.unprocessableContent, code: "page-quality", title: problem?.chineseMessage ?? "图像无法识别，请重新拍摄",
                              detail: "the \(source) page failed the quality check (\(problem?.rawValue ?? "unreadable"))" + figures
                                  + (verdict.detail.map { ": \($0)" } ?? "") + "; it was not kept",
                              extensions: extensions)
        case let .pageNotStored(m):
            let status: HTTPResponse.Status = switch m.code {
            case .notJPEG: .unprocessableContent
            case .pageTooLarge, .filingTooLarge: .contentTooLarge
            case .diskFull, .ioFailed: .init(code: 507, reasonPhrase: "Insufficient Storage")
            }
            let code = switch m.code {
            case .notJPEG: "not-jpeg"
            case .pageTooLarge: "page-too-large"
            case .filingTooLarge: "filing-too-large"
            case .diskFull: "disk-full"
            case .ioFailed: "store-failed"
            }
            return APIProblem(status, code: code, title: m.chineseMessage, detail: m.message)
        case let .ratingCodeWrong(subject):
            return APIProblem(.forbidden, code: "rating-code-wrong", title: "评价码不正确，请核对凭条上的评价码",
                              detail: "the rating code does not belong to \(subject)")
        case let .ratingNotAllowed(subject):
            return APIProblem(.forbidden, code: "rating-not-allowed", title: "请在办理后评价，或输入凭条上的评价码",
                              detail: "a rating needs the sessionId that received \(subject), or its ratingCode from the slip")
        }
    }
}

extension WorkflowError {
    /// The HTTP status and the stable problem code of each rule's refusal.
    var problemStatusAndCode: (HTTPResponse.Status, String) {
        switch self {
        case .unknownSubject: (.notFound, "unknown-subject")
        case .notOfferedAtKiosk: (.conflict, "not-offered-at-kiosk")
        case .unknownMaterial: (.notFound, "unknown-material")
        case .notFound: (.notFound, "not-found")
        case .transition: (.conflict, "transition-not-allowed")
        case .draftClosed: (.conflict, "draft-closed")
        case .sessionEnded: (.notFound, "session-ended")
        case .unknownCategory: (.notFound, "unknown-category")
        case .dailyLimitReached: (.conflict, "daily-limit-reached")
        case .alreadyWaiting: (.conflict, "already-waiting")
        case .alreadyRated: (.conflict, "already-rated")
        case .invalidLevel: (.unprocessableContent, "invalid-level")
        case .rectification: (.conflict, "rectification-step-not-allowed")
        case .ticketStep: (.conflict, "ticket-step-not-allowed")
        case .notRateable: (.conflict, "not-rateable")
        case .commentTooLong: (.unprocessableContent, "comment-too-long")
        case .windowPaused: (.conflict, "window-paused")
        case .windowHeldBy: (.forbidden, "window-held-by-other")
        case .windowNotOpen: (.conflict, "window-not-open")
        case .nothingCalled: (.conflict, "nothing-called")
        case .skipGraceExpired: (.conflict, "skip-grace-expired")
        case .nothingOwed: (.conflict, "nothing-owed")
        case .deferralLapsed: (.conflict, "deferral-lapsed")
        case .identityMismatch: (.forbidden, "identity-mismatch")
        case .identificationLocked: (.tooManyRequests, "identification-locked")
        case .nothingCaptured: (.unprocessableContent, "nothing-captured")
        case .wrongDraftKind: (.conflict, "wrong-draft-kind")
        case .invalidMailingAddress: (.unprocessableContent, "invalid-mailing-address")
        case .invalidPrincipal: (.conflict, "invalid-principal")   // not expressible in the schema (the check character)
        case .authorizationNotListed: (.conflict, "principal-card-required")
        case .greenChannelNotOffered: (.conflict, "green-channel-not-offered")
        case .invalidFormAnswers: (.unprocessableContent, "invalid-form-answers")
        case .unknownFormFields: (.unprocessableContent, "unknown-form-field")
        case .formFieldsLocked: (.conflict, "form-field-locked")
        case .noForm: (.notFound, "no-form")
        case .formIncomplete: (.unprocessableContent, "form-incomplete")
        }
    }

    /// The members a refusal adds to its problem: the offending form fields, each with its key
    /// (and, when there is one, the reason and the Chinese sentence the screen shows under it).
    var problemExtensions: [String: ProblemValue] {
        func fields(_ problems: [FormFieldProblem]) -> ProblemValue {
            .array(problems.map { .object(["key": .string($0.key), "reason": .string($0.reason.rawValue), "message": .string($0.message)]) })
        }
        switch self {
        case let .invalidFormAnswers(p), let .formIncomplete(p): return ["fields": fields(p)]
        case let .unknownFormFields(keys): return ["fields": fields(keys.map { FormFieldProblem(key: $0, reason: .unknownField, message: "申请表中没有该项") })]
        case let .formFieldsLocked(keys):
            return ["fields": fields(keys.map { FormFieldProblem(key: $0, reason: .locked, message: "该项由身份证信息自动填写，不能修改") })]
        default: return [:]
        }
    }
}

/// How JSON bodies are recognised and their decoding failures said.
enum BodyDecoding {
    /// `application/json` or a `+json` type (`application/merge-patch+json`…), any parameters.
    static func isJSON(contentType: String) -> Bool {
        let type = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }

    /// One short sentence naming the field: `missing field 'itemCode'`, `field 'level' must be a
    /// whole number`, `the body is not valid JSON`.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .keyNotFound(key, context):
            return "missing field '\(path(context.codingPath + [key]))'"
        case let .valueNotFound(type, context):
            return context.codingPath.isEmpty ? "the body must be \(name(of: type))" : "field '\(path(context.codingPath))' must not be null"
        case let .typeMismatch(type, context):
            return context.codingPath.isEmpty ? "the body must be \(name(of: type))"
                : "field '\(path(context.codingPath))' must be \(name(of: type))"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "the body is not valid JSON" : "field '\(path(context.codingPath))' has an invalid value"
        @unknown default:
            return "the body is not valid JSON of the expected shape"
        }
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }

    static func name(of type: Any.Type) -> String {
        if type == String.self { return "a string" }
        if type == Bool.self { return "true or false" }
        if type == Int.self || type == Int64.self || type == Int32.self || type == UInt.self { return "a whole number" }
        if type == Double.self || type == Float.self { return "a number" }
        let described = String(describing: type)
        if described.hasPrefix("Array") || described.hasPrefix("[") { return "an array" }
        return "an object"
    }
}
