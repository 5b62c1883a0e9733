/// The settings of one kiosk, read from `kiosk-config/kiosk.yaml`: who it is, where it listens,
/// where it keeps its data, its session rules, its upstream platform and its device bindings.
public struct KioskSettings: Sendable, Hashable, Codable {
    /// The kiosk's identity in the hall and in filing numbers.
    public struct Identity: Sendable, Hashable, Codable {
        /// Short code, 2–8 of A–Z and 0–9; part of every filing number, so unique in the region.
        public var id: String
        public var hallName: String
        /// Six-digit administrative division code (GB/T 2260), e.g. 370481 for 滕州市.
        public var regionCode: String
        /// The hall's time zone (IANA name); days, queue resets and deadlines follow it.
        public var timeZone: String
        /// Base of the progress URL printed as a QR code: `<publicBaseURL>/p/<token>`.
        public var publicBaseURL: String
        /// The hall's consultation phone printed on slips.
        public var consultationPhone: String?
    }

    /// Where the HTTP API listens.
    public struct API: Sendable, Hashable, Codable {
        /// `HOST:PORT` for the touch screen's routes.
        public var listen: String
        /// Optional separate `HOST:PORT` for staff routes; when set they are served only there.
        public var staffListen: String?
        /// Whether the staff routes are also served on the citizen listener when `staffListen` is
        /// not set (default true). False shuts the staff door on the touch screen's address, so
        /// nothing that reaches the citizen API can guess PINs or keep the door locked.
        public var staffOnCitizenListener: Bool?
        /// What citizen routes answer (and the screen shows) in maintenance mode
        /// (default 设备维护中，请到人工窗口办理).
        public var maintenanceMessage: String?
    }

    /// The staff door: how long a login lasts and when repeated wrong PINs lock it.
    public struct Staff: Sendable, Hashable, Codable {
        /// Minutes a staff token is valid (default 15).
        public var tokenMinutes: Int?
        /// Wrong PINs in a row for one account before that account locks (default 5).
        public var maxFailures: Int?
        /// Minutes a locked account, or the locked door, stays locked (default 5).
        public var lockoutMinutes: Int?
        /// Wrong PINs, over all accounts, within `doorWindowMinutes` before the whole door locks
        /// (default 10). A successful login never gives this budget back.
        public var doorMaxFailures: Int?
        /// The window the door-wide budget counts in (default 15 minutes).
        public var doorWindowMinutes: Int?

        public init(tokenMinutes: Int? = nil, maxFailures: Int? = nil, lockoutMinutes: Int? = nil,
                    doorMaxFailures: Int? = nil, doorWindowMinutes: Int? = nil) {
            self.tokenMinutes = tokenMinutes
            self.maxFailures = maxFailures
            self.lockoutMinutes = lockoutMinutes
            self.doorMaxFailures = doorMaxFailures
            self.doorWindowMinutes = doorWindowMinutes
        }
    }

    /// Citizen session rules: inactivity ends a session and wipes its personal data.
    public struct Session: Sendable, Hashable, Codable {
        public var inactivityTimeoutSeconds: Int
        /// How long before the timeout the screen is warned (`sessionExpiring`).
        public var warningSeconds: Int
    }

    /// The provincial/city government service platform the outbox forwards to.
    public struct Upstream: Sendable, Hashable, Codable {
        /// Which platform the outbox relay talks to.
        public enum Platform: String, Sendable, Hashable, Codable, CaseIterable {
            /// The platform's JSON API at `endpoint` over HTTPS (the default when the key is absent).
            case http
            /// An in-memory platform that accepts everything and never touches the network: the demo,
            /// the tests, and a kiosk not yet connected. Rows it "delivers" never reach a real platform.
            case simulated
        }

        public var platform: Platform?
        public var endpoint: String
        /// File holding the bearer token (never the token itself in this file).
        public var tokenFile: String?
        /// Environment variable holding the bearer token, used when `tokenFile` is absent.
        public var tokenEnvironmentVariable: String?
        /// Connect and read timeout of every call to the platform.
        public var timeoutSeconds: Int
        /// Order keys (filings) the relay sends at the same time (default 4).
        public var concurrency: Int?
        /// Failed attempts after which a row is flagged stuck (default 10); it is still retried.
        public var stuckAfterAttempts: Int?
        /// Minutes between attempts of a stuck row (default 30).
        public var stuckRetryMinutes: Int?
        /// Progress sync's budget: status requests a minute at most, however many filings are open (default 30).
        public var progressRequestsPerMinute: Int?
        /// Days a page image is kept after the platform confirmed it and its filing (default 7);
        /// the applicant kept with the filing is then reduced to the masked name and number.
        public var pageRetentionDays: Int?

