import Foundation
import Workflow

/// The rules a configuration must satisfy beyond its shape: codes unique, references resolvable,
/// limits consistent. Each finding is located at the line of the offending value.
struct Validator {
    private(set) var diagnostics: [ConfigDiagnostic] = []

    private mutating func error(_ file: YAMLFile, _ path: [PathElement], _ message: String) {
        diagnostics.append(file.diagnostic(.error, at: path, message))
    }

    private mutating func warning(_ file: YAMLFile, _ path: [PathElement], _ message: String) {
        diagnostics.append(file.diagnostic(.warning, at: path, message))
    }

    // MARK: staff.yaml

    mutating func check(staff: StaffAccountsFile, file: YAMLFile) {
        var seen: Set<String> = []
        for (i, account) in staff.accounts.enumerated() {
            let at: [PathElement] = ["accounts", .index(i)]
            let name = account.name.trimmingCharacters(in: .whitespaces)
            if name.isEmpty || name.count > 32 {
                error(file, at + ["name"], "an account name is 1–32 characters")
            } else if !seen.insert(name).inserted {
                error(file, at + ["name"], "account '\(name)' appears twice")
            }
            do {
                _ = try PINHash.parse(account.pinHash)
            } catch let problem {
                error(file, at + ["pinHash"], "\(problem); set the PIN again with `kioskctl staff set-pin \(name)`")
            }
        }
    }

    // MARK: kiosk.yaml

