/// The case store's schema, as an ordered list of migrations. `PRAGMA user_version`
/// holds how many have run; a store whose version is higher than this build knows is
/// refused, never touched. Each migration runs in one transaction.
///
/// Documented for analysts in docs/schema.md — keep the two in step.
public enum Schema {
    /// `PRAGMA application_id`: marks a SQLite file as a riskdesk store ("RKDS").
    public static let applicationID: Int32 = 0x524B_4453

    public struct Migration: Sendable {
        public let version: Int
        public let summary: String
        public let sql: String
    }

    /// Secondary indexes the importer may drop during a bulk load of a large file into a
    /// small store and build once at the end (a sort is much faster than row-by-row
    /// updates). `Store.open` re-creates any that are missing, so a bulk import killed
    /// halfway leaves a store that heals on its next open.
    public static let rebuildableIndexes: [(name: String, sql: String)] = [
        // v18: grouped by block of event ids first (TimelineTier.swift; `indexSQL` gives older versions').
        ("idx_events_account_ts", timelineIndexSQL),
        // Rules, dashboards and analysts filter by event type over time ranges; a time range
        // without a type skip-scans it (v13: no `ts` index, see `eventStatsSQL`).
        ("idx_events_type_ts", "CREATE INDEX IF NOT EXISTS idx_events_type_ts ON events_i(type, ts)"),
        // The account → identifiers side of `links`, rebuilt after links are merged in bulk.
        ("idx_links_account", "CREATE INDEX IF NOT EXISTS idx_links_account ON links_i(account_id, kind)"),
    ]

    /// Merges what a large import staged in `links_pending` into `links` and the accounts'
    /// activity (`n_events`, `first_seen`, `last_seen`), in key order, then empties it. Run
    /// inside a transaction, by the importer at its end and by `Store.open` after a killed one.
    /// Schema v10–v15: text keys (`mergePendingLinksV10`); v16: interned ids (InternedLinks.swift).
    public static func mergePendingLinks(version: Int) -> [String] {
        version >= linksInternedVersion ? mergePendingLinksInterned : mergePendingLinksV10
    }

    static let mergePendingLinksV10: [String] = [
        """
        INSERT INTO links(kind, value, account_id, events, first_ts, last_ts)
            SELECT kind, value, account_id, sum(events), min(first_ts), max(last_ts) FROM links_pending
            WHERE kind <> '' GROUP BY kind, value, account_id ORDER BY kind, value, account_id
        ON CONFLICT(kind, value, account_id) DO UPDATE SET events = events + excluded.events,
            first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts)
        """,
        """
        INSERT INTO accounts(account_id, n_events, first_seen, last_seen, first_run)
            SELECT account_id, sum(events), min(first_ts), max(last_ts), min(run_id) FROM links_pending
            WHERE kind = '' GROUP BY account_id ORDER BY account_id
        ON CONFLICT(account_id) DO UPDATE SET n_events = n_events + excluded.n_events,
            first_seen = min(coalesce(first_seen, excluded.first_seen), excluded.first_seen),
            last_seen = max(coalesce(last_seen, excluded.last_seen), excluded.last_seen)
        """,
        "DELETE FROM links_pending",
    ]

    /// Identifier kinds kept in `links`, with the events column they come from.
    /// item and seller links count interactions beyond views (carts, orders, reviews…).
    public static let linkKinds: [(kind: String, column: String)] = [
        ("device", "device_id"), ("ip", "ip"), ("payment", "payment_id"), ("address", "address_id"),
        ("coupon", "coupon_id"), ("target", "target_id"), ("item", "item_id"), ("seller", "seller_id"),
    ]

