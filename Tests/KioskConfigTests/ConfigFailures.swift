import KioskTestSupport
import Testing
import Workflow
@testable import KioskConfig

/// Loads a configuration that must fail and returns its diagnostics; a configuration that loads is
/// recorded as an issue (the suites then find none of the diagnostics they expect).
func loadFailures(_ fixture: ConfigFixture, today: CivilDate) -> [ConfigDiagnostic] {
    do {
        _ = try ConfigLoader.load(directory: fixture.directory, today: today)
        Issue.record("the broken configuration loaded")
        return []
    } catch {
        return error.errors
    }
}
