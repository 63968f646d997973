import Assets
import Foundation
import MarketSimulator
import RiskDetect
import RiskImport
import RiskStore

/// The demo store: a simulated marketplace (MarketSimulator) imported into a store
/// (RiskImport) and scored (RiskDetect), with the simulation's ground truth beside the store
/// (`NAME.truth.csv`, never imported). An existing store with events is reused; one that
/// was never scored is scored.
public enum DemoPipeline {
    public struct Options: Sendable {
        public var storePath: String
        public var accounts = 20_000
        public var days = 30
        public var seed: UInt64 = 7
        /// Build the store again even if it exists.
        public var fresh = false
        /// A folder the simulation may write into and that is removed afterwards (the caller
        /// names it: a library knows no temporary folder of its own).
        public var workDirectory: String

        public init(storePath: String, workDirectory: String) {
            self.storePath = storePath
            self.workDirectory = workDirectory
        }
    }

    /// What happened, for the caller to report.
    public struct Result: Sendable {
        /// The store was (re)built: simulated and imported.
        public var built = false
        public var simulation: SimSummary?
        public var importLine: String?
        /// Where the ground truth was written (when built).
        public var truthPath: String?
        public var detection: DetectReport?
    }

    /// Where the ground truth goes: beside the store, `NAME.truth.csv` for `NAME.db`.
    public static func truthPath(forStore path: String) -> String {
        ((path as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent(((path as NSString).lastPathComponent as NSString).deletingPathExtension + ".truth.csv")
    }

    /// Whether `run` would simulate and import: asked for, no store, or a store without events.
    public static func needsBuild(_ o: Options) -> Bool {
        if o.fresh || !FileManager.default.fileExists(atPath: o.storePath) { return true }
        if let s = try? Store(path: o.storePath, readOnly: true), let sum = try? s.summary(), sum.events == 0 { return true }
        return false
    }

    /// The demo on a team store (`demo --store postgresql://…`): simulates into
    /// `o.workDirectory` when the store has no events yet, hands the folder to `importer`
    /// (the caller's team import: COPY into the server), then detects on the server. The
    /// ground truth goes to `truthPath` (a team store has no folder of its own).
    /// Simulates the demo's marketplace into `dir` (contract files and truth.csv).
    static func simulate(_ o: Options, into dir: String, note: (String) -> Void) throws -> SimSummary {
        var cfg = SimConfig()
        cfg.accounts = o.accounts; cfg.days = o.days; cfg.seed = o.seed
        note("simulating \(o.accounts) accounts over \(o.days) days …")
        let sim = try Simulator(cfg).run(outDir: dir)
        note("  \(sim.events) events, \(sim.fraudAccounts) fraud accounts injected (\(String(format: "%.1f", sim.seconds)) s)")
        return sim
    }

    public static func runTeam(_ o: Options, store: CaseStore, truthPath truthDest: String, rules: AssetCatalog?,
                               detectors: [Detector] = DetectionEngine.standardDetectors(),
                               note: (String) -> Void = { _ in }, importer: (String) throws -> Void) throws -> Result {
        var result = Result()
        if try store.summary().events == 0 {
            result.built = true
            let dir = o.workDirectory
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let sim = try simulate(o, into: dir, note: note)
            result.simulation = sim
            let truthSource = (dir as NSString).appendingPathComponent("truth.csv")
            try? FileManager.default.removeItem(atPath: truthDest)
            try FileManager.default.copyItem(atPath: truthSource, toPath: truthDest)
            try FileManager.default.removeItem(atPath: truthSource)
            result.truthPath = truthDest
            note("importing into \(store.location.display) …")
            try importer(dir)
            note("  ground truth: \(truthDest)")
        }
        if try result.built || store.database.finishedDetectRuns().isEmpty {
            note("detecting on the server's events …")
            let report = try DetectionEngine(detectors: detectors, rules: rules).run(store: store)
            result.detection = report
            note(String(format: "  %d accounts flagged in %d groups (%.1f s)", report.flagged, report.groups, report.seconds))
        }
        return result
    }

    /// Simulates, imports and detects as needed. `note` gets one line per stage (the
    /// executable prints them); `importProgress` the importer's progress; `rules` the SQL
    /// rules detection runs (nil: none) next to `detectors`; `shouldStop` is polled by the importer.
    public static func run(_ o: Options, rules: AssetCatalog?, detectors: [Detector] = DetectionEngine.standardDetectors(),
                           note: (String) -> Void = { _ in },
                           importProgress: ((ImportProgress) -> Void)? = nil,
                           shouldStop: @escaping () -> Bool = { false }) throws -> Result {
        var result = Result()
        let path = o.storePath
        if needsBuild(o) {
            result.built = true
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            let dir = o.workDirectory
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let sim = try simulate(o, into: dir, note: note)
            result.simulation = sim
            // Ground truth stays next to the store for `riskdesk eval`, never imported.
            let truthDest = truthPath(forStore: path)
            let truthSource = (dir as NSString).appendingPathComponent("truth.csv")
            try? FileManager.default.removeItem(atPath: truthDest)
            try FileManager.default.copyItem(atPath: truthSource, toPath: truthDest)
            try FileManager.default.removeItem(atPath: truthSource)
            result.truthPath = truthDest
            var options = ImportOptions()
            options.shouldStop = shouldStop
            options.progress = importProgress
            let plan = try ImportPlan(paths: [dir], options: options)
            let summary = try Importer(store: try Store(path: path), options: options).run(plan)
            result.importLine = summary.line
            note("  imported: \(summary.line)")
            note("  ground truth: \(truthDest)")
        }
        // Score it, so the queue opens ranked by risk.
        let scored = (try? Store(path: path, readOnly: true).finishedDetectRuns().count) ?? 0
        if result.built || scored == 0 {
            note("detecting …")
            let report = try DetectionEngine(detectors: detectors, rules: rules).run(store: try Store(path: path))
            result.detection = report
            note(String(format: "  %d accounts flagged in %d groups (%.1f s)", report.flagged, report.groups, report.seconds))
        }
        return result
    }
}