    /// Province-level prefixes of GB/T 2260 codes.
    static let provincePrefixes: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
        "71", "81", "82",
    ]

    static func isKioskID(_ id: String) -> Bool {
        (2...8).contains(id.count) && id.allSatisfy { ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") }
    }

    static func isRegionCode(_ code: String) -> Bool {
        code.count == 6 && code.allSatisfy(\.isASCIIDigit) && provincePrefixes.contains(String(code.prefix(2)))
    }

    static func isPhone(_ text: String) -> Bool {
        text.count >= 5 && text.allSatisfy { $0.isASCIIDigit || $0 == "-" || $0 == " " }
    }

    /// Whether a listen host is this machine only: 127.0.0.0/8, ::1 or localhost (not 0.0.0.0 or ::,
    /// which mean every interface).
    static func isLoopback(host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    static func isUSBID(_ text: String) -> Bool {
        let parts = text.split(separator: ":")
        return parts.count == 2 && parts.allSatisfy { $0.count == 4 && $0.allSatisfy(\.isHexDigit) }
    }

    mutating func check(settings: KioskSettings, file: YAMLFile, configDirectory: String) {
        let k = settings.kiosk
        if !Self.isKioskID(k.id) {
            error(file, ["kiosk", "id"], "kiosk id '\(k.id)' must be 2–8 characters of A–Z and 0–9 (it is part of every filing number)")
        }
        if k.hallName.trimmingCharacters(in: .whitespaces).isEmpty {
            error(file, ["kiosk", "hallName"], "hallName is empty")
        }
        if !Self.isRegionCode(k.regionCode) {
            error(file, ["kiosk", "regionCode"], "regionCode '\(k.regionCode)' is not a six-digit GB/T 2260 code (e.g. \"370481\"; quote it)")
        }
        if TimeZone(identifier: k.timeZone) == nil {
            error(file, ["kiosk", "timeZone"], "unknown time zone '\(k.timeZone)' (use an IANA name such as Asia/Shanghai)")
        }
        if !isWebURL(k.publicBaseURL, allowPlainHTTP: true) {
            error(file, ["kiosk", "publicBaseURL"], "publicBaseURL '\(k.publicBaseURL)' is not an http(s) URL")
        }
        if let phone = k.consultationPhone, !Self.isPhone(phone) {
            error(file, ["kiosk", "consultationPhone"], "consultationPhone '\(phone)' is not a phone number")
        }
        if let listen = HostPort(settings.api.listen) {
            // The citizen API (identities, drafts, pages, the simulators) is for the kiosk's own
            // screen: on any other address the hall's network could reach it.
            if !Self.isLoopback(host: listen.host) {
                warning(file, ["api", "listen"], "listen '\(settings.api.listen)' is not a loopback address: the citizen API (identities, drafts, pages) "
                        + "would be reachable from the network; a kiosk's screen uses 127.0.0.1 (give staff their own address with api.staffListen)")
            }
        } else {
            error(file, ["api", "listen"], "listen '\(settings.api.listen)' is not HOST:PORT with a port 1–65535")
        }
        if let staff = settings.api.staffListen, HostPort(staff) == nil {
            error(file, ["api", "staffListen"], "staffListen '\(staff)' is not HOST:PORT with a port 1–65535")
        }
        if settings.dataDirectory.isEmpty { error(file, ["dataDirectory"], "dataDirectory is empty") }
        if let message = settings.api.maintenanceMessage, message.trimmingCharacters(in: .whitespaces).isEmpty || message.count > 100 {
            error(file, ["api", "maintenanceMessage"], "maintenanceMessage must be 1–100 characters")
        }
        if let materials = settings.materials {
            if let kb = materials.maximumPageKilobytes, !(64...65_536).contains(kb) {
                error(file, ["materials", "maximumPageKilobytes"], "maximumPageKilobytes must be 64–65536 (got \(kb))")
            }
            if let mb = materials.maximumFilingMegabytes, !(1...4096).contains(mb) {
                error(file, ["materials", "maximumFilingMegabytes"], "maximumFilingMegabytes must be 1–4096 (got \(mb))")
            } else if let mb = materials.maximumFilingMegabytes, mb * 1024 < (materials.maximumPageKilobytes ?? 10_240) {
                error(file, ["materials", "maximumFilingMegabytes"], "maximumFilingMegabytes must hold at least one page of maximumPageKilobytes")
            }
            if let mb = materials.reserveMegabytes, !(0...65_536).contains(mb) {
                error(file, ["materials", "reserveMegabytes"], "reserveMegabytes must be 0–65536 (got \(mb))")
            }
            if let n = materials.previewsPerSecond, !(1...30).contains(n) {
                error(file, ["materials", "previewsPerSecond"], "previewsPerSecond must be 1–30 (got \(n))")
            }
        }
        if let staff = settings.staff {
            if let minutes = staff.tokenMinutes, !(1...240).contains(minutes) {
                error(file, ["staff", "tokenMinutes"], "tokenMinutes must be 1–240 (got \(minutes))")
            }
            if let failures = staff.maxFailures, !(1...20).contains(failures) {
                error(file, ["staff", "maxFailures"], "maxFailures must be 1–20 (got \(failures))")
            }
            if let minutes = staff.lockoutMinutes, !(1...1440).contains(minutes) {
                error(file, ["staff", "lockoutMinutes"], "lockoutMinutes must be 1–1440 (got \(minutes))")
            }
            if let failures = staff.doorMaxFailures, !(1...100).contains(failures) {
                error(file, ["staff", "doorMaxFailures"], "doorMaxFailures must be 1–100 (got \(failures))")
            }
            if let minutes = staff.doorWindowMinutes, !(1...1440).contains(minutes) {
                error(file, ["staff", "doorWindowMinutes"], "doorWindowMinutes must be 1–1440 (got \(minutes))")
            }
        }
        let session = settings.session
        if !(30...3600).contains(session.inactivityTimeoutSeconds) {
            error(file, ["session", "inactivityTimeoutSeconds"], "inactivityTimeoutSeconds must be 30–3600 (got \(session.inactivityTimeoutSeconds))")
        }
        if session.warningSeconds < 0 || session.warningSeconds >= session.inactivityTimeoutSeconds {
            error(file, ["session", "warningSeconds"], "warningSeconds must be at least 0 and less than inactivityTimeoutSeconds")
        }
        if let hall = settings.hall {
            switch hall.store {
            case .sqlite:
                if hall.url != nil { error(file, ["hall", "url"], "url is only for store: postgres (store: sqlite keeps the queue in the kiosk's own store)") }
            case .postgres:
                if let url = hall.url {
                    let parts = URLComponents(string: url)
                    if parts == nil || !["postgres", "postgresql"].contains(parts?.scheme ?? "") || (parts?.host ?? "").isEmpty
                        || (parts?.path ?? "").count < 2 {
                        error(file, ["hall", "url"], "url '\(url.replacingOccurrences(of: #":[^:@/]*@"#, with: ":***@", options: .regularExpression))' must be postgres://user@host[:port]/database")
                    }
                } else {
                    error(file, ["hall", "store"], "store: postgres needs url: postgres://user@host[:port]/database")
                }
            }
            if let minutes = hall.skipGraceMinutes, !(0...240).contains(minutes) {
                error(file, ["hall", "skipGraceMinutes"], "skipGraceMinutes must be 0–240 (got \(minutes))")
            }
            if let seconds = hall.timeoutSeconds, !(0.1...60).contains(seconds) {
                error(file, ["hall", "timeoutSeconds"], "timeoutSeconds must be 0.1–60 (got \(seconds))")
            }
            if let times = hall.callRepeat, !(1...5).contains(times) {
                error(file, ["hall", "callRepeat"], "callRepeat must be 1–5 (got \(times))")
            }
            if let seconds = hall.heartbeatSeconds, !(1...3600).contains(seconds) {
                error(file, ["hall", "heartbeatSeconds"], "heartbeatSeconds must be 1–3600 (got \(seconds))")
            }
            for (index, id) in (hall.kiosks ?? []).enumerated() where id.isEmpty || id.count > 32 {
                error(file, ["hall", "kiosks", .index(index)], "a kiosk id must be 1–32 characters (got '\(id)')")
            }
            if let seconds = hall.checkIntervalSeconds, !(0.2...300).contains(seconds) {
                error(file, ["hall", "checkIntervalSeconds"], "checkIntervalSeconds must be 0.2–300 (got \(seconds))")
            }
        }
        let up = settings.upstream
        if !isWebURL(up.endpoint, allowPlainHTTP: false) {
            error(file, ["upstream", "endpoint"], "endpoint '\(up.endpoint)' must be an https URL (plain http only to a loopback address)")
        }
        if !(1...300).contains(up.timeoutSeconds) {
            error(file, ["upstream", "timeoutSeconds"], "timeoutSeconds must be 1–300")
        }
        if up.effectivePlatform == .http {
            if (up.tokenFile ?? "").isEmpty && (up.tokenEnvironmentVariable ?? "").isEmpty {
                error(file, up.platform == nil ? ["upstream", "endpoint"] : ["upstream", "platform"],
                      "platform http needs tokenFile or tokenEnvironmentVariable (where the bearer token is; never the token itself)")
            }
        }
        if let variable = up.tokenEnvironmentVariable,
           variable.isEmpty || !variable.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }) {
            error(file, ["upstream", "tokenEnvironmentVariable"], "tokenEnvironmentVariable '\(variable)' must be a variable name (A–Z, 0–9, _)")
        }
        if let concurrency = up.concurrency, !(1...64).contains(concurrency) {
            error(file, ["upstream", "concurrency"], "concurrency must be 1–64 (got \(concurrency))")
        }
        if let attempts = up.stuckAfterAttempts, !(1...1000).contains(attempts) {
            error(file, ["upstream", "stuckAfterAttempts"], "stuckAfterAttempts must be 1–1000 (got \(attempts))")
        }
        if let minutes = up.stuckRetryMinutes, !(1...1440).contains(minutes) {
            error(file, ["upstream", "stuckRetryMinutes"], "stuckRetryMinutes must be 1–1440 (got \(minutes))")
        }
        if let days = up.pageRetentionDays, !(1...365).contains(days) {
            error(file, ["upstream", "pageRetentionDays"], "pageRetentionDays must be 1–365 (got \(days))")
        }
        if let rate = up.progressRequestsPerMinute, !(1...600).contains(rate) {
            error(file, ["upstream", "progressRequestsPerMinute"], "progressRequestsPerMinute must be 1–600 (got \(rate))")
        }
        if let interval = settings.monitoring?.deviceStatusIntervalSeconds, !(0.1...600).contains(interval) {
            error(file, ["monitoring", "deviceStatusIntervalSeconds"], "deviceStatusIntervalSeconds must be 0.1–600")
        }

        if let hours = settings.workflow?.officeHours, OfficeHours(hours) == nil {
            error(file, ["workflow", "officeHours"], "officeHours '\(hours)' is not HH:MM-HH:MM with opening before closing (e.g. \"09:00-17:00\")")
        }
        if let days = settings.workflow?.rectificationWorkingDays, !(1...60).contains(days) {
            error(file, ["workflow", "rectificationWorkingDays"], "rectificationWorkingDays must be 1–60")
        }
        if let seconds = settings.workflow?.ratingTimeoutSeconds, !(5...600).contains(seconds) {
            error(file, ["workflow", "ratingTimeoutSeconds"], "ratingTimeoutSeconds must be 5–600")
        }
        if let interval = settings.workflow?.supervisionIntervalSeconds, !(1...86400).contains(interval) {
            error(file, ["workflow", "supervisionIntervalSeconds"], "supervisionIntervalSeconds must be 1–86400")
        }

        let profiles = KioskConfiguration.resolve(settings.profilesDirectory, against: configDirectory)
        var isDir: ObjCBool = false
        let profilesExist = FileManager.default.fileExists(atPath: profiles, isDirectory: &isDir) && isDir.boolValue
        if !profilesExist {
            error(file, ["profilesDirectory"], "profiles directory '\(profiles)' does not exist")
        }
        check(devices: settings.devices, file: file, profilesDirectory: profilesExist ? profiles : nil)
    }

    private mutating func check(devices: [DeviceBinding], file: YAMLFile, profilesDirectory: String?) {
        var seen: [String: Int] = [:]
        for (i, device) in devices.enumerated() {
            let at: [PathElement] = ["devices", .index(i)]
            if device.id.isEmpty || !device.id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                error(file, at + ["id"], "device id '\(device.id)' must be letters, digits, '-' or '_'")
            }
            if let first = seen[device.id] {
                error(file, at + ["id"], "device id '\(device.id)' is used twice (first at devices[\(first)])")
            } else {
                seen[device.id] = i
            }
            if !device.kind.allowedDrivers.contains(device.driver) {
                let allowed = device.kind.allowedDrivers.map(\.rawValue).joined(separator: ", ")
                error(file, at + ["driver"], "driver '\(device.driver.rawValue)' cannot run a \(device.kind.rawValue) (use one of: \(allowed))")
            }
            switch device.driver {
            case .cups:
                if (device.queue ?? "").isEmpty { error(file, at + ["driver"], "a cups printer needs 'queue:' (the CUPS queue name)") }
                if let server = device.server, HostPort(server) == nil {
                    error(file, at + ["server"], "server '\(server)' is not HOST:PORT")
                }
            case .usb, .hid:
                if let usb = device.usb, !Self.isUSBID(usb) {
                    error(file, at + ["usb"], "usb '\(usb)' is not VID:PID in hex (e.g. 0400:C35A)")
                }
                if device.usb == nil && device.profile == nil {
                    error(file, at + ["driver"], "a \(device.driver.rawValue) device needs 'usb: VID:PID' or 'profile:'")
                }
            case .serial, .v4l2, .evdev:
                if (device.path ?? "").isEmpty { error(file, at + ["driver"], "a \(device.driver.rawValue) device needs 'path:' (its /dev node)") }
            case .simulated:
                break
            }
            if let baud = device.baud, ![9600, 19200, 38400, 57600, 115200].contains(baud) {
                error(file, at + ["baud"], "baud \(baud) is not one the SAM supports (9600, 19200, 38400, 57600, 115200)")
            }
            if device.kind == .evaluationPad, device.driver != .simulated, device.profile == nil {
                error(file, at + ["driver"], "an evaluation pad needs 'profile:' (devices/evalpads/NAME.yaml: its key mapping)")
            }
            if let profile = device.profile, let dir = profilesDirectory {
                let path = "\(dir)/\(device.kind.profileFolder)/\(profile).yaml"
                if !FileManager.default.fileExists(atPath: path) {
                    error(file, at + ["profile"], "no profile '\(profile)' (expected \(path))")
                } else if device.kind == .evaluationPad {
                    // The pad's profile is checked here too, so a bad mapping stops the kiosk at start.
                    do {
                        let loaded = try EvaluationPadProfile.load(path: path)
                        if device.driver != .simulated, loaded.transport.rawValue != device.driver.rawValue {
                            error(file, at + ["driver"], "profile '\(profile)' is a \(loaded.transport.rawValue) pad: bind it with driver: \(loaded.transport.rawValue)")
                        }
                    } catch {
                        diagnostics += error.diagnostics
                    }
                }
            }
        }
        let kinds = Set(devices.map(\.kind))
        if !kinds.contains(.idCardReader) {
            warning(file, ["devices"], "no idCardReader bound: citizens cannot identify themselves")
        }
        if !kinds.contains(.receiptPrinter) {
            warning(file, ["devices"], "no receiptPrinter bound: acceptance notices cannot be printed")
        }
    }

    private func isWebURL(_ text: String, allowPlainHTTP: Bool) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else { return false }
        if scheme == "https" { return true }
        guard scheme == "http" else { return false }
        return allowPlainHTTP || host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    // MARK: queue.yaml

    mutating func check(queue: QueueFile, file: YAMLFile) {
        var codes: Set<String> = []
        var prefixes: Set<String> = []
        if queue.categories.isEmpty { error(file, ["categories"], "no queue categories") }
        for (i, category) in queue.categories.enumerated() {
            let at: [PathElement] = ["categories", .index(i)]
            if category.code.isEmpty { error(file, at + ["code"], "category code is empty") }
            if !codes.insert(category.code).inserted { error(file, at + ["code"], "category code '\(category.code)' is used twice") }
            let isLetter = category.prefix.count == 1 && category.prefix.allSatisfy { $0 >= "A" && $0 <= "Z" }
            if !isLetter { error(file, at + ["prefix"], "prefix '\(category.prefix)' must be one capital letter A–Z") }
            if !prefixes.insert(category.prefix).inserted { error(file, at + ["prefix"], "prefix '\(category.prefix)' is used by two categories") }
            if category.name.isEmpty { error(file, at + ["name"], "category name is empty") }
            if let limit = category.dailyLimit, !(1...999).contains(limit) {
                error(file, at + ["dailyLimit"], "dailyLimit must be 1–999 (tickets have three digits)")
            }
        }
        if let green = queue.greenChannel { check(greenChannel: green, file: file) }
    }

    /// 绿色通道: known grounds, each once; an elderly threshold exactly when `elderly` is offered.
    private mutating func check(greenChannel green: GreenChannelFile, file: YAMLFile) {
        let at: [PathElement] = ["greenChannel"]
        let known = PriorityReason.allCases.filter(\.isGreenChannel).map(\.rawValue)
        var seen: Set<String> = []
        for (i, ground) in green.grounds.enumerated() {
            if !known.contains(ground) {
                error(file, at + ["grounds", .index(i)], "unknown green-channel ground '\(ground)' (known: \(known.joined(separator: ", ")))")
            } else if !seen.insert(ground).inserted {
                error(file, at + ["grounds", .index(i)], "green-channel ground '\(ground)' is listed twice")
            }
        }
        if seen.contains(PriorityReason.elderly.rawValue) {
            if let age = green.elderlyAge {
                if !(50...100).contains(age) { error(file, at + ["elderlyAge"], "elderlyAge must be 50–100 (周岁), not \(age)") }
            } else {
                error(file, at + ["grounds"], "the elderly ground needs elderlyAge (the age from which a card holder counts as elderly)")
            }
        } else if green.elderlyAge != nil {
            error(file, at + ["elderlyAge"], "elderlyAge is set but 'elderly' is not among the grounds")
        }
    }

    // MARK: calendar/YYYY.yaml

    mutating func check(year: HolidayYear, file: YAMLFile, fileNameYear: Int?) {
        if let named = fileNameYear, named != year.year {
            error(file, ["year"], "file is named \(named).yaml but says year \(year.year)")
        } else if fileNameYear == nil {
            error(file, ["year"], "calendar files are named YYYY.yaml")
        }
        if year.status == .provisional {
            warning(file, ["status"], "the \(year.year) calendar is provisional: replace it with the State Council's published arrangement")
        }
        var offDays: [CivilDate: String] = [:]
        var makeUps: Set<CivilDate> = []
        for (i, holiday) in year.holidays.enumerated() {
            let at: [PathElement] = ["holidays", .index(i)]
            if holiday.from > holiday.to {
                error(file, at + ["to"], "\(holiday.name): 'to' (\(holiday.to)) is before 'from' (\(holiday.from))")
                continue
            }
            if holiday.from.year != year.year && holiday.to.year != year.year {
                error(file, at + ["from"], "\(holiday.name) (\(holiday.from)…\(holiday.to)) is not in \(year.year)")
            }
            if holiday.to.dayNumber - holiday.from.dayNumber > 14 {
                error(file, at + ["to"], "\(holiday.name) lasts more than 15 days: check the dates")
            }
            var d = holiday.from
            while d <= holiday.to {
                if let other = offDays[d] {
                    error(file, at + ["from"], "\(holiday.name) overlaps \(other) on \(d)")
                }
                offDays[d] = holiday.name
                d = d.adding(days: 1)
            }
            for (j, day) in (holiday.makeUpWorkdays ?? []).enumerated() {
                let dayPath = at + ["makeUpWorkdays", .index(j)]
                if !day.isWeekend {
                    error(file, dayPath, "make-up workday \(day) is not a Saturday or Sunday (weekdays are workdays anyway)")
                }
                if abs(day.year - year.year) > 1 { error(file, dayPath, "make-up workday \(day) is far from \(year.year)") }
                makeUps.insert(day)
            }
        }
        for day in makeUps where offDays[day] != nil {
            error(file, ["holidays"], "\(day) is both a holiday (\(offDays[day]!)) and a make-up workday")
        }
    }

    // MARK: catalogue.yaml

    /// A catch-all such as "其他材料" tells the citizen nothing (一次性告知 forbids it).
    static func isCatchAll(_ name: String) -> Bool {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        return trimmed.hasPrefix("其他") && trimmed.hasSuffix("材料") || trimmed.hasSuffix("等材料") || trimmed == "其它材料"
    }

    mutating func check(catalogue: CatalogueFile, file: YAMLFile, queue: QueueFile?) {
        for type in ItemType.allCases where catalogue.itemTypeCodes[type.rawValue] == nil {
            error(file, ["itemTypeCodes"], "itemTypeCodes has no code for \(type.rawValue) (\(type.chineseName))")
        }
        for key in catalogue.itemTypeCodes.keys where ItemType(rawValue: key) == nil {
            error(file, ["itemTypeCodes", .key(key)], "'\(key)' is not an item type (known: \(ItemType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if catalogue.items.isEmpty { error(file, ["items"], "the catalogue has no items") }
        let categories = Set(queue?.categories.map(\.code) ?? [])
        var codes: [String: Int] = [:]
        for (i, item) in catalogue.items.enumerated() {
            let at: [PathElement] = ["items", .index(i)]
            if item.implementationCode.isEmpty { error(file, at + ["implementationCode"], "implementationCode is empty") }
            if let first = codes[item.implementationCode] {
                error(file, at + ["implementationCode"], "implementationCode '\(item.implementationCode)' is used twice (first by items[\(first)])")
            } else {
                codes[item.implementationCode] = i
            }
            if item.catalogCode.isEmpty { error(file, at + ["catalogCode"], "catalogCode is empty") }
            for (field, value) in [("name", item.name), ("implementingBody", item.implementingBody)] where value.trimmingCharacters(in: .whitespaces).isEmpty {
                error(file, at + [.key(field)], "\(field) is empty")
            }
            if item.legalBasis.isEmpty { error(file, at + ["legalBasis"], "\(item.name): legalBasis lists nothing (设定依据 is required)") }
            if item.processFlow.isEmpty { error(file, at + ["processFlow"], "\(item.name): processFlow lists no step") }
            if !Self.isPhone(item.consultationPhone) {
                error(file, at + ["consultationPhone"], "consultationPhone '\(item.consultationPhone)' is not a phone number")
            }
            if item.maxOnSiteVisits < 0 || item.maxOnSiteVisits > 2 {
                error(file, at + ["maxOnSiteVisits"], "maxOnSiteVisits must be 0–2 (一次办好: at most one visit, two by exception)")
            }
            check(limits: item, file: file, at: at)
            if item.isCharged && (item.fees ?? []).isEmpty {
                error(file, at + ["fees"], "\(item.name) is charged but lists no fee")
            }
            for (j, fee) in (item.fees ?? []).enumerated() where !Self.isAmount(fee.amount) {
                error(file, at + ["fees", .index(j), "amount"], "fee amount '\(fee.amount)' is not yuan with at most two decimals (\"80.00\")")
            }
            if let category = item.queueCategory, !categories.isEmpty, !categories.contains(category) {
                error(file, at + ["queueCategory"], "queueCategory '\(category)' is not a category of queue.yaml")
            }
            check(materials: item, file: file, at: at)
            check(form: item, file: file, at: at)
        }
    }

    // MARK: 一表申请 (item forms)

    /// A field key: a letter, then letters and digits (`phone`, `insuredCategory`), as the screen and
    /// the platform message name it.
    static func isFieldKey(_ key: String) -> Bool {
        guard let first = key.first, first.isASCII, first.isLetter, key.count <= 40 else { return false }
        return key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    private mutating func check(form item: ServiceItem, file: YAMLFile, at: [PathElement]) {
        guard let form = item.form else { return }
        let formAt = at + ["form"]
        if form.fields.isEmpty { error(file, formAt + ["fields"], "\(item.name): form lists no field") }
        if let replaced = form.replacesMaterial {
            if let material = item.materials.first(where: { $0.code == replaced }) {
                if material.source != .applicant {
                    error(file, formAt + ["replacesMaterial"],
                          "\(item.name): replacesMaterial '\(replaced)' (\(material.name)) is not a form the applicant fills in (source: \(material.source.rawValue))")
                }
            } else {
                error(file, formAt + ["replacesMaterial"], "\(item.name): replacesMaterial '\(replaced)' is not one of the item's materials")
            }
        }
        var keys: [String: Int] = [:]
        for (k, field) in form.fields.enumerated() {
            let f = formAt + ["fields", .index(k)]
            if !Self.isFieldKey(field.key) {
                error(file, f + ["key"], "form field key '\(field.key)' must be a letter then letters or digits (at most 40)")
            } else if let first = keys[field.key] {
                error(file, f + ["key"], "form field key '\(field.key)' is used twice in \(item.name) (first at \(location(file, formAt + ["fields", .index(first), "key"])))")
            } else {
                keys[field.key] = k
            }
            if field.label.trimmingCharacters(in: .whitespaces).isEmpty { error(file, f + ["label"], "form field '\(field.key)' has an empty label") }
            let options = field.options ?? []
            switch field.type {
            case .choice:
                if options.count < 2 {
                    error(file, f + ["options"], "choice field '\(field.key)' needs 'options:' with at least two choices")
                } else if Set(options).count != options.count {
                    error(file, f + ["options"], "choice field '\(field.key)' lists an option twice")
                } else if options.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                    error(file, f + ["options"], "choice field '\(field.key)' has an empty option")
                }
            default:
                if field.options != nil { error(file, f + ["options"], "'options:' applies only to a choice field ('\(field.key)' is \(field.type.rawValue))") }
            }
            if field.min != nil || field.max != nil {
                if field.type != .number {
                    error(file, f + [field.min != nil ? "min" : "max"], "min/max apply only to a number field ('\(field.key)' is \(field.type.rawValue))")
                } else if let lo = field.min, let hi = field.max, lo > hi {
                    error(file, f + ["min"], "field '\(field.key)': min \(lo) is above max \(hi)")
                }
            }
            if field.minLength != nil || field.maxLength != nil {
                if ![.text, .address].contains(field.type) {
                    error(file, f + [field.minLength != nil ? "minLength" : "maxLength"],
                          "minLength/maxLength apply only to text and address fields ('\(field.key)' is \(field.type.rawValue))")
                } else if (field.minLength ?? 0) < 0 || (field.maxLength ?? 1) < 1 {
                    error(file, f + [field.minLength != nil ? "minLength" : "maxLength"], "field '\(field.key)': lengths must be positive")
                } else if let lo = field.minLength, let hi = field.maxLength, lo > hi {
                    error(file, f + ["minLength"], "field '\(field.key)': minLength \(lo) is above maxLength \(hi)")
                }
            }
            if let pattern = field.pattern {
                if ![.text, .phone].contains(field.type) {
                    error(file, f + ["pattern"], "'pattern:' applies only to text and phone fields ('\(field.key)' is \(field.type.rawValue))")
                } else if (try? Regex(pattern)) == nil {
                    error(file, f + ["pattern"], "field '\(field.key)': pattern '\(pattern)' is not a valid regular expression")
                }
            }
            if let source = field.prefill {
                if !source.fillableTypes.contains(field.type) {
                    error(file, f + ["prefill"], "field '\(field.key)' (\(field.type.rawValue)) cannot be pre-filled from the card's \(source.rawValue) "
                          + "(fits: \(source.fillableTypes.map(\.rawValue).sorted().joined(separator: ", ")))")
                } else if source == .sex, field.type == .choice, !(["男", "女"].allSatisfy(options.contains)) {
                    error(file, f + ["options"], "field '\(field.key)' is pre-filled with the card's sex: its options must include 男 and 女")
                }
            } else if field.type == .text && field.isRequired && options.isEmpty {
                // The kiosk has no Chinese keyboard (no IME): a required free-text answer could never be given there.
                error(file, f + ["type"], "required text field '\(field.key)' has no prefill: the kiosk screen has no keyboard for free text "
                      + "(make it a choice, pre-fill it from the card, or set required: false)")
            }
        }
    }

    /// `catalogue.yaml:42` for a diagnostic that names a second place.
    private func location(_ file: YAMLFile, _ path: [PathElement]) -> String {
        let line = file.node(at: path.map(\.codingKey))?.mark?.line
        return line.map { "\(file.displayPath):\($0)" } ?? file.displayPath
    }

    static func isAmount(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].allSatisfy(\.isASCIIDigit) else { return false }
        return parts.count == 1 || ((1...2).contains(parts[1].count) && parts[1].allSatisfy(\.isASCIIDigit))
    }

    private mutating func check(limits item: ServiceItem, file: YAMLFile, at: [PathElement]) {
        let statutory = item.statutoryTimeLimit
        let promised = item.promisedTimeLimit
        if statutory.value < 0 { error(file, at + ["statutoryTimeLimit", "value"], "statutoryTimeLimit is negative") }
        switch item.caseType {
        case .immediate:
            if promised.value != 0 {
                error(file, at + ["promisedTimeLimit", "value"], "\(item.name) is an immediate item (即办件): promisedTimeLimit must be 0")
            }
        case .promised:
            if promised.value <= 0 {
                error(file, at + ["promisedTimeLimit", "value"], "\(item.name) is a promised item (承诺件): promisedTimeLimit must be at least 1")
            }
        }
        if promised.unit == statutory.unit && promised.value > statutory.value && statutory.value > 0 {
            error(file, at + ["promisedTimeLimit", "value"],
                  "promised time limit (\(promised.value)) exceeds the statutory one (\(statutory.value))")
        }
    }

    private mutating func check(materials item: ServiceItem, file: YAMLFile, at: [PathElement]) {
        if item.materials.isEmpty && item.caseType == .promised {
            warning(file, at + ["materials"], "\(item.name) asks for no material")
        }
        var codes: Set<String> = []
        for (j, material) in item.materials.enumerated() {
            let mat = at + ["materials", .index(j)]
            if material.code.isEmpty { error(file, mat + ["code"], "material code is empty") }
            if !codes.insert(material.code).inserted {
                error(file, mat + ["code"], "material code '\(material.code)' is used twice in \(item.name)")
            }
            if Self.isCatchAll(material.name) {
                error(file, mat + ["name"], "'\(material.name)' is a catch-all: name each material (一次性告知)")
            }
            if material.pages < 1 || material.pages > 200 { error(file, mat + ["pages"], "pages must be 1–200") }
            if material.acceptanceStandard.isEmpty { error(file, mat + ["acceptanceStandard"], "acceptanceStandard is empty") }
            switch material.need {
            case .deferrable:
                if !item.allowsDeferredMaterials {
                    error(file, mat + ["need"], "\(material.name) is deferrable but \(item.name) does not allow deferred materials (allowsDeferredMaterials: false)")
                }
                guard let deferral = material.deferral else {
                    error(file, mat + ["need"], "deferrable material \(material.name) needs 'deferral:' (howToSupply, withinWorkingDays)")
                    continue
                }
                if deferral.withinWorkingDays < 1 {
                    error(file, mat + ["deferral", "withinWorkingDays"], "withinWorkingDays must be at least 1")
                }
                if deferral.consequence == nil {
                    warning(file, mat + ["deferral"],
                            "the deferral of \(material.name) states no consequence (withdraw 退件 or reject 不予受理): 退件 applies when it lapses")
                }
                if item.promisedTimeLimit.unit == .workingDays && deferral.withinWorkingDays > item.promisedTimeLimit.value {
                    error(file, mat + ["deferral", "withinWorkingDays"],
                          "the deadline for \(material.name) (\(deferral.withinWorkingDays) working days) exceeds the promised time limit (\(item.promisedTimeLimit.value))")
                }
            case .required, .optional:
                if material.deferral != nil {
                    error(file, mat + ["deferral"], "\(material.name) has 'deferral:' but is not deferrable")
                }
            }
        }
    }

    // MARK: bundles.yaml

    /// Also: the bundle's items define each shared form field compatibly (一张表单), else both places
    /// are named (the second definition's line, the first's and the bundle's).
    mutating func check(bundles: BundlesFile, file: YAMLFile, items: [ServiceItem], catalogue: YAMLFile? = nil) {
        defer { if let catalogue { check(bundleForms: bundles, file: file, items: items, catalogue: catalogue) } }
        let itemCodes = Set(items.map(\.implementationCode))
        var codes: Set<String> = []
        for (i, bundle) in bundles.bundles.enumerated() {
            let at: [PathElement] = ["bundles", .index(i)]
            if bundle.code.isEmpty { error(file, at + ["code"], "bundle code is empty") }
            if !codes.insert(bundle.code).inserted { error(file, at + ["code"], "bundle code '\(bundle.code)' is used twice") }
            if itemCodes.contains(bundle.code) { error(file, at + ["code"], "bundle code '\(bundle.code)' is also an item's code") }
            if bundle.itemCodes.count < 2 { error(file, at + ["itemCodes"], "a one-chain bundle (一件事) joins at least two items") }
            if Set(bundle.itemCodes).count != bundle.itemCodes.count { error(file, at + ["itemCodes"], "an item is listed twice") }
            for (j, code) in bundle.itemCodes.enumerated() where !itemCodes.contains(code) {
                error(file, at + ["itemCodes", .index(j)], "item '\(code)' is not in the catalogue")
            }
        }
    }

    private mutating func check(bundleForms bundles: BundlesFile, file: YAMLFile, items: [ServiceItem], catalogue: YAMLFile) {
        let indexByCode = Dictionary(items.enumerated().map { ($1.implementationCode, $0) }, uniquingKeysWith: { a, _ in a })
        for (i, bundle) in bundles.bundles.enumerated() {
            // key → (item index, field index, field) of the first definition in the bundle.
            var first: [String: (item: Int, field: Int, definition: FormField)] = [:]
            for code in bundle.itemCodes {
                guard let itemIndex = indexByCode[code] else { continue }
                for (k, field) in (items[itemIndex].form?.fields ?? []).enumerated() {
                    guard let earlier = first[field.key] else {
                        first[field.key] = (itemIndex, k, field)
                        continue
                    }
                    guard earlier.item != itemIndex, let why = earlier.definition.incompatibility(with: field) else { continue }
                    let here: [PathElement] = ["items", .index(itemIndex), "form", "fields", .index(k), "key"]
                    let there: [PathElement] = ["items", .index(earlier.item), "form", "fields", .index(earlier.field), "key"]
                    diagnostics.append(catalogue.diagnostic(.error, at: here,
                        "form field '\(field.key)' of \(items[itemIndex].name) is defined incompatibly with the same key of \(items[earlier.item].name) "
                            + "at \(location(catalogue, there)) (\(why)); bundle '\(bundle.code)' at \(location(file, ["bundles", .index(i), "code"])) asks it once: "
                            + "give them one definition or different keys"))
                }
            }
        }
    }
}

extension Character {
    /// 0–9 only (unlike `isNumber`, which accepts ２ and 五).
    var isASCIIDigit: Bool { self >= "0" && self <= "9" }
}