        /// `platform`, `http` when absent.
        public var effectivePlatform: Platform { platform ?? .http }

        public init(platform: Platform? = nil, endpoint: String, tokenFile: String? = nil, tokenEnvironmentVariable: String? = nil,
                    timeoutSeconds: Int, concurrency: Int? = nil, stuckAfterAttempts: Int? = nil, stuckRetryMinutes: Int? = nil,
                    progressRequestsPerMinute: Int? = nil) {
            self.platform = platform
            self.endpoint = endpoint
            self.tokenFile = tokenFile
            self.tokenEnvironmentVariable = tokenEnvironmentVariable
            self.timeoutSeconds = timeoutSeconds
            self.concurrency = concurrency
            self.stuckAfterAttempts = stuckAfterAttempts
            self.stuckRetryMinutes = stuckRetryMinutes
            self.progressRequestsPerMinute = progressRequestsPerMinute
        }
    }

    /// How often device states are polled for health and alerts.
    public struct Monitoring: Sendable, Hashable, Codable {
        public var deviceStatusIntervalSeconds: Double
    }

    /// Front-desk rules the hall sets: office hours for the received day, 差评 follow-up time.
    public struct WorkflowRules: Sendable, Hashable, Codable {
        /// `HH:MM-HH:MM`; a filing submitted after closing, or on a day off, is received on the next
        /// working day (default 09:00-17:00).
        public var officeHours: String?
        /// Working days a 差评 rectification has (default 5).
        public var rectificationWorkingDays: Int?
        /// How often supervision lights are recomputed, in seconds (default 300).
        public var supervisionIntervalSeconds: Double?
        /// How long the evaluation pad waits for a rating after the screen asks for one (default 30);
        /// no press in time is recorded as 未评价 (no rating), never as a level.
        public var ratingTimeoutSeconds: Int?
    }

    /// Captured pages (材料): size limits and the free space kept on the data disk.
    public struct Materials: Sendable, Hashable, Codable {
        /// Largest page accepted, in KiB (default 10240 = 10 MiB).
        public var maximumPageKilobytes: Int?
        /// All pages of one filing together, in MiB (default 100).
        public var maximumFilingMegabytes: Int?
        /// Free space a capture must leave on the data disk, in MiB (default 32): below it captures are refused.
        public var reserveMegabytes: Int?
        /// Camera previews (`GET /api/v1/camera/preview`) a second at most (default 4); more answer 429.
        public var previewsPerSecond: Int?

        public init(maximumPageKilobytes: Int? = nil, maximumFilingMegabytes: Int? = nil, reserveMegabytes: Int? = nil,
                    previewsPerSecond: Int? = nil) {
            self.maximumPageKilobytes = maximumPageKilobytes
            self.maximumFilingMegabytes = maximumFilingMegabytes
            self.reserveMegabytes = reserveMegabytes
            self.previewsPerSecond = previewsPerSecond
        }
    }

    /// Hall mode: the queue shared by the hall's kiosks and windows (`hall: {store: postgres, url: …}`).
    /// Absent or `store: sqlite`: the single kiosk numbers its own tickets in its SQLite store.
    public struct Hall: Sendable, Hashable, Codable {
        public enum StoreKind: String, Sendable, Hashable, Codable, CaseIterable {
            /// The kiosk's own SQLite store (the default; no server).
            case sqlite
            /// The hall's PostgreSQL server at `url`.
            case postgres
        }

        public var store: StoreKind
        /// `postgres://user[:password]@host[:port]/database` (`?sslmode=require` for TLS).
        public var url: String?
        /// Minutes a skipped ticket (过号) may be put back in the queue (default 30).
        public var skipGraceMinutes: Int?
        /// Seconds one hall database call may take before the kiosk calls it unreachable (default 3).
        public var timeoutSeconds: Double?
        /// Seconds between the link checks that feed health and the reconcile (default 2).
        public var checkIntervalSeconds: Double?
        /// How many times the hall display (`/hall`) speaks each call (1–5, default 2).
        public var callRepeat: Int?
        /// Offer each waiting ticket to the longest-idle open window (auto-assign; default off:
        /// windows call with call-next).
        public var autoAssign: Bool?
        /// Seconds between this kiosk's heartbeats into the hall store (the fleet view; default 30).
        public var heartbeatSeconds: Double?
        /// The hall's kiosk ids: the fleet view lists one that never sent a heartbeat as "never sent".
        public var kiosks: [String]?

