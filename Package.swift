// swift-tools-version:6.0
import PackageDescription

// Layers, one direction of dependency:
//   RiskStore (schema, migrations, typed queries)
//     <- RiskImport (contract readers, streaming importer)
//     <- RiskDetect (detectors, SQL rules, scores), RiskMetrics (metric definitions, metrics over the store)
//     <- Workbench (the app: state, reducer, views)
//   RiskDemo: the demo pipeline (MarketSimulator -> RiskImport -> RiskDetect) as one function.
//   TerminalKit: the UI kit (cells, buffer, widgets, themes); TerminalNcurses: its only
//   ncurses backend. MarketSimulator writes contract files and depends on nothing.
//   `riskdesk` (the executable) only wires them together.
let package = Package(
    name: "riskdesk",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "riskdesk", targets: ["riskdesk"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // libpq: the team store's PostgreSQL client (synchronous like sqlite3; COPY, PQcancel, LISTEN),
        // opened by dlopen only when a PostgreSQL store is (not linked: most runs never need it).
        // Providers: libpq-dev for the header at build time (`pg_config --includedir`), libpq5 at run time.
        .target(name: "CLibPQ", cSettings: [.unsafeFlags(["-I/usr/include/postgresql"])],
                linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "RiskStore", dependencies: ["CSQLite", "CLibPQ"],
                // The team import's COPY encoder and aggregates: runtime exclusivity checks were ~12% of its client CPU.
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        // The shipped themes, rules, saved queries and dashboards (generated from themes/ and
        // queries/ by scripts/gen-assets), layered under the user's and the project's folders.
        .target(name: "Assets"),
        .target(name: "RiskImport", dependencies: ["RiskStore", "CZlib", .product(name: "TOMLKit", package: "TOMLKit")],
                // The byte-level readers are single-threaded; runtime exclusivity checks cost ~10% of import time.
                // -O in debug builds too (here and RiskDetect): the tests import and detect scenario stores of
                // tens of thousands of events, and unoptimised these two were most of the suite's time
                // (docs/benchmarks.md, "Test time", after the seventeenth merge); preconditions and overflow traps stay.
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"]), .unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "MarketSimulator", dependencies: ["CZlib"]),
        // Detection: columnar event table, detectors, SQL rules, scoring. Metrics: definitions.
        .target(name: "RiskMetrics", dependencies: ["RiskStore"]),
        .target(name: "RiskDetect", dependencies: ["RiskStore", "RiskMetrics", "CSQLite", "Assets"],
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"]), .unsafeFlags(["-O"], .when(configuration: .debug))]),
        // The demo pipeline (simulate → import → detect) as one library function: the only
        // library that needs the simulator, the importer and the detectors together, so it is
        // its own small target rather than a dependency of any of them.
        .target(name: "RiskDemo", dependencies: ["MarketSimulator", "RiskImport", "RiskDetect", "RiskStore", "Assets"]),
        // Terminal UI kit: knows nothing of fraud. Only TerminalNcurses touches ncurses.
        .systemLibrary(name: "CLocale", path: "Sources/CLocale"),
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses", pkgConfig: "ncursesw",
                       providers: [.apt(["libncursesw5-dev"])]),
        .target(name: "TerminalKit", dependencies: ["CLocale", .product(name: "TOMLKit", package: "TOMLKit")]),
        .target(name: "TerminalNcurses", dependencies: ["TerminalKit", "CNcurses"]),
        .target(name: "Workbench", dependencies: ["RiskStore", "RiskDetect", "RiskMetrics", "TerminalKit", "Assets"]),
        .executableTarget(name: "riskdesk", dependencies: [
            "RiskStore", "RiskImport", "RiskDetect", "RiskMetrics", "MarketSimulator", "TerminalKit", "TerminalNcurses", "Workbench", "Assets", "RiskDemo",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "RiskStoreTests", dependencies: ["RiskStore"]),
        .testTarget(name: "RiskImportTests", dependencies: ["RiskImport", "RiskStore"]),
        .testTarget(name: "MarketSimulatorTests", dependencies: ["MarketSimulator"]),
        .testTarget(name: "RiskMetricsTests", dependencies: ["RiskMetrics", "RiskStore"]),
        .testTarget(name: "RiskDemoTests", dependencies: ["RiskDemo", "RiskStore", "RiskMetrics"]),
        .testTarget(name: "RiskDetectTests", dependencies: ["RiskDetect", "RiskMetrics", "RiskStore", "RiskImport"]),
        .testTarget(name: "CLITests", dependencies: ["RiskStore", "RiskDetect", "riskdesk"]),
        .testTarget(name: "TerminalKitTests", dependencies: ["TerminalKit"]),
        .testTarget(name: "AssetsTests", dependencies: ["Assets"]),
        .testTarget(name: "WorkbenchTests", dependencies: ["Workbench", "TerminalKit", "RiskStore", "RiskImport", "RiskDetect", "RiskMetrics", "Assets"]),
    ],
    swiftLanguageModes: [.v5]
)
