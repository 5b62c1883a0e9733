import Foundation

/// `screen.yaml`: what the citizen's touch screen needs beyond kiosk.yaml — whether kioskd speaks
/// its key prompts (espeak-ng), and the hall's own address list the mail-delivery pickers offer
/// (towns → streets → communities; the house number comes from a digit pad, so no IME is needed).
/// Optional: without the file, voice prompts are on and the screen offers collection at the window only.
public struct ScreenSettings: Sendable, Hashable, Codable {
    /// A town (镇/街道) of the hall's area, with its streets.
    public struct Town: Sendable, Hashable, Codable {
        public var name: String
        public var streets: [Street]
    }

    /// A street (路/街) with its communities (社区/村/小区).
    public struct Street: Sendable, Hashable, Codable {
        public var name: String
        public var communities: [String]
    }

    /// Whether the screen plays Mandarin voice prompts (default true).
    public var voicePrompts: Bool?
    /// The towns the mail-delivery address picker offers; empty: no mail delivery on the screen.
    public var towns: [Town]?
    /// The postal prefix printed before a picked address (e.g. 山东省枣庄市滕州市).
    public var addressPrefix: String?

    public init(voicePrompts: Bool? = nil, towns: [Town]? = nil, addressPrefix: String? = nil) {
        self.voicePrompts = voicePrompts
        self.towns = towns
        self.addressPrefix = addressPrefix
    }

    /// The settings when `screen.yaml` is absent.
    public static let standard = ScreenSettings()

    /// The problems of a decoded `screen.yaml`, each at the line of the offending value.
    static func problems(_ settings: ScreenSettings, file: YAMLFile) -> [ConfigDiagnostic] {
        var found: [ConfigDiagnostic] = []
        func name(_ text: String, at path: [PathElement], _ what: String) -> Bool {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, trimmed.count <= 24, trimmed == text else {
                found.append(file.diagnostic(.error, at: path, "a \(what) name is 1–24 characters without surrounding spaces"))
                return false
            }
            return true
        }
        if let prefix = settings.addressPrefix, prefix.isEmpty || prefix.count > 40 {
            found.append(file.diagnostic(.error, at: ["addressPrefix"], "addressPrefix is 1–40 characters"))
        }
        var towns: Set<String> = []
        for (t, town) in (settings.towns ?? []).enumerated() {
            let at: [PathElement] = ["towns", .index(t)]
            if name(town.name, at: at + ["name"], "town"), !towns.insert(town.name).inserted {
                found.append(file.diagnostic(.error, at: at + ["name"], "town '\(town.name)' appears twice"))
            }
            if town.streets.isEmpty { found.append(file.diagnostic(.error, at: at + ["streets"], "town '\(town.name)' has no streets")) }
            var streets: Set<String> = []
            for (s, street) in town.streets.enumerated() {
                let sat = at + ["streets", .index(s)]
                if name(street.name, at: sat + ["name"], "street"), !streets.insert(street.name).inserted {
                    found.append(file.diagnostic(.error, at: sat + ["name"], "street '\(street.name)' appears twice in '\(town.name)'"))
                }
                if street.communities.isEmpty {
                    found.append(file.diagnostic(.error, at: sat + ["communities"], "street '\(street.name)' has no communities"))
                }
                var communities: Set<String> = []
                for (c, community) in street.communities.enumerated() {
                    if name(community, at: sat + ["communities", .index(c)], "community"), !communities.insert(community).inserted {
                        found.append(file.diagnostic(.error, at: sat + ["communities", .index(c)],
                                                     "community '\(community)' appears twice in '\(street.name)'"))
                    }
                }
            }
        }
        return found
    }
}
