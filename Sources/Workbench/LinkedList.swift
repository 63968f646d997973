import RiskStore
import TerminalKit

/// The drill-down's linked accounts as lines: a header naming every column, each neighbour's
/// link strength, score and label, and the identifiers too widely shared to list anyone by.
enum LinkedList {
    static func lines(_ a: AccountScreen) -> (header: String, rows: [String], notListed: [String]) {
        let idWidth = max(14, a.linked.map { TextWidth.of($0.account) }.max() ?? 0)
        func row(_ account: String, _ link: String, _ score: String, _ label: String, _ via: String) -> String {
            "  " + TextWidth.pad(account, to: idWidth) + " " + TextWidth.pad(link, to: 5) + "  " + TextWidth.pad(score, to: 5) + "  "
                + TextWidth.pad(label, to: 7) + "  " + via
        }
        let header = row("account", " link", "score", "label", "shared with it")
        let rows = a.linked.map { l in
            row(l.account, String(format: "%5.2f", l.strength), ScoreCell.text(l.score), l.label ?? "—",
                l.via.map { "\($0.kind) \($0.value)" }.joined(separator: ", "))
        }
        // What links nobody because too many share it (a carrier NAT, a public Wi-Fi).
        let linking: Set<String> = ["payment", "device", "address", "ip"]
        let notListed = a.identifiers.filter { linking.contains($0.kind) && $0.sharedBy > Database.linkMaxShare }.map {
            "  \($0.kind) \($0.value) shared by \(Human.count(Double($0.sharedBy))) accounts — not listed (Enter on it above lists them)"
        }
        return (header, rows, notListed)
    }
}
