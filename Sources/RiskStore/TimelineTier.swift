/// Schema v18: the account timeline index in blocks of event ids.
///
/// `idx_events_account_ts` is `events_i((id >> 22), account_id, ts)`: its entries are grouped
/// by block of 4,194,304 event ids first, then by account and time. An import adds events
/// with the next ids, so its index entries land in the newest block or two — a region of at
/// most ~4M entries (~80 MB, within the 96 MiB page cache `riskdesk import` takes) — instead of
/// all over a tree of the whole store's size: before v18, every 250k-row batch of a day's
/// import into a big store rewrote most leaves of that tree (2.6 GB of the 3.8 GB a 1.6M-row
/// day wrote into an 18M-event store; imp67 in docs/benchmarks.md). The expression is fixed,
/// so the index never needs rebuilding or merging as the store grows.
///
/// Readers keep their plans: `account_id = ?` is a skip-scan over the blocks (one seek per
/// block: 5 at 20M events), then a search by account and time; SQLite takes it with the
/// `sqlite_stat1` row `Schema.eventStatsSQL` writes (or real statistics). An account's rows
/// come in time order within each block, so a page of a timeline in time order asks each block
/// for its first rows and merges them (`timelineTierConditions` in Queries.swift): no sort.
extension Schema {
    /// The version from which `idx_events_account_ts` is grouped by block of event ids.
    public static let timelineTierVersion = 18
    /// Event ids per block of the timeline index: 2^22.
    public static let timelineBlockShift = 22

    /// The timeline index's statement from v18.
    public static let timelineIndexSQL =
        "CREATE INDEX IF NOT EXISTS idx_events_account_ts ON events_i((id >> \(timelineBlockShift)), account_id, ts)"
    /// Before v18 (and how migrations 14 and 15 made it).
    static let timelineIndexSQLV17 = "CREATE INDEX IF NOT EXISTS idx_events_account_ts ON events_i(account_id, ts)"

    /// Migration 18: the index built again in blocks; its statistics row (`eventStatsSQL`).
    static var timelineBlocksSQL: String {
        (["DROP INDEX IF EXISTS idx_events_account_ts", timelineIndexSQL] + eventStatsSQL).joined(separator: ";\n") + ";\n"
    }
}

public enum TimelineTier {
    /// True when the timeline index is there and is the v18 one (what `Store.open` checks: an
    /// index dropped by a killed bulk load, or built by hand another way, is built again).
    public static func indexMatches(_ db: some SQLDatabase) throws -> Bool {
        let sql = try db.rows("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = 'idx_events_account_ts'").first?[0].string
        return sql == Schema.timelineIndexSQL.replacingOccurrences(of: "IF NOT EXISTS ", with: "")
    }

    /// A timeline page merges at most this many blocks' rows (64: 268M events); a store with
    /// more reads an account's rows in one arm, which SQLite sorts.
    public static let maxMergedBlocks: Int64 = 64
}
