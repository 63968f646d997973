import Foundation

/// A change another session made to a case or a label, as a team store announces it
/// (`NOTIFY riskdesk_changes`, docs/team.md).
public struct StoreChange: Equatable, Sendable {
    public enum Kind: String, Sendable { case label, `case` }
    public var kind: Kind
    public var account: String
    /// Who made it (the login role).
    public var analyst: String
    /// `label`: the label given (`none` withdraws one).
    public var label: String?
    /// `case`: the case's status and assignee now.
    public var status: String?
    public var assignee: String?

    public init(kind: Kind, account: String, analyst: String, label: String? = nil, status: String? = nil, assignee: String? = nil) {
        self.kind = kind; self.account = account; self.analyst = analyst
        self.label = label; self.status = status; self.assignee = assignee
    }

    /// The JSON payload of a notification; nil for one this build doesn't know.
    public init?(payload: String) {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any],
              let k = (obj["kind"] as? String).flatMap(Kind.init(rawValue:)),
              let account = obj["account"] as? String, !account.isEmpty else { return nil }
        self.init(kind: k, account: account, analyst: obj["analyst"] as? String ?? "",
                  label: obj["label"] as? String, status: obj["status"] as? String, assignee: obj["assignee"] as? String)
    }
}

/// Changes made by other sessions, as they commit: on a team store, `LISTEN` on a
/// connection of its own, waiting on its socket (no table polling). A local store has no
/// feed (`open` returns nil): its one user sees their own changes at once.
public final class ChangeFeed {
    private var conn: PGConnection
    private let url: String
    public let display: String

    /// The feed of a store, or nil when it has none (a SQLite store).
    public static func open(_ location: StoreLocation) throws -> ChangeFeed? {
        guard case .postgres(let url) = location else { return nil }
        return try ChangeFeed(url: url)
    }

    init(url: String) throws {
        self.url = url
        conn = try ChangeFeed.connect(url)
        display = conn.displayURL
    }

    private static func connect(_ url: String) throws -> PGConnection {
        let c = try PGConnection(url: url, applicationName: "riskdesk listen")
        try c.listen(PGSchema.channel)
        return c
    }

    /// Waits up to `timeout` seconds for changes; empty on timeout. Throws when the
    /// connection is lost (then `reconnect` listens again on a new one).
    public func wait(timeout: Double) throws -> [StoreChange] {
        try conn.waitForNotifications(timeout: timeout).compactMap { StoreChange(payload: $0.payload) }
    }

    /// A new connection listening in place of a lost one (the server restarted, the
    /// connection was terminated, the network dropped). Throws while the server can't be
    /// reached. Changes committed while no connection listened are not replayed: read again.
    public func reconnect() throws {
        conn = try ChangeFeed.connect(url)
    }

    /// The listening connection's server process (tests end it with pg_terminate_backend).
    public var backendPID: Int32 { conn.backendPID }
}

extension StoreLocation {
    /// For a title bar: the file's name, or ROLE@HOST:PORT/DB (never a password).
    public var shortName: String {
        switch self {
        case .sqlite(let p): return (p as NSString).lastPathComponent
        case .postgres(let u):
            guard let c = URLComponents(string: u) else { return display }
            return "\(c.user.map { $0 + "@" } ?? "")\(c.host ?? "")\(c.port.map { ":\($0)" } ?? "")\(c.path)"
        }
    }
}
