import ArgumentParser
import Foundation
import KioskConfig
import Store
import Workflow

/// kioskctl's one clock: the system's (every command reads the time here).
let kioskctlClock: any KioskClock = SystemClock()

/// Opens the kiosk's store for a kioskctl command. A command that only reads (status, lists,
/// reports) refuses a data directory without a store: opening would create an empty one — at
/// kiosk.yaml's `/var/lib/onewindow` when `--data` was forgotten — and report "0 slips" or "nothing
/// undelivered" about a kiosk it never looked at. Commands that write may create it (`creating`).
/// Exit 74 when the store is missing or cannot be opened, with the path looked at on stderr.
func openKioskStore(data: String?, configuration: KioskConfiguration, creating: Bool) throws -> KioskStore {
    let directory = data ?? configuration.dataDirectory
    let file = (directory as NSString).appendingPathComponent(KioskStore.fileName)
    if !creating, !FileManager.default.fileExists(atPath: file) {
        let source = data == nil ? "kiosk.yaml's dataDirectory" : "--data"
        Console.err("no kiosk store at \(file) (\(source)): nothing to read; give the kiosk's data directory with --data DIR"
                    + " (kioskd creates the store when it first starts)")
        throw ExitCode(74)
    }
    do {
        let store = try KioskStore.open(directory: directory)
        try store.claimIdentity(kioskID: configuration.settings.kiosk.id, regionCode: configuration.settings.kiosk.regionCode,
                                 now: kioskctlClock.now())
        return store
    } catch {
        Console.err("\(error)")
        throw ExitCode(74)
    }
}
