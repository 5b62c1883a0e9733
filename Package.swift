// swift-tools-version:6.1
// OneWindow: the backend of an unattended 24-hour government self-service kiosk.
import PackageDescription

let package = Package(
    name: "OneWindow",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kioskd", targets: ["kioskd"]),
        .executable(name: "kioskctl", targets: ["kioskctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // C libraries, wrapped once at the edge.
        .systemLibrary(name: "CLibUSB", path: "Sources/CLibUSB", pkgConfig: "libusb-1.0",
                       providers: [.apt(["libusb-1.0-0-dev"])]),
        .systemLibrary(name: "CCups", path: "Sources/CCups", providers: [.apt(["libcups2-dev"])]),
        .systemLibrary(name: "CQREncode", path: "Sources/CQREncode", pkgConfig: "libqrencode",
                       providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CFreeType", path: "Sources/CFreeType", pkgConfig: "freetype2",
                       providers: [.apt(["libfreetype-dev"])]),
        // Linux evdev (linux/input.h): input_event and EVIOCGRAB for keyboard-mode evaluation pads.
        .systemLibrary(name: "CEvdev", path: "Sources/CEvdev"),
        // glibc's malloc statistics (malloc.h is not in Swift's Glibc module).
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        // The kernel's V4L2 ABI: VIDIOC_* request codes as constants (the macros are not importable).
        .systemLibrary(name: "CV4L2", path: "Sources/CV4L2", providers: [.apt(["linux-libc-dev"])]),

        // The process's one bounded pool for blocking work (libusb, termios, V4L2, libcups, page files):
        // swift-nio's NIOThreadPool with a fixed thread count, cancellation and per-call timeouts.
        .target(name: "BlockingWork", dependencies: [.product(name: "NIOPosix", package: "swift-nio")]),
        // The domain: service items, working-day calendar, queue categories. Pure Swift.
        .target(name: "Workflow", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // GA/T 467 SAM protocol, card decoding and the device-side SAM simulator. Pure Swift, no I/O.
        .target(name: "IDCard", dependencies: ["Workflow"]),
        // Loading and validating kiosk-config/ (YAML) into domain and device settings.
        .target(name: "KioskConfig", dependencies: [
            "Workflow",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        // Slip documents: layout for a paper width, ESC/POS encoding, bitmap (PBM/PNG) rendering, templates.
        .target(name: "Slips", dependencies: ["Workflow", "KioskConfig", "IDCard", "CQREncode", "CFreeType", "CPNG"]),
        // Device model, simulators and the drivers that talk to C libraries.
        .target(name: "DeviceKit", dependencies: [
            "KioskConfig", "IDCard", "CCups", "CLibUSB", "CV4L2", "CEvdev", "PageImaging", "BlockingWork",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Document pages as images: JPEG decode at reduced scale and encode (libturbojpeg), the page
        // quality check (sharpness, exposure) and the simulator's synthetic pages. No device I/O.
        .target(name: "PageImaging", dependencies: ["CTurboJPEG"]),
        // SQLite persistence through GRDB; the hall's shared queue on PostgreSQL (postgres-nio).
        .target(name: "Store", dependencies: [
            "Workflow",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The front desk: the workflow's rules applied to the store (filings, audit chain, outbox,
        // supervision, queue tickets, evaluations), each change one transaction.
        .target(name: "FrontDesk", dependencies: [
            "Workflow", "Store", "KioskConfig", "BlockingWork",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
        ]),
        // Receipt and ticket printers: slips as persisted print jobs through CUPS, paper states, restock.
        .target(name: "Printing", dependencies: [
            "DeviceKit", "Slips", "Store", "KioskConfig", "BlockingWork",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
        ]),
        // The provincial platform: the adapter protocol, its HTTPS and simulated implementations, and
        // the outbox relay that delivers every outbox row exactly once, in order per filing.
        .target(name: "Upstream", dependencies: [
            "Store", "FrontDesk", "Workflow", "KioskConfig", "IDCard", "BlockingWork",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
        ], exclude: ["platform-openapi.yaml"]),
        // The use cases below the transports (routes, kioskctl): printing a citizen's slips with
        // printer failover, taking a queue ticket.
        .target(name: "KioskServices", dependencies: [
            "FrontDesk", "Printing", "Slips", "DeviceKit", "Store", "Workflow", "KioskConfig", "PageImaging", "Upstream",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
        ]),
        // The HTTP API the touch screen and staff tools talk to.
        .target(name: "KioskAPI", dependencies: [
            "DeviceKit", "KioskConfig", "Store", "FrontDesk", "Workflow", "Printing", "Slips", "IDCard", "CMalloc", "Upstream", "PageImaging",
            "KioskServices",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Yams", package: "Yams"),
        ], resources: [.copy("openapi.yaml"), .copy("Screen")]),
        // Wires config, store, devices and API into one ServiceGroup; shared by kioskd and tests.
        .target(name: "KioskRuntime", dependencies: [
            "KioskAPI", "KioskServices", "Upstream", "DeviceKit", "KioskConfig", "Store", "Printing", "FrontDesk", "Slips", "IDCard", "Workflow",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
        ]),

        .executableTarget(name: "kioskd", dependencies: [
            "KioskRuntime", "Upstream", "Workflow",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "kioskctl", dependencies: [
            "FrontDesk", "Workflow", "Upstream", "PageImaging", "KioskServices",
            "KioskConfig", "DeviceKit", "IDCard", "Slips", "Printing", "Store", "DeviceFixtures",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // umockdev fixtures generated from the device simulators, and their generator executable.
        .target(name: "DeviceFixtures", dependencies: ["IDCard", "KioskConfig"]),
        .executableTarget(name: "kiosk-fixtures", dependencies: ["DeviceFixtures"], path: "Sources/KioskFixtures"),
        .executableTarget(name: "kiosk-bench", dependencies: [
            "KioskConfig", "Store", "IDCard", "DeviceKit", "Slips", "Printing", "FrontDesk", "Workflow",
            "Upstream", "FakePlatform", "PageImaging",
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/KioskBench"),

        // Shared by every test: private cupsd, umockdev-run, child processes, repo paths.
        .target(name: "KioskTestSupport", dependencies: ["PageImaging"], path: "Tests/KioskTestSupport"),
        // A fake provincial platform on loopback with switchable faults (raw SwiftNIO, so it can
        // reset a connection or hang without answering); used by UpstreamTests and kiosk-bench.
        .target(name: "FakePlatform", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], path: "Tests/FakePlatform"),
        .testTarget(name: "UpstreamTests", dependencies: [
            "Upstream", "FakePlatform", "KioskTestSupport", "FrontDesk", "Store", "KioskConfig", "Workflow",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "BlockingWorkTests", dependencies: ["BlockingWork"]),
        .testTarget(name: "KioskServicesTests", dependencies: ["KioskServices", "FrontDesk", "Workflow"]),
        .testTarget(name: "WorkflowTests", dependencies: ["Workflow", "KioskTestSupport"]),
        .testTarget(name: "FrontDeskTests", dependencies: [
            "FrontDesk", "KioskTestSupport", "KioskConfig", "Store", "Workflow",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "IDCardTests", dependencies: ["IDCard", "KioskTestSupport"]),
        .testTarget(name: "SlipsTests", dependencies: ["Slips", "KioskTestSupport", "KioskConfig", "Workflow"]),
        .testTarget(name: "KioskConfigTests", dependencies: ["KioskConfig", "KioskTestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "KioskTestSupport", "Workflow", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "DeviceKitTests", dependencies: ["DeviceKit", "KioskTestSupport", "PageImaging", "KioskConfig"]),
        .testTarget(name: "PageImagingTests", dependencies: ["PageImaging", "KioskTestSupport"]),
        .testTarget(name: "PrintingTests", dependencies: ["Printing", "Slips", "Store", "DeviceKit", "KioskTestSupport", "Workflow", "BlockingWork"]),
        .testTarget(name: "KioskAPITests", dependencies: [
            "KioskAPI", "KioskRuntime", "KioskServices", "KioskTestSupport", "DeviceKit", "KioskConfig", "FrontDesk", "PageImaging", "Upstream", "Slips",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // Hall mode against a real PostgreSQL server the tests start (initdb in a temp dir, loopback).
        .testTarget(name: "HallTests", dependencies: [
            "FrontDesk", "Store", "KioskConfig", "Workflow", "KioskTestSupport", "KioskServices",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The touch screen in a real headless Chromium (scripts/screen-test.py) against a real kioskd and cupsd.
        .testTarget(name: "ScreenTests", dependencies: ["KioskTestSupport", "Slips"]),
        .testTarget(name: "EndToEndTests", dependencies: ["KioskTestSupport", "DeviceFixtures", "IDCard", "FakePlatform", "KioskConfig"]),
    ],
    swiftLanguageModes: [.v6]
)