    public static let migrations: [Migration] = [
        Migration(version: 1, summary: "core tables: accounts, items, events, import_runs, rejects", sql: """
        CREATE TABLE import_runs (
            id             INTEGER PRIMARY KEY,
            started_at     INTEGER NOT NULL,            -- epoch ms UTC
            finished_at    INTEGER,                     -- NULL while running or if killed
            status         TEXT NOT NULL DEFAULT 'running'
                           CHECK (status IN ('running','done','failed','interrupted')),
            sources        TEXT NOT NULL,               -- JSON array of file paths
            rows_read      INTEGER NOT NULL DEFAULT 0,
            rows_stored    INTEGER NOT NULL DEFAULT 0,
            rows_updated   INTEGER NOT NULL DEFAULT 0,
            rows_duplicate INTEGER NOT NULL DEFAULT 0,
            rows_rejected  INTEGER NOT NULL DEFAULT 0,
            bytes_read     INTEGER NOT NULL DEFAULT 0,
            message        TEXT,
            pid            INTEGER                      -- importer process, to spot killed runs
        );

        CREATE TABLE accounts (
            account_id  TEXT PRIMARY KEY,
            created_at  INTEGER,                        -- epoch ms UTC
            kind        TEXT,                           -- buyer | seller | creator
            country     TEXT,
            email       TEXT,                           -- PII
            phone       TEXT,                           -- PII
            extra       TEXT,                           -- JSON object: fields beyond the contract
            in_profile  INTEGER NOT NULL DEFAULT 0,     -- 1 once an accounts file described it
            first_run   INTEGER REFERENCES import_runs(id),
            n_events    INTEGER NOT NULL DEFAULT 0,     -- events stored for the account
            first_seen  INTEGER,                        -- its first and last event, epoch ms
            last_seen   INTEGER
        );

        CREATE TABLE items (
            item_id     TEXT PRIMARY KEY,
            seller_id   TEXT,
            title       TEXT,
            category    TEXT,
            price       REAL,
            currency    TEXT,
            limited     INTEGER,                        -- 0 | 1
            drop_at     INTEGER,                        -- epoch ms UTC
            extra       TEXT,
            first_run   INTEGER REFERENCES import_runs(id)
        );
        CREATE INDEX idx_items_seller ON items(seller_id);

        CREATE TABLE events (
            id          INTEGER PRIMARY KEY,
            event_id    TEXT NOT NULL UNIQUE,
            ts          INTEGER NOT NULL,               -- epoch ms UTC
            account_id  TEXT NOT NULL,
            type        TEXT,
            device_id   TEXT,
            ip          TEXT,
            country     TEXT,
            session_id  TEXT,
            item_id     TEXT,
            seller_id   TEXT,
            order_id    TEXT,
            quantity    INTEGER,
            amount      REAL,
            currency    TEXT,
            coupon_id   TEXT,
            payment_id  TEXT,
            address_id  TEXT,
            target_id   TEXT,
            rating      INTEGER,
            status      TEXT,
            text        TEXT,
            extra       TEXT,                           -- JSON object: fields beyond the contract
            run_id      INTEGER                         -- import run that stored the row
        );

        -- Who shares what: one row per (identifier, account), kept up to date by the importer.
        -- The pivot from an identifier to its accounts, and the identity graph, read this.
        CREATE TABLE links (
            kind        TEXT NOT NULL,                  -- device | ip | payment | address | coupon | target | item | seller | email_domain
            value       TEXT NOT NULL,
            account_id  TEXT NOT NULL,
            events      INTEGER NOT NULL,               -- events of the account carrying it
            first_ts    INTEGER,
            last_ts     INTEGER,
            PRIMARY KEY (kind, value, account_id)
        ) WITHOUT ROWID;
        CREATE INDEX idx_links_account ON links(account_id, kind);

        CREATE TABLE rejects (
            id        INTEGER PRIMARY KEY,
            run_id    INTEGER REFERENCES import_runs(id),
            source    TEXT NOT NULL,                    -- file path, or <stdin>
            line      INTEGER NOT NULL,                 -- 1-based line where the row starts
            kind      TEXT NOT NULL,                    -- events | accounts | items
            raw,                                        -- the row verbatim (TEXT, or BLOB if not UTF-8)
            reason    TEXT NOT NULL,
            raw_hash  INTEGER NOT NULL,
            UNIQUE (source, line, raw_hash)
        );
        CREATE INDEX idx_rejects_run ON rejects(run_id);
        """),
        Migration(version: 2, summary: "analyst views with ISO-8601 times", sql: """
        CREATE VIEW events_iso AS
            SELECT id, event_id, strftime('%Y-%m-%dT%H:%M:%fZ', ts / 1000.0, 'unixepoch') AS time,
                   account_id, type, device_id, ip, country, session_id, item_id, seller_id,
                   order_id, quantity, amount, currency, coupon_id, payment_id, address_id,
                   target_id, rating, status, text, extra, ts
            FROM events;
        CREATE VIEW accounts_iso AS
            SELECT account_id, strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch') AS created,
                   kind, country, email, phone, extra, in_profile, created_at
            FROM accounts;
        CREATE VIEW import_runs_iso AS
            SELECT id, strftime('%Y-%m-%dT%H:%M:%fZ', started_at / 1000.0, 'unixepoch') AS started,
                   strftime('%Y-%m-%dT%H:%M:%fZ', finished_at / 1000.0, 'unixepoch') AS finished,
                   status, sources, rows_read, rows_stored, rows_updated, rows_duplicate,
                   rows_rejected, bytes_read, message
            FROM import_runs;
        """),
        Migration(version: 3, summary: "workbench: queue sort keys, audit trail", sql: """
        -- Keyset pagination of the review queue by each sortable column (NULLs sort as -1).
        CREATE INDEX idx_accounts_events ON accounts(n_events, account_id);
        CREATE INDEX idx_accounts_created ON accounts(coalesce(created_at, -1), account_id);
        CREATE INDEX idx_accounts_last_seen ON accounts(coalesce(last_seen, -1), account_id);
        CREATE INDEX idx_accounts_country ON accounts(coalesce(country, ''), account_id);

        -- Append-only record of what analysts did: PII reveals now; labels, status changes and
        -- assignments as they arrive. Never updated or deleted.
        CREATE TABLE audit (
            id          INTEGER PRIMARY KEY,
            ts          INTEGER NOT NULL,               -- epoch ms UTC
            analyst     TEXT NOT NULL,
            source      TEXT NOT NULL,                  -- tui | cli
            action      TEXT NOT NULL,                  -- reveal_pii | label | status | assign | …
            account_id  TEXT,
            old_value   TEXT,
            new_value   TEXT,
            note        TEXT
        );
        CREATE INDEX idx_audit_account ON audit(account_id, ts);
        CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
        CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
        """),
        Migration(version: 4, summary: "detection: runs, findings, scores", sql: """
        -- One row per `riskdesk detect`: when, how long each detector took, what it found.
        CREATE TABLE detect_runs (
            id           INTEGER PRIMARY KEY,
            started_at   INTEGER NOT NULL,               -- epoch ms UTC
            finished_at  INTEGER,
            status       TEXT NOT NULL DEFAULT 'running'
                         CHECK (status IN ('running','done','failed','cancelled')),
            events       INTEGER,                        -- events and accounts the run read
            accounts     INTEGER,
            flagged      INTEGER,                        -- accounts with at least one finding
            detectors    TEXT,                           -- JSON array: name, seconds, findings, accounts, error
            risk_types   TEXT,                           -- JSON object: risk type -> accounts (primary type)
            message      TEXT
        );

        -- What each detector says about an account in the latest run (a new run replaces them).
        CREATE TABLE findings (
            id          INTEGER PRIMARY KEY,
            run_id      INTEGER NOT NULL REFERENCES detect_runs(id),
            account_id  TEXT NOT NULL,
            detector    TEXT NOT NULL,                   -- brushing | click_farm | identity | scalper | ato | scraping | spam | rule:<id>
            risk_type   TEXT NOT NULL,
            strength    REAL NOT NULL,                   -- 0..1
            reason      TEXT NOT NULL,                   -- plain words
            evidence    TEXT,                            -- JSON: events (ids), accounts, identifiers [{kind,value}]
            group_id    TEXT                             -- ring / cluster / farm, when the finding is about one
        );
        CREATE INDEX idx_findings_account ON findings(account_id, strength DESC);
        CREATE INDEX idx_findings_group ON findings(group_id) WHERE group_id IS NOT NULL;

        -- One risk score per account from the latest run (every account, flagged or not).
        CREATE TABLE scores (
            account_id  TEXT PRIMARY KEY,
            run_id      INTEGER NOT NULL,
            score       REAL NOT NULL,                   -- 0..1, comparable across detectors
            risk_type   TEXT,                            -- primary risk type, NULL when unflagged
            group_id    TEXT,
            reasons     TEXT,                            -- top reasons, '; ' separated
            n_findings  INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE INDEX idx_scores_score ON scores(score, account_id);
        CREATE INDEX idx_scores_group ON scores(group_id) WHERE group_id IS NOT NULL;

        -- Rings, clusters and farms of the latest run.
        CREATE TABLE groups (
            group_id    TEXT PRIMARY KEY,
            run_id      INTEGER NOT NULL,
            risk_type   TEXT NOT NULL,
            size        INTEGER NOT NULL,
            score       REAL NOT NULL,                   -- highest member score
            reason      TEXT
        ) WITHOUT ROWID;
        """),
        Migration(version: 5, summary: "labels and cases", sql: """
        -- Every label ever given, append-only: an account's current label is its latest row.
        CREATE TABLE labels (
            id          INTEGER PRIMARY KEY,
            ts          INTEGER NOT NULL,                -- epoch ms UTC
            account_id  TEXT NOT NULL,
            label       TEXT NOT NULL CHECK (label IN ('fraud','legit','unsure','none')),  -- none: withdrawn (undo)
            category    TEXT,                            -- risk category, e.g. brushing
            note        TEXT,
            analyst     TEXT NOT NULL,
            source      TEXT NOT NULL                    -- tui | cli | file:<path>
        );
        CREATE INDEX idx_labels_account ON labels(account_id, id);
        CREATE TRIGGER labels_append_only_update BEFORE UPDATE ON labels
            BEGIN SELECT RAISE(ABORT, 'labels are append-only'); END;
        CREATE TRIGGER labels_append_only_delete BEFORE DELETE ON labels
            BEGIN SELECT RAISE(ABORT, 'labels are append-only'); END;
        CREATE VIEW current_labels AS
            SELECT l.* FROM labels l
            WHERE l.id = (SELECT max(id) FROM labels m WHERE m.account_id = l.account_id) AND l.label <> 'none';

        -- One case per account under review: status and assignee (changes are audited).
        CREATE TABLE cases (
            account_id  TEXT PRIMARY KEY,
            status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','in_review','escalated','closed')),
            assignee    TEXT,
            opened_at   INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX idx_cases_status ON cases(status, assignee);
        """),
        Migration(version: 6, summary: "SQL console history, review batches", sql: """
        -- Every statement run in the SQL console: what, who, when, how long, how many rows.
        CREATE TABLE sql_history (
            id          INTEGER PRIMARY KEY,
            ts          INTEGER NOT NULL,                -- epoch ms UTC
            analyst     TEXT NOT NULL,
            sql         TEXT NOT NULL,
            duration_ms REAL,
            rows        INTEGER,                         -- rows read (or changed, for a write)
            more        INTEGER NOT NULL DEFAULT 0,      -- 1: the result had more rows than were read
            error       TEXT
        );
        -- Named review batches: a console result's accounts, shown as a queue view.
        CREATE TABLE batches (
            name        TEXT NOT NULL,
            account_id  TEXT NOT NULL,
            added_at    INTEGER NOT NULL,
            analyst     TEXT NOT NULL,
            PRIMARY KEY (name, account_id)
        ) WITHOUT ROWID;
        CREATE INDEX idx_batches_account ON batches(account_id);
        """),
        Migration(version: 7, summary: "dashboards: hourly event counts, score distribution per detection run", sql: """
        -- Events per hour and type, kept by the importer in the same transaction as the events:
        -- what dashboards read instead of scanning events.
        CREATE TABLE event_hourly (
            hour  INTEGER NOT NULL,                      -- epoch ms / 3600000 (UTC hour)
            type  TEXT NOT NULL,
            n     INTEGER NOT NULL,
            PRIMARY KEY (hour, type)
        ) WITHOUT ROWID;
        INSERT INTO event_hourly(hour, type, n)
            SELECT CASE WHEN ts >= 0 THEN ts / 3600000 ELSE (ts - 3599999) / 3600000 END, type, count(*) FROM events GROUP BY 1, 2;
        -- Each run's score distribution (JSON array of 20 bin counts over 0..1): drift (PSI) between runs.
        ALTER TABLE detect_runs ADD COLUMN score_hist TEXT;
        """),
        Migration(version: 8, summary: "learnt models, every run's scores", sql: """
        -- Models trained on the analysts' labels (`riskdesk train`); detect uses the current one.
        CREATE TABLE models (
            id          INTEGER PRIMARY KEY,
            created_at  INTEGER NOT NULL,
            kind        TEXT NOT NULL,                   -- gbdt | logreg
            features    TEXT NOT NULL,                   -- JSON array of feature names, in order
            params      TEXT NOT NULL,                   -- JSON: the fitted model
            labels      INTEGER NOT NULL,                -- labelled accounts it learnt from
            positives   INTEGER NOT NULL,
            cv          TEXT,                            -- JSON: cross-validated metrics per kind tried
            current     INTEGER NOT NULL DEFAULT 0
        );
        -- Scores of the last runs, per account: champion / challenger comparisons.
        CREATE TABLE run_scores (
            run_id      INTEGER NOT NULL,
            account_id  TEXT NOT NULL,
            score       REAL NOT NULL,
            PRIMARY KEY (run_id, account_id)
        ) WITHOUT ROWID;
        ALTER TABLE detect_runs ADD COLUMN model_id INTEGER;   -- the learnt model blended in, if any
        """),
        Migration(version: 9, summary: "detection runs record their process, to spot killed runs", sql: """
        -- The detect process; a run still 'running' whose process is gone is shown and marked cancelled.
        ALTER TABLE detect_runs ADD COLUMN pid INTEGER;
        """),
        Migration(version: 10, summary: "large imports stage identifier links and account activity, merged once at the end", sql: """
        -- A large import appends each batch's links and per-account activity here (in the batch's
        -- transaction) instead of updating `links` and `accounts` row by row, and merges them in
        -- key order once it has read everything. Empty between imports; rows left by a killed
        -- import are merged when the store is next opened for writing.
        -- kind '' is an account's activity (value ''): events, first and last event time.
        CREATE TABLE links_pending (
            kind        TEXT NOT NULL,
            value       TEXT NOT NULL,
            account_id  TEXT NOT NULL,
            events      INTEGER NOT NULL,
            first_ts    INTEGER,
            last_ts     INTEGER,
            run_id      INTEGER
        );
        """),
        Migration(version: 11, summary: "event ids de-duplicated through compact sorted keys, not a unique index over the strings", sql: """
        -- `events` without the UNIQUE b-tree over event_id (large, and filled in random key order by
        -- every import): the importer keeps event_id unique through `event_keys` (see docs/schema.md).
        DROP VIEW events_iso;
        CREATE TABLE events_v11 (
            id          INTEGER PRIMARY KEY,
            event_id    TEXT NOT NULL,                  -- unique: kept so by the importer (event_keys)
            ts          INTEGER NOT NULL,               -- epoch ms UTC
            account_id  TEXT NOT NULL,
            type        TEXT,
            device_id   TEXT,
            ip          TEXT,
            country     TEXT,
            session_id  TEXT,
            item_id     TEXT,
            seller_id   TEXT,
            order_id    TEXT,
            quantity    INTEGER,
            amount      REAL,
            currency    TEXT,
            coupon_id   TEXT,
            payment_id  TEXT,
            address_id  TEXT,
            target_id   TEXT,
            rating      INTEGER,
            status      TEXT,
            text        TEXT,
            extra       TEXT,                           -- JSON object: fields beyond the contract
            run_id      INTEGER                         -- import run that stored the row
        );
        INSERT INTO events_v11 SELECT id, event_id, ts, account_id, type, device_id, ip, country, session_id, item_id,
            seller_id, order_id, quantity, amount, currency, coupon_id, payment_id, address_id, target_id, rating,
            status, text, extra, run_id FROM events ORDER BY id;
        DROP TABLE events;
        ALTER TABLE events_v11 RENAME TO events;
        CREATE INDEX idx_events_account_ts ON events(account_id, ts);
        CREATE INDEX idx_events_ts ON events(ts);
        CREATE INDEX idx_events_type_ts ON events(type, ts);
        CREATE VIEW events_iso AS
            SELECT id, event_id, strftime('%Y-%m-%dT%H:%M:%fZ', ts / 1000.0, 'unixepoch') AS time,
                   account_id, type, device_id, ip, country, session_id, item_id, seller_id,
                   order_id, quantity, amount, currency, coupon_id, payment_id, address_id,
                   target_id, rating, status, text, extra, ts
            FROM events;
        -- key = riskdesk_event_key(event_id), a 64-bit hash; several ids may share a key (a
        -- collision), so a hit is always verified against events.event_id.
        CREATE TABLE event_keys (
            key         INTEGER NOT NULL,
            id          INTEGER NOT NULL,               -- events.id
            PRIMARY KEY (key, id)
        ) WITHOUT ROWID;
        INSERT INTO event_keys(key, id) SELECT riskdesk_event_key(event_id), id FROM events ORDER BY 1, 2;
        -- The highest events.id whose key is in event_keys (one row).
        CREATE TABLE event_keys_covered (upto INTEGER NOT NULL);
        INSERT INTO event_keys_covered(upto) SELECT coalesce(max(id), 0) FROM events;
        """),
        Migration(version: 12, summary: "event keys in two tiers: a day's keys land in a small tree, merged into the big one now and then", sql: """
        -- `event_keys` becomes a view over two trees of the same shape: `event_keys_main` (every key of
        -- events up to event_keys_covered.main_upto) and `event_keys_recent` (the keys added since). An
        -- import adds its keys to the small recent tree; once that passes a quarter of the main one,
        -- both are merged in key order (see docs/schema.md). A day into a big store no longer
        -- rewrites every leaf of the big tree.
        ALTER TABLE event_keys RENAME TO event_keys_main;
        CREATE TABLE event_keys_recent (
            key         INTEGER NOT NULL,
            id          INTEGER NOT NULL,               -- events.id
            PRIMARY KEY (key, id)
        ) WITHOUT ROWID;
        CREATE VIEW event_keys(key, id) AS
            SELECT key, id FROM event_keys_main UNION ALL SELECT key, id FROM event_keys_recent;
        ALTER TABLE event_keys_covered ADD COLUMN main_upto INTEGER NOT NULL DEFAULT 0;
        UPDATE event_keys_covered SET main_upto = upto;
        """),
        Migration(version: 13, summary: "no separate time index: time ranges without a type skip-scan the (type, ts) index", sql: """
        -- The (ts) index duplicated what the (type, ts) index holds (~15 bytes an event). A time
        -- range without a type is served by a skip-scan of (type, ts), which SQLite's planner only
        -- considers with statistics: the row below (see Schema.eventStatsSQL and docs/schema.md).
        DROP INDEX IF EXISTS idx_events_ts;
        """ + "\n" + v13StatsSQL.joined(separator: ";\n") + ";\n"),
        Migration(version: 14, summary: "interned identifiers: events_i + idents, events a view joining them", sql: internedEventsSQL),
        Migration(version: 15, summary: "session and order ids stored as text, not interned (mostly unique values)", sql: textSessionsSQL),
        Migration(version: 16, summary: "links stored with interned ids (links_i + link_kinds), links a view", sql: internedLinksSQL),
        Migration(version: 17, summary: "large imports stage links packed, a block per ~2,500 entries (links_pending_packed)", sql: """
        -- A large import writes each sorted aggregate flush here as blocks of varint-coded entries
        -- (the columns of links_pending; see PackedLinks.swift and docs/schema.md) instead of one
        -- links_pending row per entry. A run is a block with starts_run = 1 and the blocks after it
        -- (by id) with 0. Empty between imports; a killed import's blocks are merged when the store
        -- is next opened for writing. `activity` is the block's sum of kind-0 events.
        CREATE TABLE links_pending_packed (
            id          INTEGER PRIMARY KEY,
            starts_run  INTEGER NOT NULL,
            run_id      INTEGER,
            entries     INTEGER NOT NULL,
            activity    INTEGER NOT NULL,
            data        BLOB NOT NULL
        );
        """),
        Migration(version: 18, summary: "the account timeline index grouped by block of 4M event ids: a day's entries land in the newest block",
                  sql: timelineBlocksSQL),
    ]

