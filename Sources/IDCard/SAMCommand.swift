/// The commands of a GA/T 467 SAM module, as request bodies (CMD PARA [data]).
public enum SAMCommand: Sendable, Hashable, CustomStringConvertible {
    case resetSAM
    case samStatus
    case samID
    case findCard
    case selectCard
    /// Text + photo.
    case readBase
    case readLatestAddress
    /// Text + photo + fingerprint.
    case readWithFingerprint
    case setBaudRate(SAMBaudRate)
    case setMaxFrameSize(UInt8)

    public var code: (command: UInt8, parameter: UInt8) {
        switch self {
        case .resetSAM: (0x10, 0xFF)
        case .samStatus: (0x11, 0xFF)
        case .samID: (0x12, 0xFF)
        case .findCard: (0x20, 0x01)
        case .selectCard: (0x20, 0x02)
        case .readBase: (0x30, 0x01)
        case .readLatestAddress: (0x30, 0x03)
        case .readWithFingerprint: (0x30, 0x10)
        case let .setBaudRate(rate): (0x60, rate.parameter)
        case .setMaxFrameSize: (0x61, 0xFF)
        }
    }

    public var body: [UInt8] {
        let (c, p) = code
        if case let .setMaxFrameSize(size) = self { return [c, p, size] }
        return [c, p]
    }

    /// The complete request frame.
    public var frame: [UInt8] { SAMFrame.encode(body: body) }

    /// The status that means success for this command (find card answers 0x9F).
    public var successStatus: UInt8 { self == .findCard ? 0x9F : 0x90 }

    public var description: String {
        switch self {
        case .resetSAM: "reset SAM"
        case .samStatus: "SAM status"
        case .samID: "SAM id"
        case .findCard: "find card"
        case .selectCard: "select card"
        case .readBase: "read text+photo"
        case .readLatestAddress: "read latest address"
        case .readWithFingerprint: "read with fingerprint"
        case let .setBaudRate(rate): "set baud \(rate.bitsPerSecond)"
        case let .setMaxFrameSize(size): "set max frame \(size)"
        }
    }

    /// Recognises a request body (for the device-side simulator).
    public init?(body: ArraySlice<UInt8>) {
        guard body.count >= 2 else { return nil }
        let c = body[body.startIndex], p = body[body.startIndex + 1]
        switch (c, p) {
        case (0x10, 0xFF): self = .resetSAM
        case (0x11, 0xFF): self = .samStatus
        case (0x12, 0xFF): self = .samID
        case (0x20, 0x01): self = .findCard
        case (0x20, 0x02): self = .selectCard
        case (0x30, 0x01): self = .readBase
        case (0x30, 0x03): self = .readLatestAddress
        case (0x30, 0x10): self = .readWithFingerprint
        case (0x60, _):
            guard let rate = SAMBaudRate(parameter: p) else { return nil }
            self = .setBaudRate(rate)
        case (0x61, 0xFF):
            guard body.count >= 3 else { return nil }
            self = .setMaxFrameSize(body[body.startIndex + 2])
        default: return nil
        }
    }
}

/// Serial speeds the SAM can be switched to (command 60 0x).
public enum SAMBaudRate: Sendable, Hashable, CaseIterable {
    case b115200, b57600, b38400, b19200, b9600

    public var parameter: UInt8 {
        switch self {
        case .b115200: 0x00
        case .b57600: 0x01
        case .b38400: 0x02
        case .b19200: 0x03
        case .b9600: 0x04
        }
    }

    public var bitsPerSecond: Int {
        switch self {
        case .b115200: 115_200
        case .b57600: 57_600
        case .b38400: 38_400
        case .b19200: 19_200
        case .b9600: 9_600
        }
    }

    public init?(parameter: UInt8) {
        guard let rate = Self.allCases.first(where: { $0.parameter == parameter }) else { return nil }
        self = rate
    }

    public init?(bitsPerSecond: Int) {
        guard let rate = Self.allCases.first(where: { $0.bitsPerSecond == bitsPerSecond }) else { return nil }
        self = rate
    }
}
