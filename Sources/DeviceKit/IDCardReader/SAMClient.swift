import IDCard

/// Why reading a card failed, at whichever level: the link, the frame, the SAM's status, or the
/// card's own data. Each says what a technician should do.
public enum IDCardReadError: Error, Sendable, Hashable, CustomStringConvertible {
    case transport(SAMTransportError)
    case status(SAMStatusError)
    case frame(SAMFrameError)
    case cardData(CardTextError)
    /// No card was placed before the timeout.
    case noCardInTime

    public var description: String {
        switch self {
        case let .transport(e): "\(e)"
        case let .status(e): "\(e)"
        case let .frame(e): "malformed reply: \(e)"
        case let .cardData(e): "unreadable card data: \(e)"
        case .noCardInTime: "no card was placed on the reader in time"
        }
    }

    /// The SAM status, when the failure is one.
    public var samStatus: SAMStatus? {
        if case let .status(e) = self { return e.status }
        return nil
    }
}

/// The reader's commands over any `SAMConnection`: find, select, read and decode, SAM id.
/// Blocking; every step bounded by `commandTimeout` (reads by `readTimeout`).
public struct SAMClient: Sendable {
    public let connection: any SAMConnection
    public var commandTimeout: Duration
    public var readTimeout: Duration

    public init(connection: any SAMConnection, commandTimeout: Duration = .milliseconds(1000), readTimeout: Duration = .milliseconds(3000)) {
        self.connection = connection
        self.commandTimeout = commandTimeout
        self.readTimeout = readTimeout
    }

    /// Sends a command and returns the data of a successful reply; other statuses are errors.
    public func run(_ command: SAMCommand, timeout: Duration? = nil) throws(IDCardReadError) -> ArraySlice<UInt8> {
        let frame: [UInt8]
        do {
            frame = try connection.transact(command.frame, timeout: timeout ?? commandTimeout)
        } catch {
            throw .transport(error)
        }
        let response: SAMResponse
        do {
            response = try SAMResponse(frame: frame)
        } catch {
            throw .frame(error)
        }
        guard response.status.code == command.successStatus else {
            throw .status(SAMStatusError(command: command, status: response.status))
        }
        return response.data
    }

    /// Whether a card is in the field (find card answers 9F; 80 means none).
    public func findCard() throws(IDCardReadError) -> Bool {
        do {
            _ = try run(.findCard)
            return true
        } catch let error {
            if error.samStatus == .noCard { return false }
            throw error
        }
    }

    public func selectCard() throws(IDCardReadError) {
        _ = try run(.selectCard)
    }

    /// Reads and decodes the card that was found and selected.
    public func readCard(withFingerprint: Bool = false) throws(IDCardReadError) -> CardIdentity {
        let command: SAMCommand = withFingerprint ? .readWithFingerprint : .readBase
        let data = try run(command, timeout: readTimeout)
        let payload: CardReadPayload
        do throws(SAMFrameError) {
            payload = try CardReadPayload(readReplyData: data, withFingerprint: withFingerprint)
        } catch {
            throw .frame(error)
        }
        do throws(CardTextError) {
            return try CardText.decode(text: payload.text, photo: payload.photo, fingerprint: payload.fingerprint)
        } catch {
            throw .cardData(error)
        }
    }

    /// Find, select and read: one card placement.
    public func findSelectRead(withFingerprint: Bool = false) throws(IDCardReadError) -> CardIdentity? {
        guard try findCard() else { return nil }
        try selectCard()
        return try readCard(withFingerprint: withFingerprint)
    }

    /// The newer address recorded on the card after a move (30 03), nil when the card has none.
    public func readLatestAddress() throws(IDCardReadError) -> String? {
        do {
            let data = try run(.readLatestAddress, timeout: readTimeout)
            let text = CardText.string(Array(data), CardText.Field(offset: 0, length: data.count))
            return text.isEmpty ? nil : text
        } catch let error {
            if error.samStatus == .noSuchItem { return nil }
            throw error
        }
    }

    public func samIdentifier() throws(IDCardReadError) -> SAMIdentifier {
        let data = try run(.samID)
        do {
            return try SAMIdentifier(data: data)
        } catch {
            throw .frame(error)
        }
    }

    /// SAM status (11 FF): succeeds when the module is healthy.
    public func checkSAM() throws(IDCardReadError) {
        _ = try run(.samStatus)
    }

    public func resetSAM() throws(IDCardReadError) {
        _ = try run(.resetSAM)
    }
}
