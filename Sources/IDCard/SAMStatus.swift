/// A SAM status word's third byte (SW3), each with what it means and what to do about it.
public enum SAMStatus: Sendable, Hashable, CustomStringConvertible {
    case success                  // 0x90
    case findCardSuccess          // 0x9F
    case noCard                   // 0x80
    case selectFailed             // 0x81
    case readFailed               // 0x41
    case checksumError            // 0x10
    case lengthError              // 0x11
    case commandError             // 0x21
    case unauthorised             // 0x23
    case unknownError             // 0x24
    case cardAuthenticationFailed // 0x31
    case samAuthenticationFailed  // 0x32
    case informationVerificationFailed // 0x33
    case unknownCardType          // 0x40
    case samSelfTestFailed        // 0x60
    case samNotAuthorised         // 0x66
    case noSuchItem               // 0x91
    /// A code the standard does not define.
    case undefined(UInt8)

    public init(code: UInt8) {
        switch code {
        case 0x90: self = .success
        case 0x9F: self = .findCardSuccess
        case 0x80: self = .noCard
        case 0x81: self = .selectFailed
        case 0x41: self = .readFailed
        case 0x10: self = .checksumError
        case 0x11: self = .lengthError
        case 0x21: self = .commandError
        case 0x23: self = .unauthorised
        case 0x24: self = .unknownError
        case 0x31: self = .cardAuthenticationFailed
        case 0x32: self = .samAuthenticationFailed
        case 0x33: self = .informationVerificationFailed
        case 0x40: self = .unknownCardType
        case 0x60: self = .samSelfTestFailed
        case 0x66: self = .samNotAuthorised
        case 0x91: self = .noSuchItem
        default: self = .undefined(code)
        }
    }

    public var code: UInt8 {
        switch self {
        case .success: 0x90
        case .findCardSuccess: 0x9F
        case .noCard: 0x80
        case .selectFailed: 0x81
        case .readFailed: 0x41
        case .checksumError: 0x10
        case .lengthError: 0x11
        case .commandError: 0x21
        case .unauthorised: 0x23
        case .unknownError: 0x24
        case .cardAuthenticationFailed: 0x31
        case .samAuthenticationFailed: 0x32
        case .informationVerificationFailed: 0x33
        case .unknownCardType: 0x40
        case .samSelfTestFailed: 0x60
        case .samNotAuthorised: 0x66
        case .noSuchItem: 0x91
        case let .undefined(code): code
        }
    }

    /// Every code the standard defines.
    public static let defined: [SAMStatus] = [
        .success, .findCardSuccess, .noCard, .selectFailed, .readFailed, .checksumError, .lengthError, .commandError,
        .unauthorised, .unknownError, .cardAuthenticationFailed, .samAuthenticationFailed,
        .informationVerificationFailed, .unknownCardType, .samSelfTestFailed, .samNotAuthorised, .noSuchItem,
    ]

    /// What the status means (English, for technicians and logs).
    public var meaning: String {
        switch self {
        case .success: "success"
        case .findCardSuccess: "card found"
        case .noCard: "no card in the reader's field"
        case .selectFailed: "the card could not be selected"
        case .readFailed: "reading the card failed"
        case .checksumError: "the SAM received a frame with a bad checksum"
        case .lengthError: "the SAM received a frame with a bad length"
        case .commandError: "the SAM did not recognise the command"
        case .unauthorised: "operation not permitted (越权操作)"
        case .unknownError: "the SAM reports an unspecified error"
        case .cardAuthenticationFailed: "the card failed to authenticate the reader"
        case .samAuthenticationFailed: "the reader failed to authenticate the card"
        case .informationVerificationFailed: "the card's data failed verification"
        case .unknownCardType: "unknown card type"
        case .samSelfTestFailed: "the SAM failed its self-test"
        case .samNotAuthorised: "the SAM module is not authorised (no licence)"
        case .noSuchItem: "the card holds no such item"
        case let .undefined(code): "undefined status 0x\(hex(code))"
        }
    }

    /// What a technician (or the citizen, through the screen) should do.
    public var remedy: String {
        switch self {
        case .success, .findCardSuccess: "none"
        case .noCard: "place the ID card flat on the reader"
        case .selectFailed, .readFailed: "lift the card and place it again, flat and still"
        case .checksumError, .lengthError: "line noise or a wrong baud rate: check the cable and the profile's baud rate"
        case .commandError, .unauthorised: "the reader does not support this command: check the device profile"
        case .unknownError: "reset the SAM (kioskctl idcard sam --reset); call maintenance if it persists"
        case .cardAuthenticationFailed, .samAuthenticationFailed, .informationVerificationFailed:
            "place the card again; if it keeps failing the card may be damaged or not genuine: send the citizen to a staffed window"
        case .unknownCardType: "this is not a card the reader supports: send the citizen to a staffed window"
        case .samSelfTestFailed: "hardware fault in the SAM: replace the reader module"
        case .samNotAuthorised: "the SAM module is not licensed: contact the vendor"
        case .noSuchItem: "none: the card has no such data (e.g. no fingerprint or no newer address)"
        case .undefined: "reset the SAM; call maintenance if it persists"
        }
    }

    public var description: String { "SW3 0x\(hex(code)) (\(meaning))" }
}

/// A SAM answered a command with a status other than success.
public struct SAMStatusError: Error, Sendable, Hashable, CustomStringConvertible {
    public var command: SAMCommand
    public var status: SAMStatus

    public init(command: SAMCommand, status: SAMStatus) {
        self.command = command
        self.status = status
    }

    public var description: String { "\(command): \(status) — \(status.remedy)" }
}