    public static var latestVersion: Int { migrations.last!.version }
    /// The version from which detect_runs records its process id.
    public static let detectPidVersion = 9
}

extension Schema {
    /// The version from which large imports stage links in `links_pending`.
    public static let pendingLinksVersion = 10
    /// The version from which large imports stage links packed (`links_pending_packed`).
    public static let packedLinksVersion = 17
    /// The version from which `event_keys` (not a unique index) keeps event ids unique.
    public static let eventKeysVersion = 11
    /// The version from which `event_keys` is a view over `event_keys_main` + `event_keys_recent`.
    public static let eventKeyTiersVersion = 12
    /// Rows an equality on `type` selects, as told to the planner. Not a measurement: rules
    /// and dashboards filter on rare types (password resets, coupon redemptions, reviews), so
    /// the planner must keep treating a type as selective (the true average, a tenth of the
    /// events or more, turns those rules into full scans), and it must be at least 18, or
    /// SQLite never skip-scans the index. The plans of every shipped reader were checked with
    /// it (docs/benchmarks.md, imp17f). 100 until v18. From v18 it grows with the store, a
    /// fortieth of its events within 100…1000 (`typeRowsHint(events:)`): the account index's
    /// skip-scan over its blocks costs the planner more than its search by account did, and at
    /// 100 in a big store it took `(type, ts)` for a rule's login join by account and hour (all
    /// logins of that hour, every account's) and for an account's events of one type in time
    /// order; at 1000 both go by the account again, and every shipped query's plan is its v17
    /// plan but one join order of two materialized sets (imp67 in docs/benchmarks.md). A small
    /// store keeps 100: 1000 of 4000 events made the planner scan for a rare type.
    public static let typeRowsHint = 100
    public static let typeRowsHintMax = 1000
    /// Events per row of the hint between its floor and its ceiling.
    static let typeRowsHintShare = 40
    public static func typeRowsHint(events n: Int64) -> Int64 { max(Int64(typeRowsHint), min(Int64(typeRowsHintMax), n / Int64(typeRowsHintShare))) }

