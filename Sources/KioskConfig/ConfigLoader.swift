import Foundation
import Workflow

/// Loads and validates a configuration directory. Every file is read, every finding collected;
/// if any is an error the whole load fails with all of them, each naming its file and line.
public enum ConfigLoader {
    /// Loads `directory`. `today` decides which calendar years must be present (injected for tests).
    public static func load(directory: String, today: CivilDate? = nil,
                            clock: any KioskClock = SystemClock()) throws(ConfigError) -> KioskConfiguration {
        var diagnostics: [ConfigDiagnostic] = []
        let display = { (name: String) in directory.hasSuffix("/") ? directory + name : directory + "/" + name }

        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigError(diagnostics: [ConfigDiagnostic(.error, file: directory, "configuration directory not found")])
        }

        func decodeFile<T: Codable>(_ name: String, as type: T.Type) -> (T, YAMLFile)? {
            switch YAMLFile.read(path: display(name), displayPath: display(name)) {
            case let .failure(d):
                diagnostics.append(d)
                return nil
            case let .success(file):
                switch file.decode(T.self) {
                case let .failure(d):
                    diagnostics.append(d)
                    return nil
                case let .success(value):
                    return (value, file)
                }
            }
        }

        let kiosk = decodeFile(ConfigFiles.kiosk, as: KioskSettings.self)
        let catalogue = decodeFile(ConfigFiles.catalogue, as: CatalogueFile.self)
        let bundles = decodeFile(ConfigFiles.bundles, as: BundlesFile.self)
        let queue = decodeFile(ConfigFiles.queue, as: QueueFile.self)
        let staff = FileManager.default.fileExists(atPath: display(ConfigFiles.staff))
            ? decodeFile(ConfigFiles.staff, as: StaffAccountsFile.self) : nil
        let screen = FileManager.default.fileExists(atPath: display(ConfigFiles.screen))
            ? decodeFile(ConfigFiles.screen, as: ScreenSettings.self) : nil
        if let (screenSettings, file) = screen { diagnostics += ScreenSettings.problems(screenSettings, file: file) }

        var years: [(HolidayYear, YAMLFile, Int?)] = []
        let calendarDir = display(ConfigFiles.calendarFolder)
        let calendarNames = ((try? FileManager.default.contentsOfDirectory(atPath: calendarDir)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
        if calendarNames.isEmpty {
            diagnostics.append(ConfigDiagnostic(.error, file: calendarDir,
                                                "no working-day calendar (calendar/YYYY.yaml): deadlines cannot be computed"))
        }
        for name in calendarNames {
            if let (year, file) = decodeFile(ConfigFiles.calendarFolder + "/" + name, as: HolidayYear.self) {
                years.append((year, file, Int(name.dropLast(5))))
            }
        }

        var validator = Validator()
        if let (settings, file) = kiosk {
            validator.check(settings: settings, file: file, configDirectory: directory)
        }
        if let (queueFile, file) = queue {
            validator.check(queue: queueFile, file: file)
        }
        if let (staffFile, file) = staff {
            validator.check(staff: staffFile, file: file)
        }
        for (year, file, nameYear) in years {
            validator.check(year: year, file: file, fileNameYear: nameYear)
        }
        if let (catalogueFile, file) = catalogue {
            validator.check(catalogue: catalogueFile, file: file, queue: queue?.0)
            if let (bundlesFile, bundleYAML) = bundles {
                validator.check(bundles: bundlesFile, file: bundleYAML, items: catalogueFile.items, catalogue: file)
            }
        }
        diagnostics += validator.diagnostics

        let timeZone = kiosk.flatMap { TimeZone(identifier: $0.0.kiosk.timeZone) } ?? TimeZone(identifier: "Asia/Shanghai")!
        let day = today ?? CivilDate.today(in: timeZone, now: clock.now())
        let covered = Set(years.map(\.0.year))
        for needed in [day.year, day.year + 1] where !covered.contains(needed) {
            diagnostics.append(ConfigDiagnostic(
                .warning, file: calendarDir,
                "no calendar for \(needed): add calendar/\(needed).yaml from the State Council's holiday notice "
                    + "(deadlines in \(needed) would count weekends only)"))
        }

        guard !diagnostics.contains(where: { $0.severity == .error }),
              let (settings, _) = kiosk, let (catalogueFile, _) = catalogue,
              let (bundlesFile, _) = bundles, let (queueFile, _) = queue else {
            throw ConfigError(diagnostics: diagnostics)
        }
        let holidayYears = years.map(\.0)
        var configuration = KioskConfiguration(
            directory: directory, settings: settings, items: catalogueFile.items,
            itemTypeCodes: catalogueFile.itemTypeCodes, bundles: bundlesFile.bundles,
            queueCategories: queueFile.categories, holidayYears: holidayYears,
            calendar: WorkingCalendar(years: holidayYears), staffAccounts: staff?.0.accounts ?? [], warnings: diagnostics)
        configuration.screen = screen?.0 ?? .standard
        configuration.greenChannel = queueFile.greenChannel?.greenChannel ?? .off
        return configuration
    }
}
