import ArgumentParser
import Assets
import Foundation
import RiskDetect
import TerminalKit
import Workbench

/// Where themes, rules, saved queries and dashboards come from — the only place that reads
/// HOME and RISKDESK_*: the built-in ones, then ~/.config/riskdesk/KIND (user config), then
/// the working directory's queries/ and themes/ (project), then folders named explicitly
/// (--rules, $RISKDESK_RULES, $RISKDESK_THEMES, $RISKDESK_QUERIES, $RISKDESK_DASHBOARDS).
/// A later file overrides an earlier one of the same name.
enum Folders {
    static var env: [String: String] { ProcessInfo.processInfo.environment }

    static func variable(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }

    /// ~/.config/riskdesk ($XDG_CONFIG_HOME/riskdesk when that is set).
    static var configDir: String? {
        if let x = variable("XDG_CONFIG_HOME") { return (x as NSString).appendingPathComponent("riskdesk") }
        return variable("HOME").map { ($0 as NSString).appendingPathComponent(".config/riskdesk") }
    }

    static let variables: [(AssetKind, String)] = [(.themes, "RISKDESK_THEMES"), (.rules, "RISKDESK_RULES"),
                                                    (.queries, "RISKDESK_QUERIES"), (.dashboards, "RISKDESK_DASHBOARDS")]

    /// The catalog in effect; `rules` is a --rules flag.
    static func catalog(rules: String? = nil) -> AssetCatalog {
        var explicit: [(kind: AssetKind, path: String, source: String)] = []
        for (kind, name) in variables { if let v = variable(name) { explicit.append((kind, v, "$" + name)) } }
        if let rules { explicit.append((.rules, rules, "--rules")) }
        return .standard(configDir: configDir, workingDirectory: FileManager.default.currentDirectoryPath, explicit: explicit)
    }

    /// The settings file: --config, else $RISKDESK_CONFIG, else ~/.config/riskdesk/config.toml.
    static func configFile(_ explicit: String?) -> String? {
        explicit ?? variable("RISKDESK_CONFIG") ?? configDir.map { ($0 as NSString).appendingPathComponent("config.toml") }
    }

    /// Says loudly (stderr) which configured folders are not there; returns the messages.
    @discardableResult
    static func warnMissing(_ c: AssetCatalog, kinds: [AssetKind] = AssetKind.allCases) -> [String] {
        var out: [String] = []
        for f in c.missingFolders where kinds.contains(f.kind) {
            let m = "riskdesk: WARNING: \(f.source) names \(f.path), which is not a folder: no \(f.kind.rawValue) read from it"
            warn(m)
            out.append(m)
        }
        return out
    }

    /// A theme by name or path. A theme that isn't there falls back to the built-in default,
    /// with a warning (returned, to show in the workbench too); a broken one is an error.
    static func theme(_ name: String, library: ThemeLibrary) throws -> (Theme, warning: String?) {
        if library.has(name) { return (try library.load(name), nil) }
        let fallback = ThemeLibrary.defaultName
        let have = library.available.joined(separator: ", ")
        let message = "no theme '\(name)' (have: \(have)); using the built-in \(fallback)"
        warn("riskdesk: warning: " + message)
        return (try ThemeLibrary.builtIn.load(fallback), message)
    }

    /// One line per kind: how many files, from where, and what overrides what.
    static func report(_ c: AssetCatalog) -> [String] {
        var lines: [String] = []
        for kind in AssetKind.allCases {
            let r = c.resolve(kind)
            var counts: [AssetOrigin: Int] = [:]
            for a in r.assets { counts[a.origin, default: 0] += 1 }
            let from = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            lines.append("\(kind.rawValue): \(r.assets.count)" + (from.isEmpty ? "" : " (\(from))"))
            for f in c.folders(kind) {
                let state = f.exists ? "" : (f.required ? "  MISSING" : "  (not there)")
                lines.append("  \(f.origin.description.padding(toLength: 12, withPad: " ", startingAt: 0)) \(f.path)\(state)" + (f.origin == .explicit ? "  ← \(f.source)" : ""))
            }
            for a in r.assets {
                let over = a.overrides.isEmpty ? "" : "  (overrides \(a.overrides.joined(separator: ", ")))"
                lines.append("    \(a.name.padding(toLength: 36, withPad: " ", startingAt: 0)) \(a.origin.description.padding(toLength: 12, withPad: " ", startingAt: 0)) \(a.isBuiltIn ? "" : a.path)\(over)")
            }
            for p in r.problems { lines.append("    PROBLEM: \(p)") }
        }
        return lines
    }
}

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the folders in effect and where each theme, rule, saved query and dashboard comes from.",
        discussion: """
        Built-in files are compiled into riskdesk; ~/.config/riskdesk/{themes,rules,queries,dashboards} (user \
        config) and ./themes, ./queries, ./queries/rules, ./queries/dashboards (project) add to them or override \
        them by name, then --rules DIR and $RISKDESK_THEMES / _RULES / _QUERIES / _DASHBOARDS.
        """)
    @Option(help: "A rules folder, as `detect --rules` would use.") var rules: String?

    func run() throws {
        try guarded {
            let c = Folders.catalog(rules: rules)
            let cfg = Folders.configFile(nil)
            print("config  \(cfg ?? "(no HOME)")" + (cfg.map { FileManager.default.fileExists(atPath: $0) ? "" : "  (not there: defaults)" } ?? ""))
            for l in Folders.report(c) { print(l) }
            Folders.warnMissing(c)
            // Listing a file is not reading it: a settings file or theme that doesn't parse
            // was listed as fine and only the workbench said otherwise. Each is read here.
            let broken = Self.problems(catalog: c, config: cfg)
            for b in broken { print("BROKEN: \(b)") }
            if !broken.isEmpty { throw ExitCode(1) }
        }
    }

    /// Every settings file, theme, rule and saved query in effect that can't be used, as
    /// "file:line: why".
    static func problems(catalog c: AssetCatalog, config cfg: String?) -> [String] {
        var out: [String] = []
        if let cfg, FileManager.default.fileExists(atPath: cfg) {
            do { _ = try WorkbenchConfig.load(path: cfg) } catch { out.append("\(error)") }
        }
        let themes = ThemeLibrary(catalog: c)
        for name in themes.available {
            do { _ = try themes.load(name) } catch { out.append("\(error)") }
        }
        out += Rule.sources(catalog: c).errors
        out += SavedQuery.loadReporting(catalog: c).problems
        return out
    }
}