    /// Writes the planner statistics for `events` (run by migration 13 and at the end of every
    /// import): one `sqlite_stat1` row for `idx_events_type_ts` — the table's size (from the id
    /// range: no count, O(log n)), the type hint, and `1` (a type and a time pick one event).
    /// The range is two scalar subqueries: SQLite's min/max optimisation (a seek to either end)
    /// applies only to a query with a single `min()` or `max()`, and `max(id) - min(id)` in one
    /// query scanned a whole index of `events_i` at the end of every import (0.46 s of CPU at
    /// 4.3M events, imp22).
    /// The other indexes keep SQLite's defaults, as before v13 (so their plans are unchanged).
    /// `ANALYZE` of the one-row `event_keys_covered` makes `sqlite_stat1` exist; its own row is
    /// removed again. The last statement makes this connection's planner read the row.
    ///
    /// v18 adds a row for the block-grouped `idx_events_account_ts` (TimelineTier.swift). Its
    /// leading column (the block) is said to hold one value for every row — a hint, like the
    /// type's: SQLite skip-scans an index only when its leading column repeats 18 times or more,
    /// and it costs the skip-scan by the values it is told of. With the true count (5 blocks at
    /// 20M events; 2 tried as well) the planner took the `(type, ts)` index for a rule's login
    /// join by account and hour and for an account's events of one type in time order (`… AND
    /// type = ? ORDER BY ts LIMIT n`: 0.5–2 s at 18M events where the account's index takes
    /// 1 ms). For the account and the account's time: the defaults SQLite assumed before v18
    /// without a row (10 and 5). See also `typeRowsHint`.
    public static let eventStatsSQL: [String] = [
        "ANALYZE event_keys_covered",
        "DELETE FROM sqlite_stat1 WHERE tbl IN ('events', 'events_i', 'event_keys_covered')",
        """
        INSERT INTO sqlite_stat1(tbl, idx, stat)
            SELECT 'events_i', 'idx_events_type_ts', n || ' ' || max(\(typeRowsHint), min(\(typeRowsHintMax), n / \(typeRowsHintShare))) || ' 1'
                FROM (SELECT (SELECT max(id) FROM events_i) - (SELECT min(id) FROM events_i) + 1 AS n) WHERE n > 0
        """,
        """
        INSERT INTO sqlite_stat1(tbl, idx, stat)
            SELECT 'events_i', 'idx_events_account_ts', n || ' ' || max(n, 18) || ' 10 5'
                FROM (SELECT (SELECT max(id) FROM events_i) - (SELECT min(id) FROM events_i) + 1 AS n) WHERE n > 0
        """,
        "ANALYZE sqlite_schema",
    ]

    /// The statistics migrations 14 and 15 wrote (the type index's row alone), as they were.
    static let v14StatsSQL: [String] = [
        eventStatsSQL[0], eventStatsSQL[1],
        """
        INSERT INTO sqlite_stat1(tbl, idx, stat)
            SELECT 'events_i', 'idx_events_type_ts', n || ' \(typeRowsHint) 1'
                FROM (SELECT (SELECT max(id) FROM events_i) - (SELECT min(id) FROM events_i) + 1 AS n) WHERE n > 0
        """,
        "ANALYZE sqlite_schema",
    ]

    /// Migration 13's statistics row, as it was (on the `events` table of v13).
    static let v13StatsSQL: [String] = [
        "ANALYZE event_keys_covered",
        "DELETE FROM sqlite_stat1 WHERE tbl IN ('events', 'event_keys_covered')",
        """
        INSERT INTO sqlite_stat1(tbl, idx, stat)
            SELECT 'events', 'idx_events_type_ts', n || ' \(typeRowsHint) 1' FROM (SELECT max(id) - min(id) + 1 AS n FROM events) WHERE n > 0
        """,
        "ANALYZE sqlite_schema",
    ]
}