        public init(store: StoreKind, url: String? = nil, skipGraceMinutes: Int? = nil, timeoutSeconds: Double? = nil,
                    checkIntervalSeconds: Double? = nil) {
            self.store = store; self.url = url; self.skipGraceMinutes = skipGraceMinutes; self.timeoutSeconds = timeoutSeconds
            self.checkIntervalSeconds = checkIntervalSeconds
        }
    }

    public var kiosk: Identity
    public var hall: Hall?
    public var api: API
    /// Where the database and captured pages live; relative paths are relative to the config directory.
    public var dataDirectory: String
    /// Folder of device profiles (`devices/`); relative to the config directory.
    public var profilesDirectory: String
    public var session: Session
    public var upstream: Upstream
    public var monitoring: Monitoring?
    public var workflow: WorkflowRules?
    public var staff: Staff?
    public var materials: Materials?
    public var devices: [DeviceBinding]
}

/// The kinds of device a kiosk drives.
public enum DeviceKind: String, Sendable, Hashable, Codable, CaseIterable {
    case idCardReader
    case documentCamera
    case receiptPrinter
    case ticketPrinter
    case evaluationPad

    /// The folder under `devices/` that holds this kind's profiles.
    public var profileFolder: String {
        switch self {
        case .idCardReader: "idcard"
        case .documentCamera: "cameras"
        case .receiptPrinter, .ticketPrinter: "printers"
        case .evaluationPad: "evalpads"
        }
    }

    /// The drivers that can run this kind of device.
    public var allowedDrivers: [DriverKind] {
        switch self {
        case .idCardReader: [.simulated, .usb, .serial]
        case .documentCamera: [.simulated, .v4l2]
        case .receiptPrinter, .ticketPrinter: [.simulated, .cups]
        case .evaluationPad: [.simulated, .hid, .evdev]
        }
    }
}

/// How a device is reached.
public enum DriverKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// An in-process simulator: the demo and tests run the whole kiosk with no hardware.
    case simulated
    /// libusb (ID-card reader with the SAM on USB).
    case usb
    /// termios serial port.
    case serial
    /// A CUPS queue taking raw ESC/POS jobs.
    case cups
    /// Video4Linux2 capture device.
    case v4l2
    /// USB HID through libusb interrupt transfers.
    case hid
    /// Linux input events (`/dev/input/eventN`).
    case evdev
}

/// Binds one device of the kiosk to a driver and, for real hardware, a profile from `devices/`.
public struct DeviceBinding: Sendable, Hashable, Codable {
    /// Unique name of this device in the kiosk, used in the API and CLI (`receipt`, `idcard`).
    public var id: String
    public var kind: DeviceKind
    public var driver: DriverKind
    /// Profile file name under `devices/<kind folder>/`, without `.yaml`.
    public var profile: String?
    /// CUPS queue name (driver `cups`).
    public var queue: String?
    /// CUPS server `host:port` (driver `cups`); without it `CUPS_SERVER`, then the system default.
    public var server: String?
    /// `VID:PID` in hex (drivers `usb`, `hid`).
    public var usb: String?
    /// Device node (`serial`: /dev/ttyUSB0, `v4l2`: /dev/video0, `evdev`: /dev/input/event3).
    public var path: String?
    /// Serial speed (driver `serial`); default from the profile, else 115200.
    public var baud: Int?

    public init(id: String, kind: DeviceKind, driver: DriverKind, profile: String? = nil, queue: String? = nil,
                server: String? = nil, usb: String? = nil, path: String? = nil, baud: Int? = nil) {
        self.id = id; self.kind = kind; self.driver = driver; self.profile = profile; self.queue = queue
        self.server = server; self.usb = usb; self.path = path; self.baud = baud
    }
}

/// A `HOST:PORT` pair as written in the configuration (`127.0.0.1:8080`, `[::1]:8080`).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) { self.host = host; self.port = port }

    /// Parses `HOST:PORT`; nil when either part is missing or the port is not 1–65535.
    public init?(_ text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portPart = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard !hostPart.isEmpty, !hostPart.contains(" "), let port = Int(portPart), (1...65535).contains(port) else { return nil }
        self.host = String(hostPart)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
