import AsyncAlgorithms
import DeviceKit
import Foundation
import FrontDesk
import IDCard
import KioskAPI
import KioskServices
import Logging
import ServiceLifecycle
import Upstream
import Workflow

/// Ends idle citizen sessions (wiping them) and announces the ones about to expire, once a second;
/// every `orphanSweepInterval` it also wipes the open drafts no live session owns — left by a crash,
/// a SIGTERM, or a wipe that failed (a full disk) — so a failed wipe is retried until it succeeds.
struct SessionReaper: Service {
    let sessions: CitizenSessions
    let pages: MaterialsStore
    let desk: FrontDesk
    let clock: any KioskClock
    let logger: Logger
    var orphanSweepInterval: Duration = .seconds(30)

    func run() async throws {
        var lastSweep = SuspendingClock().now
        var lastError: String?
        for await tick in AsyncTimerSequence.repeating(every: .seconds(1)).cancelOnGracefulShutdown() {
            await sessions.reap()
            if tick - lastSweep >= orphanSweepInterval {
                lastSweep = tick
                lastError = await Self.wipeOrphans(sessions: sessions, pages: pages, desk: desk, now: clock.now(), logger: logger,
                                                   lastError: lastError)
            }
        }
    }

    /// One orphan sweep; returns the error it met (logged only when it differs from the last one).
    @discardableResult
    static func wipeOrphans(sessions: CitizenSessions, pages: MaterialsStore, desk: FrontDesk, now: Date, logger: Logger,
                            lastError: String? = nil) async -> String? {
        // Drafts younger than the look at the live sessions may belong to a session opened since.
        let live = sessions.liveIDs
        do {
            let wiped = try await pages.wipeOrphanDrafts(liveSessionIDs: live, createdBefore: now - 1, desk: desk)
            if wiped > 0 { logger.notice("wiped the drafts of sessions that no longer exist", metadata: ["drafts": "\(wiped)"]) }
            if lastError != nil { logger.notice("orphan draft wipe works again") }
            return nil
        } catch {
            let text = "\(error)"
            if text != lastError {
                logger.error("cannot wipe the drafts of ended sessions; retrying every 30 s", metadata: ["error": "\(text)"])
            }
            return text
        }
    }
}

/// Returns the memory malloc holds free to the system every minute, so kioskd's resident size
/// follows what it uses rather than its busiest moment.
struct MemoryTrimmer: Service {
    let interval: Duration

    func run() async throws {
        for await _ in AsyncTimerSequence.repeating(every: interval).cancelOnGracefulShutdown() { ProcessMemory.trim() }
    }
}

/// Turns ID-card placements into citizen sessions: a card read while no session is open starts
/// one; a different person's card mid-session ends the first.
struct CardSessionBridge: Service {
    let reader: IDCardReaderService
    let sessions: CitizenSessions
    let events: KioskEventLog
    let logger: Logger
    /// Asks the platform's licence library about the card holder, without holding up the screen.
    var licences: LicencePrefetch? = nil

    func run() async throws {
        let cards = reader.events.subscribe()
        await cancelWhenGracefulShutdown {
            for await event in cards {
                switch event {
                case let .cardInserted(card):
                    let applicant = Applicant(card)
                    let session = await sessions.cardInserted(applicant)
                    if let licences { Task { await licences.prefetch(for: applicant) } }
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
        let sex: String? = switch card.sex {
        case .male: "男"
        case .female: "女"
        case .unknown, .unspecified: nil
        }
        // The facts that pre-fill an application form (一表申请); they stay with the session and the draft.
        self.init(name: card.name, idNumber: card.idNumber, documentKind: card.cardType.rawValue, verifiedByCard: true,
                  card: CardFacts(sex: sex, nation: card.nation, birthDate: card.birthDate?.description, address: card.address))
    }
}
