import ArgumentParser
import Assets
import Foundation
import RiskDetect
import RiskStore
import TerminalKit
import Workbench

struct Dash: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dash",
        abstract: "Dashboards: the overview, or queries/dashboards/NAME.sql. --print renders one to stdout as text.",
        discussion: """
        Without --print the workbench opens on the dashboard. A user dashboard is a .sql file of panels, each a \
        query headed by `-- panel: TITLE` and `-- chart: line|bars|histogram|hbars|stacked|heatmap|gauge|table|number`; \
        queries may use :from and :to (epoch ms) for the chosen range.
        """)
    @OptionGroup var store: StoreOption
    @Option(help: "Dashboard: overview, or a file name in queries/dashboards (without .sql).")
    var name = "overview"
    @Option(help: "Time range, counted back from the store's last event: 24h, 7d, 30d, all.")
    var range: DashRange = .week
    @Flag(help: "Render to stdout as text (for reports and pipes) instead of opening the workbench.")
    var print = false
    @Option(help: "Width of the printed dashboard in columns.")
    var width = 120
    @Flag(help: "List the dashboards there are.")
    var list = false

    func run() throws {
        try guarded {
            let r = range
            let catalog = Folders.catalog()
            Folders.warnMissing(catalog, kinds: [.dashboards])
            if list {
                for n in Dashboards.available(catalog: catalog) { Swift.print(n) }
                return
            }
            guard print else {
                try openWorkbench(storePath: store.path, theme: nil, config: nil, analyst: nil, startCommand: "dash \(name) \(r.rawValue)")
                return
            }
            guard width >= 40 else { throw CLIError("--width must be at least 40 (got \(width))") }
            let s = try SQLReader(store.location, maskPII: true)
            let panels = try Dashboards.build(s.database, name: name, range: r, catalog: catalog)
            let h = DashLayout.totalHeight(panels, width: width)
            let buf = Buffer(width: width, height: h + 1)
            buf.write("riskdesk dashboard \(name) · \(r.label) · \(s.location.isTeam ? s.location.display : (store.path as NSString).lastPathComponent) · \(Timestamp.short(Timestamp.nowMs()))",
                      x: 0, y: 0, style: .plain, maxWidth: width)
            DashLayout.render(panels, into: buf, area: Rect(x: 0, y: 1, width: width, height: h), scroll: 0, theme: try ThemeLibrary.builtIn.load(ThemeLibrary.defaultName))
            Swift.print(buf.text())
        }
    }
}
