import DeviceKit
import Foundation
import FrontDesk
import IDCard
import KioskAPI
import Logging
import ServiceLifecycle
import Workflow

/// Ends idle citizen sessions (wiping them) and announces the ones about to expire, once a second.
struct SessionReaper: Service {
    let sessions: CitizenSessions

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                sessions.reap()
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}

/// Turns ID-card placements into citizen sessions: a card read while no session is open starts
/// one; a different person's card mid-session ends the first.
struct CardSessionBridge: Service {
    let reader: IDCardReaderService
    let sessions: CitizenSessions
    let logger: Logger

    func run() async throws {
        let events = reader.events.subscribe()
        await cancelWhenGracefulShutdown {
            for await event in events {
                if case let .cardInserted(card) = event {
                    let session = sessions.cardInserted(Applicant(card))
                    logger.info("card read into session", metadata: ["session": "\(session.id)"])
                }
            }
        }
    }
}

extension Applicant {
    /// The applicant an ID card names, verified by the SAM.
    init(_ card: CardIdentity) {
        self.init(name: card.name, idNumber: card.idNumber, documentKind: card.cardType.rawValue, verifiedByCard: true)
    }
}
