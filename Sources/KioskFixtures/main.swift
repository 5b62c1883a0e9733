// kiosk-fixtures: regenerates the umockdev fixtures under devices/ from the device simulators
// and profiles. Usage: kiosk-fixtures [DEVICES_DIR]   (default: devices)
import DeviceFixtures
import Foundation

let devices = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "devices"
do {
    var files: [(String, Data)] = IDCardFixtures.allFiles().map { ("\(devices)/idcard/\($0.key)", $0.value) }
    files += try EvaluationPadFixtures.allFiles(devicesDirectory: devices).map { ("\(devices)/evalpads/\($0.key)", $0.value) }
    for (path, data) in files.sorted(by: { $0.0 < $1.0 }) {
        try data.write(to: URL(fileURLWithPath: path))
        print("wrote \(path) (\(data.count) bytes)")
    }
} catch {
    FileHandle.standardError.write(Data("kiosk-fixtures: \(error)\n".utf8))
    exit(1)
}
