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

/// Returns the memory malloc holds free to the system every minute, so kioskd's resident size
/// follows what it uses rather than its busiest moment.
struct MemoryTrimmer: Service {
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                ProcessMemory.trim()
            }
        }
    }
}

/// Turns ID-card placements into citizen sessions: a card read while no session is open starts
/// one; a different person's card mid-session ends the first.
struct CardSessionBridge: Service {
    let reader: IDCardReaderService
    let sessions: CitizenSessions
    let events: KioskEventLog
    let logger: Logger

    func run() async throws {
        let cards = reader.events.subscribe()
        await cancelWhenGracefulShutdown {
            for await event in cards {
                switch event {
                case let .cardInserted(card):
                    let session = sessions.cardInserted(Applicant(card))
                    logger.info("card read into session", metadata: ["session": "\(session.id)"])
                    events.publish(.cardInserted, CardInsertedEvent(
                        sessionId: session.id, name: PersonalDataMask.name(card.name),
                        idNumber: PersonalDataMask.idNumber(card.idNumber), cardType: card.cardType.rawValue))
                case .cardRemoved:
                    // Lifting the card does not end the session: the citizen may go on without it.
                    events.publish(.cardRemoved, CardRemovedEvent(sessionId: sessions.currentID))
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
