import ArgumentParser
import DeviceKit
import Foundation
import KioskConfig
import Logging

/// `kioskctl devices …`: check the configured devices and the USB bus directly (kioskd need not run).
struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "Check devices.", subcommands: [Status.self, USB.self],
        defaultSubcommand: Status.self)

    /// Probes every bound device once and prints its state.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every configured device now; exit 1 if any is not serving.")

        @OptionGroup var options: ConfigOptions
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            let configuration = try loadConfiguration(options)
            let devices = DeviceFactory.makeDevices(for: configuration.settings.devices,
                                                    profilesDirectory: configuration.profilesDirectory, logger: Logger(label: "kioskctl"))
            // Devices that poll (the ID-card reader, the evaluation pad) report after one round of their own.
            for case let reader as IDCardReaderService in devices { await reader.pollOnce() }
            for case let pad as EvaluationPadDevice in devices { await pad.pollOnce() }
            let reports = await DeviceMonitor.checkAll(devices)
            if json {
                Console.json(reports)
            } else {
                for r in reports {
                    let paper = r.paper.map { " paper=\($0.rawValue)" } ?? ""
                    let action = r.action.map { " [action: \($0.rawValue)]" } ?? ""
                    Console.out("\(r.id.padded(10)) \(r.kind.rawValue.padded(15)) \(r.driver.rawValue.padded(10)) \(r.status.rawValue)\(paper)\(action)\(r.detail.map { " — \($0)" } ?? "")")
                }
            }
            if !reports.allSatisfy(\.isHealthy) { throw ExitCode(1) }
        }
    }

    /// Lists what libusb sees on the bus.
    struct USB: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "usb", abstract: "List USB devices (libusb).")

        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            let devices: [USBDeviceInfo]
            do {
                devices = try USBBus.listDevices()
            } catch {
                Console.err("\(error)")
                throw ExitCode(1)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                Console.out(String(decoding: try encoder.encode(devices), as: UTF8.self))
            } else if devices.isEmpty {
                Console.out("no USB devices")
            } else {
                for d in devices { Console.out("bus \(d.bus) device \(d.address): \(d.id) class \(d.deviceClass)") }
            }
        }
    }
}
