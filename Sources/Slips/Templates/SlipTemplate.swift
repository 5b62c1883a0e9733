import Foundation

/// The slips the kiosk prints, by the names the CLI and print jobs use.
public enum SlipTemplate: String, Sendable, Hashable, Codable, CaseIterable {
    case acceptance
    case conditionalAcceptance = "conditional-acceptance"
    case rejection
    case ticket
    case oneTimeNotice = "one-time-notice"
    case evaluationThanks = "evaluation-thanks"
    case testPage = "test-page"
    case supplement

    /// Why a template's input JSON was refused, naming the field.
    public struct InputError: Error, Sendable, CustomStringConvertible {
        public var template: SlipTemplate
        public var message: String
        public var description: String { "input for template '\(template.rawValue)': \(message)" }
    }

    /// Builds the slip from the template's input JSON (dates as ISO 8601 with offset,
    /// e.g. `2026-11-22T14:05:00+08:00`).
    public func document(json: Data, context: SlipContext) throws(InputError) -> SlipDocument {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            switch self {
            case .acceptance: return try decoder.decode(AcceptanceNotice.self, from: json).document(context: context)
            case .conditionalAcceptance: return try decoder.decode(ConditionalAcceptanceNotice.self, from: json).document(context: context)
            case .rejection: return try decoder.decode(RejectionNotice.self, from: json).document(context: context)
            case .ticket: return try decoder.decode(QueueTicketSlip.self, from: json).document(context: context)
            case .oneTimeNotice: return try decoder.decode(OneTimeNotice.self, from: json).document(context: context)
            case .evaluationThanks: return try decoder.decode(EvaluationThanks.self, from: json).document(context: context)
            case .testPage: return try decoder.decode(PrinterTestPage.self, from: json).document(context: context)
            case .supplement: return try decoder.decode(SupplementReceipt.self, from: json).document(context: context)
            }
        } catch let error as DecodingError {
            throw InputError(template: self, message: Self.explain(error))
        } catch {
            throw InputError(template: self, message: "\(error)")
        }
    }

    static func explain(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().drop { $0 == "." }.description
        }
        switch error {
        case let .keyNotFound(key, context):
            let at = path(context.codingPath + [key])
            return "missing field '\(at)'"
        case let .typeMismatch(type, context):
            return "field '\(path(context.codingPath))' should be \(type == Date.self ? "an ISO 8601 date-time" : "\(type)")"
        case let .valueNotFound(type, context):
            return "field '\(path(context.codingPath))' is null, expected \(type)"
        case let .dataCorrupted(context):
            let at = path(context.codingPath)
            return at.isEmpty ? "not valid JSON (\(context.debugDescription))" : "field '\(at)': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
