import ArgumentParser
import Foundation
import RiskStore
import TerminalKit
import TerminalNcurses
import Workbench

struct Tui: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "Open the workbench: review queue, account drill-down, pivots, timelines (the default).")
    @OptionGroup var store: StoreOption
    @Option(help: "Colour theme: dark, light, high-contrast, or a .toml path (default: the config file's, else dark).")
    var theme: String?
    @Option(help: "Settings file (default: $RISKDESK_CONFIG, else ~/.config/riskdesk/config.toml).")
    var config: String?
    @Option(help: "Who is working, for the audit trail (default: $USER; refused on a team store, where you act as your PostgreSQL role).")
    var analyst: String?
    @Flag(help: "Nothing written: the store opened read-only, labelling, claiming, detection, :save and PII reveals off, console history kept in memory.")
    var readOnly = false

    func run() throws {
        try guarded { try openWorkbench(storePath: store.path, theme: theme, config: config, analyst: analyst, readOnly: readOnly) }
    }
}

/// When the process started (uptime ns), for the first-frame measurement.
func processStartUptimeNs() -> UInt64? {
    // /proc/self/stat field 22: start time in clock ticks since boot.
    guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 19, let ticks = UInt64(fields[19]) else { return nil }
    let hz = UInt64(sysconf(Int32(_SC_CLK_TCK)))
    return ticks * 1_000_000_000 / max(1, hz)
}

/// Opens the workbench on a store; shared by `tui` and `demo`.
func openWorkbench(storePath: String, theme themeName: String?, config configPath: String?, analyst: String?, readOnly: Bool = false,
                   startCommand: String? = nil) throws {
    // Everything that can fail for a user reason fails here, before the terminal changes mode.
    let cfg = try WorkbenchConfig.load(path: Folders.configFile(configPath), named: configPath != nil || Folders.variable("RISKDESK_CONFIG") != nil)
    // Refuses a newer store, migrates an older one. A current store is only read here, so the
    // workbench opens at once while another process (an import) writes.
    // A read-only session writes nothing, not even on open (an older store is refused with the
    // command that upgrades it).
    let launched = processStartUptimeNs()
    var marks: [(String, UInt64)] = [("config", DispatchTime.now().uptimeNanoseconds)]
    let location = StoreLocation(storePath)
    try refuseAnalystOnTeamStore(analyst, location)
    var role: String?
    var teamReader: StoreReader?
    if location.isTeam {
        // A team store: its schema must be this build's (the owner upgrades it); you act as your
        // role. The connection that checks it is the workbench's reader (one login, not two).
        let reader = try StoreReader(path: storePath)
        role = try reader.teamRole()
        teamReader = reader
        marks.append(("team store checked", DispatchTime.now().uptimeNanoseconds))
    }
    else if readOnly { _ = try Store(path: storePath, readOnly: true, mustExist: true) }
    else if (try? Store(path: storePath, readOnly: true)) == nil { _ = try Store(path: storePath, mustExist: true) }
    let catalog = Folders.catalog()
    let missing = Folders.warnMissing(catalog)
    let themes = ThemeLibrary(catalog: catalog)
    let (theme, themeWarning) = try Folders.theme(themeName ?? cfg.theme ?? ThemeLibrary.defaultName, library: themes)
    let who = role ?? analyst ?? cfg.analyst ?? ProcessInfo.processInfo.environment["USER"] ?? "analyst"
    let terminal: NcursesTerminal
    do { terminal = try NcursesTerminal(term: Folders.env["TERM"], mouse: cfg.mouse) } catch let e as NcursesTerminal.OpenError {
        throw CLIError(e.description)
    }
    defer { terminal.restore() }
    marks.append(("terminal", DispatchTime.now().uptimeNanoseconds))
    let app = try App(storePath: storePath, terminal: terminal, theme: theme, analyst: who,
                      noColor: !(Folders.env["NO_COLOR"] ?? "").isEmpty, frameLog: Folders.variable("RISKDESK_FRAME_LOG"),
                      reader: teamReader, launchedAt: launched, marks: marks)
    app.readOnly = readOnly
    app.sla = cfg.sla
    app.closeCaseOnLabel = cfg.closeCaseOnLabel
    app.catalog = catalog
    app.themes = themes
    if let w = themeWarning ?? missing.first { app.say(w, error: true) }
    if let c = startCommand { app.command(c) }
    app.run(launchedAt: launched)
}
