// kiosk-fixtures: regenerates the umockdev fixtures under devices/ from the device simulators.
// Usage: kiosk-fixtures [DEVICES_DIR]   (default: devices)
import DeviceFixtures
import Foundation

let devices = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "devices"
do {
    for (name, data) in IDCardFixtures.allFiles().sorted(by: { $0.key < $1.key }) {
        let path = "\(devices)/idcard/\(name)"
        try data.write(to: URL(fileURLWithPath: path))
        print("wrote \(path) (\(data.count) bytes)")
    }
} catch {
    FileHandle.standardError.write(Data("kiosk-fixtures: \(error)\n".utf8))
    exit(1)
}
