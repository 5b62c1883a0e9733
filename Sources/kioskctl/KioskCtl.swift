import ArgumentParser
import KioskConfig

/// `kioskctl`: the technician's and staff's command line.
@main
struct KioskCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskctl",
        abstract: "OneWindow kiosk tool for technicians and hall staff.",
        version: OneWindowVersion.current,
        subcommands: [ConfigCommand.self, StaffCommand.self, DevicesCommand.self, IDCardCommand.self, PrinterCommand.self, SlipCommand.self,
                      CatalogueCommand.self, FilingsCommand.self, QueueCommand.self, SupervisionCommand.self, RectificationsCommand.self, AuditCommand.self, OutboxCommand.self,
                      CameraCommand.self, PadCommand.self, UdevCommand.self, BackupCommand.self, RestoreCommand.self, DoctorCommand.self,
                      HallCommand.self])
}

/// Options every command that reads the configuration shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration directory.")
    var config = "kiosk-config"
}
