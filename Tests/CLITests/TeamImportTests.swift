import Foundation
import RiskStore
import XCTest

/// The streamed import into a team store (COPY straight from the readers, merged on the
/// server) against a local import of the same files, a killed import, and the loose ends of
/// `store copy` (claim expiry, rejects that aren't UTF-8). A real server and real processes.
final class TeamStreamImportTests: TeamStoreTestCase {
    /// A simulated export, made awkward: rejects of several kinds (one not UTF-8), an event id
    /// twice in the file with different rows (the first wins), an account described twice
    /// (the last wins).
    func awkwardExport() throws -> (dir: String, account: String) {
        let out = dir + "/sim"
        let r = try CLI.run(["simulate", "--out", out, "--accounts", "120", "--days", "2", "--seed", "11", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try? FileManager.default.removeItem(atPath: out + "/truth.csv")
        let events = try String(contentsOfFile: out + "/events.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        let first = events[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var again = first
        again[3] = again[3] == "view" ? "login" : "view"          // same event_id, another type: a duplicate
        var tail = Data((again.joined(separator: ",") + "\nbad-1,not-a-time,acct_x,view\n,2026-01-01T00:00:00Z,,view\n").utf8)
        tail.append(contentsOf: Array("bad-2,2026-01-01T00:00:00Z,acct_".utf8) + [0xFF, 0xFE] + Array(",view\n".utf8))
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: out + "/events.csv"))
        h.seekToEndOfFile(); h.write(tail); h.closeFile()
        let accounts = try String(contentsOfFile: out + "/accounts.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        var changed = accounts[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let cc = accounts[0].split(separator: ",").firstIndex(of: "country")!
        changed[cc] = changed[cc] == "ZZ" ? "YY" : "ZZ"
        let a = try FileHandle(forWritingTo: URL(fileURLWithPath: out + "/accounts.csv"))
        a.seekToEndOfFile(); a.write(Data((changed.joined(separator: ",") + "\n").utf8)); a.closeFile()
        return (out, changed[0])
    }

    func testStreamedImportStoresAndRejectsExactlyAsALocalImport() throws {
        let (sim, account) = try awkwardExport()
        let local = try CLI.run(["import", "--json", "--store", store, sim])
        XCTAssertEqual(local.status, 0, local.stderr)
        let lead = try addRole("lead", .lead)
        for format in ["binary", "text"] {
            // A fresh team store per format.
            let owner = try PGConnection(url: ownerURL)
            if format == "text" {
                try owner.exec("TRUNCATE events, event_ids, accounts, items, links, event_hourly, rejects, import_runs CASCADE")
            }
            let r = try CLI.run(["import", "--json", "--copy-format", format, "--store", lead, sim])
            XCTAssertEqual(r.status, 0, r.stderr)
            let obj = try jsonObject(r.stdout)
            let l = try jsonObject(local.stdout)
            XCTAssertEqual(obj["rejected"] as? Int, l["rejected"] as? Int, format)
            XCTAssertEqual(obj["duplicate"] as? Int, l["duplicate"] as? Int, format)
            // Binary: the client counted links, activity and hourly counts while streaming (an
            // event id twice in the file: its second row left out); text: the server grouped them.
            XCTAssertEqual(obj["counted_by"] as? String, format == "binary" ? "client" : "server", format)
            let s = try Store(path: store, readOnly: true)
            // The same rows in every table the import fills; the same rejects: file, line, kind,
            // reason, and the record's bytes.
            let ev = "SELECT event_id, ts, account_id, type, device_id, ip, country, session_id, item_id, seller_id, order_id, quantity, amount, currency, coupon_id, payment_id, address_id, target_id, rating, status, text, extra FROM events ORDER BY event_id"
            let lk = "SELECT kind, value, account_id, events, first_ts, last_ts FROM links ORDER BY kind, value, account_id"
            for (what, sql) in [
                ("events", ev),
                ("accounts", "SELECT account_id, created_at, kind, country, email, phone, extra, n_events, first_seen, last_seen FROM accounts ORDER BY account_id"),
                ("items", "SELECT item_id, seller_id, title, category, price, currency, limited, drop_at, extra FROM items ORDER BY item_id"),
                ("links", lk),
                ("hourly counts", "SELECT hour, type, n FROM event_hourly ORDER BY hour, type"),
                ("rejects", "SELECT source, line, kind, reason, raw_hash FROM rejects ORDER BY source, line"),
            ] {
                XCTAssertEqual(try owner.rows(sql), try s.db.rows(sql), "\(what) (\(format))")
            }
            XCTAssertEqual(try owner.int("SELECT count(*) FROM rejects WHERE reason = 'invalid UTF-8'"), 1)
            // The account described twice: its last row, as locally.
            XCTAssertEqual(try owner.scalar("SELECT country FROM accounts WHERE account_id = $1", [.text(account)]),
                           try s.db.scalar("SELECT country FROM accounts WHERE account_id = ?", [.text(account)]))
            // Event ids follow the file order.
            XCTAssertEqual(try owner.int("""
                SELECT count(*) FROM (SELECT id, lag(id) OVER (ORDER BY ts, event_id) AS prev FROM events) x WHERE id < prev
                """), try s.db.int("SELECT count(*) FROM (SELECT id, lag(id) OVER (ORDER BY ts, event_id) AS prev FROM events) WHERE id < prev"))

            // Again: nothing new, nothing updated, the rejects already on record; staging empty.
            let again = try CLI.run(["import", "--json", "--copy-format", format, "--store", lead, sim])
            XCTAssertEqual(again.status, 0, again.stderr)
            let o2 = try jsonObject(again.stdout)
            XCTAssertEqual(o2["stored"] as? Int, 0)
            XCTAssertEqual(o2["updated"] as? Int, 0)
            XCTAssertEqual(o2["counted_by"] as? String, "")
            XCTAssertEqual(o2["rejects_already_recorded"] as? Int, l["rejected"] as? Int)
            XCTAssertEqual(try owner.rows(ev), try s.db.rows(ev), "events after a re-import (\(format))")
            XCTAssertEqual(try owner.rows(lk), try s.db.rows(lk), "links after a re-import (\(format))")
            XCTAssertEqual(try owner.int("SELECT count(*) FROM rejects"), try s.db.int("SELECT count(*) FROM rejects"))
            XCTAssertEqual(try owner.int("SELECT count(*) FROM stage_events") + (try owner.int("SELECT count(*) FROM stage_rejects")), 0)
        }
    }

    /// v5 → v6: `team init` upgrades a store of the previous schema (and installs the merge of
    /// the client's aggregates); then a second import into the months the store holds (new ids
    /// and duplicates: the server counts) and into a month it doesn't (loaded apart, indexed,
    /// attached), and a third of new events only into held months, one event id twice (the
    /// client's counts, upserted into links, accounts and hourly counts the store holds), end
    /// exactly as local imports do.
    func testAV5StoreUpgradesAndLaterImportsIntoHeldAndNewMonthsMatchALocalImport() throws {
        let admin = try PGConnection(url: adminURL)
        let db5 = dbName + "_v5"
        try admin.exec("CREATE DATABASE \(db5)")
        defer { try? admin.exec("DROP DATABASE IF EXISTS \(db5) WITH (FORCE)") }
        let url4 = Self.url(adminURL, database: db5)
        XCTAssertEqual(try PGStore.teamInit(url: url4, upTo: 5).to, 5)
        XCTAssertThrowsError(try PGStore(url: url4)) { e in XCTAssertTrue("\(e)".contains("schema v5"), "\(e)") }
        let up = try PGStore.teamInit(url: url4)
        XCTAssertEqual(up.from, 5)
        XCTAssertEqual(up.to, PGSchema.latestVersion)
        let owner = try PGConnection(url: url4)
        XCTAssertEqual(try owner.int("""
            SELECT count(*) FROM pg_class WHERE relname IN ('stage_events', 'stage_accounts', 'stage_items', 'stage_rejects',
                   'stage_event_skips', 'stage_agg_links', 'stage_agg_accounts', 'stage_agg_hourly')
               AND 'autovacuum_enabled=false' = ANY(reloptions)
            """), 8)

        let (sim, _) = try awkwardExport()
        let lines = String(decoding: try Data(contentsOf: URL(fileURLWithPath: sim + "/events.csv")), as: UTF8.self)
            .split(separator: "\n").map(String.init)                // (its last row is not UTF-8: not used here)
        var second = [lines[0]]
        for (i, line) in lines[1...150].enumerated() {
            var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            switch i % 3 {
            case 0: break                                            // a duplicate of the first import
            case 1: f[0] = "n" + f[0]                                // new, in a month the store holds
            default: f[0] = "f" + f[0]; f[1] = "2025-02-1\(i % 9)T10:00:00Z"   // new, in a month it doesn't
            }
            second.append(f.joined(separator: ","))
        }
        try FileManager.default.createDirectory(atPath: dir + "/second", withIntermediateDirectories: true)
        let file2 = write("second/events.csv", second.joined(separator: "\n") + "\n")
        var third = [lines[0]]
        for line in lines[151...300] {
            var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[0] = "m" + f[0]                                        // new, in a month the store holds
            third.append(f.joined(separator: ","))
        }
        var twice = third[5].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        twice[3] = twice[3] == "view" ? "login" : "view"              // the same event id again: the first row wins
        third.append(twice.joined(separator: ","))
        try FileManager.default.createDirectory(atPath: dir + "/third", withIntermediateDirectories: true)
        let file3 = write("third/events.csv", third.joined(separator: "\n") + "\n")
        // file2 repeats stored events: still the client's counts, less the repeats' (v8).
        for (files, countedBy) in [([sim], "client"), ([file2], "client"), ([file3], "client")] {
            let l = try CLI.run(["import", "--json", "--store", store] + files)
            XCTAssertEqual(l.status, 0, l.stderr)
            let r = try CLI.run(["import", "--json", "--store", url4] + files)
            XCTAssertEqual(r.status, 0, r.stderr)
            let (lo, ro) = (try jsonObject(l.stdout), try jsonObject(r.stdout))
            XCTAssertEqual(ro["duplicate"] as? Int, lo["duplicate"] as? Int, "\(files)")
            XCTAssertEqual(ro["counted_by"] as? String, countedBy, "\(files)")
        }
        XCTAssertEqual(try owner.int("SELECT count(*) FROM events WHERE ts < 1740787200000"), 50)
        XCTAssertEqual(try owner.int("SELECT count(*) FROM pg_inherits WHERE inhrelid = 'events_2025_02'::regclass"), 1)
        XCTAssertEqual(try owner.int("SELECT count(*) FROM pg_indexes WHERE tablename = 'events_2025_02'"), 4)
        let s = try Store(path: store, readOnly: true)
        for q in ["SELECT event_id, ts, account_id, type, device_id, ip, item_id, seller_id, amount, text FROM events ORDER BY event_id",
                  "SELECT account_id, n_events, first_seen, last_seen FROM accounts ORDER BY account_id",
                  "SELECT kind, value, account_id, events, first_ts, last_ts FROM links ORDER BY kind, value, account_id",
                  "SELECT hour, type, n FROM event_hourly ORDER BY hour, type"] {
            XCTAssertEqual(try owner.rows(q), try s.db.rows(q), q)
        }
        // The ids: one block per import, in file order within it.
        XCTAssertEqual(try owner.int("SELECT count(DISTINCT id) FROM events"), try owner.int("SELECT count(*) FROM events"))
        XCTAssertEqual(try owner.int("SELECT count(*) FROM events e JOIN event_ids x USING (event_id) WHERE x.id <> e.id"), 0)
    }

    /// Ctrl-C or SIGTERM mid-COPY: the team import stops like a local one (130 / 143), the run
    /// is on record as interrupted, and nothing else is left.
    func testAnInterruptedImportExitsLikeALocalOneAndLeavesNothing() throws {
        let owner = try PGConnection(url: ownerURL)
        for (sig, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            let fifo = dir + "/events-\(sig).fifo"
            XCTAssertEqual(mkfifo(fifo, 0o600), 0)
            let w = open(fifo, O_RDWR | O_CLOEXEC)       // not inherited: the child must see the end of its input
            XCTAssertGreaterThanOrEqual(w, 0)
            let child = try Spawn.start([CLI.binary, "import", "--kind", "events", "--store", ownerURL, "-"], env: CLI.environment([:]),
                                        stdin: fifo, stdout: dir + "/int.out", stderr: dir + "/int.err")
            feed(w, manyEvents("i\(sig)-"), while: child)
            try waitForCOPY(owner)
            child.signal(sig)
            close(w)                                   // end of input: the reader wakes and sees the request
            XCTAssertEqual(child.wait(), code, (try? String(contentsOfFile: dir + "/int.err", encoding: .utf8)) ?? "")
            XCTAssertTrue(((try? String(contentsOfFile: dir + "/int.err", encoding: .utf8)) ?? "").contains("interrupted"))
            try assertNothingMerged(owner)
        }
        XCTAssertEqual(try owner.rows("SELECT status FROM import_runs ORDER BY id").map { $0[0].description }, ["interrupted", "interrupted"])
    }

    /// 20,000 event rows (ids `prefix0`…), more than one COPY chunk (1 MiB): the server has
    /// rows when the client is stopped.
    func manyEvents(_ prefix: String) -> String {
        var text = header + "\n"
        for i in 0..<20_000 {
            text += "\(prefix)\(i),2026-03-0\(1 + i % 9)T10:00:00Z,acct_\(i % 50),view,dev\(i % 7),10.0.0.\(i % 200),DE,s\(i),item\(i % 30),,,,,,,,,,,,a fairly long piece of text so that the rows add up\n"
        }
        return text
    }

    /// Writes `text` into the child's input without blocking, with a deadline: a child that
    /// stopped reading fails the test, not hangs it. Returns the bytes written.
    @discardableResult
    func feed(_ w: Int32, _ text: String, while child: Child) -> Int {
        _ = fcntl(w, F_SETFL, O_NONBLOCK)
        let bytes = Array(text.utf8)
        var off = 0
        let writeDeadline = Date().addingTimeInterval(60)
        while off < bytes.count && Date() < writeDeadline && child.isRunning {
            let n = bytes[off...].withUnsafeBytes { Glibc.write(w, $0.baseAddress, $0.count) }
            if n > 0 { off += n } else { usleep(2_000) }
        }
        return off
    }

    /// Waits (30 s at most) until the server holds rows of the import's COPY.
    func waitForCOPY(_ owner: PGConnection) throws {
        var copying: Int64 = 0
        let deadline = Date().addingTimeInterval(30)
        while copying == 0 && Date() < deadline {
            copying = try owner.int("SELECT coalesce(sum(tuples_processed), 0) FROM pg_stat_progress_copy WHERE relid = 'stage_events'::regclass")
            if copying == 0 { Thread.sleep(forTimeInterval: 0.05) }
        }
        XCTAssertGreaterThan(copying, 0, "the import never started its COPY")
    }

    /// Nothing of a stopped import merged: no rows anywhere, no partition.
    func assertNothingMerged(_ owner: PGConnection) throws {
        for t in ["events", "event_ids", "accounts", "links", "event_hourly", "stage_events", "stage_rejects",
                  "stage_event_skips", "stage_agg_links", "stage_agg_accounts", "stage_agg_hourly"] {
            XCTAssertEqual(try owner.int("SELECT count(*) FROM \(t)"), 0, t)
        }
        XCTAssertEqual(try owner.int("SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass"), 0, "no partition left behind")
    }

    func testAKilledImportLeavesNothingHalfMerged() throws {
        let fifo = dir + "/events.fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // Opened read-write first (Linux: doesn't block), so the child's open of its stdin
        // doesn't wait for a writer (posix_spawn returns only once the child has exec'd).
        let w = open(fifo, O_RDWR)
        XCTAssertGreaterThanOrEqual(w, 0)
        defer { close(w) }
        let child = try Spawn.start([CLI.binary, "import", "--kind", "events", "--store", ownerURL, "-"], env: CLI.environment([:]),
                                    stdin: fifo, stdout: dir + "/imp.out", stderr: dir + "/imp.err")
        let text = manyEvents("k")
        let off = feed(w, text, while: child)
        XCTAssertEqual(off, text.utf8.count, "the import stopped reading its input: \((try? String(contentsOfFile: dir + "/imp.err", encoding: .utf8)) ?? "")")
        let owner = try PGConnection(url: ownerURL)
        try waitForCOPY(owner)
        child.signal(SIGKILL)
        _ = child.wait()
        var alive: Int64 = 1
        for _ in 0..<100 where alive > 0 {
            alive = try owner.int("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
            if alive > 0 { Thread.sleep(forTimeInterval: 0.05) }
        }
        XCTAssertEqual(alive, 0)
        try assertNothingMerged(owner)
        XCTAssertEqual(try owner.rows("SELECT status FROM import_runs").map { $0[0].description }, ["running"])
        // The next import goes through whole.
        let file = write("events.csv", text)
        let r = try CLI.run(["import", "--json", "--store", ownerURL, file])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try owner.int("SELECT count(*) FROM events"), 20_000)
    }

    func testACopiedClaimGetsTheTeamStoresExpiry() throws {
        let sim = dir + "/sim"
        XCTAssertEqual(try CLI.run(["simulate", "--out", sim, "--accounts", "60", "--days", "2", "--seed", "3", "--quiet"]).status, 0)
        try? FileManager.default.removeItem(atPath: sim + "/truth.csv")
        XCTAssertEqual(try CLI.run(["import", "--store", store, sim]).status, 0)
        let s = try Store(path: store)
        let ids = try s.db.rows("SELECT account_id FROM accounts ORDER BY account_id LIMIT 2").map { $0[0].description }
        try s.claim(ids[0], analyst: "maria", source: "cli")
        XCTAssertEqual(try CLI.run(["team", "init", "--claim-ttl", "3s", "--store", ownerURL]).status, 0)
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let r = try CLI.run(["store", "copy", store, ownerURL])
        XCTAssertEqual(r.status, 0, r.stderr)
        let after = Int64(Date().timeIntervalSince1970 * 1000)
        let pg = try PGConnection(url: ownerURL)
        let exp = try XCTUnwrap(try pg.scalar("SELECT claim_expires_at FROM cases WHERE account_id = $1", [.text(ids[0])]).int)
        XCTAssertGreaterThanOrEqual(exp, before + 3000)
        XCTAssertLessThanOrEqual(exp, after + 3000)
        // Live until then: another analyst is refused; after it, the claim is free.
        let ana = try addRole("ana", .analyst)
        let refused = try CLI.run(["cases", "--claim", ids[0], "--store", ana])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("claimed by maria"), refused.stderr)
        Thread.sleep(forTimeInterval: Double(max(0, exp - Int64(Date().timeIntervalSince1970 * 1000))) / 1000 + 0.3)
        let taken = try CLI.run(["cases", "--claim", ids[0], "--store", ana])
        XCTAssertEqual(taken.status, 0, taken.stderr)
    }

    func testRejectsThatAreNotUTF8CopyBackToALocalStore() throws {
        var bytes = Data((header + "\n").utf8)
        bytes.append(contentsOf: Array("e1,2026-01-01T00:00:00Z,acct_1,view\n".utf8))
        bytes.append(contentsOf: Array("e2,2026-01-01T00:00:00Z,acct_".utf8) + [0xC3, 0x28, 0xFF] + Array(",view\n".utf8))
        bytes.append(contentsOf: Array("e3,never,acct_\u{00E9},view\n".utf8))
        let file = dir + "/events.csv"
        try bytes.write(to: URL(fileURLWithPath: file))
        XCTAssertEqual(try CLI.run(["import", "--store", store, file]).status, 0)
        XCTAssertEqual(try CLI.run(["import", "--store", ownerURL, file]).status, 0)
        let back = dir + "/back.db"
        let r = try CLI.run(["store", "copy", ownerURL, back])
        XCTAssertEqual(r.status, 0, r.stderr)
        let sql = "SELECT line, reason, typeof(raw), raw, raw_hash FROM rejects ORDER BY line"
        let local = try Store(path: store, readOnly: true).db.rows(sql)
        // A row too short, one not UTF-8 (kept as a blob), one with a bad time.
        XCTAssertEqual(local.map { $0[2].description }, ["text", "blob", "text"])
        XCTAssertEqual(try Store(path: back, readOnly: true).db.rows(sql), local)
    }

    /// One stray old and one far-ahead time (both inside the import's time window) beside a
    /// month of ordinary events: a partition for each month that holds rows, not one for every
    /// month between 1971 and next year — by import and by `store copy` alike.
    func testAStrayTimestampMakesOnePartitionNotHundreds() throws {
        let ahead = Timestamp.iso(Timestamp.nowMs() + 200 * 86_400_000)
        let aheadMonth = String(ahead.prefix(7)).replacingOccurrences(of: "-", with: "_")
        var csv = "event_id,ts,account_id,type\n"
        for d in 1...20 { csv += "e\(d),2026-01-\(String(format: "%02d", d))T10:00:00Z,acct_\(d % 4),view\n" }
        csv += "old-1,1971-03-05T00:00:00Z,acct_1,login\nahead-1,\(ahead),acct_2,login\n"
        let file = dir + "/events.csv"
        try csv.write(toFile: file, atomically: true, encoding: .utf8)
        let partitions = """
            SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'events'::regclass
            """
        let want = "events_1971_03 events_2026_01 events_\(aheadMonth)"
        let r = try CLI.run(["import", "--store", ownerURL, file])
        XCTAssertEqual(r.status, 0, r.stderr)
        let pg = try PGConnection(url: ownerURL)
        XCTAssertEqual(try pg.scalar(partitions).string, want)
        XCTAssertEqual(try pg.int("SELECT count(*) FROM events"), 22)
        XCTAssertEqual(try pg.scalar("SELECT account_id FROM events WHERE ts < 100000000000").string, "acct_1")

        // The same rows copied from a local store into an empty team store.
        XCTAssertEqual(try CLI.run(["import", "--store", store, file]).status, 0)
        let other = "\(dbName!)_copy"
        try PGConnection(url: adminURL).exec("CREATE DATABASE \(other)")
        defer { try? PGConnection(url: adminURL).exec("DROP DATABASE IF EXISTS \(other) WITH (FORCE)") }
        let otherURL = Self.url(ownerURL, database: other)
        XCTAssertEqual(try CLI.run(["team", "init", "--store", otherURL]).status, 0)
        let c = try CLI.run(["store", "copy", store, otherURL])
        XCTAssertEqual(c.status, 0, c.stderr)
        let pg2 = try PGConnection(url: otherURL)
        XCTAssertEqual(try pg2.scalar(partitions).string, want)
        XCTAssertEqual(try pg2.int("SELECT count(*) FROM events"), 22)
    }

    /// The first import (and any that grows the store by a tenth) leaves planner statistics,
    /// the partitioned `events` included (autovacuum never analyzes that one); a small one
    /// into a bigger store leaves them to autovacuum. As a lead, who doesn't own the tables.
    func testAnImportThatGrowsTheStoreLeavesPlannerStatistics() throws {
        let lead = try addRole("lead", .lead)
        var csv = "event_id,ts,account_id,type\n"
        for k in 0..<400 { csv += "e\(k),2026-01-\(String(format: "%02d", k % 28 + 1))T10:00:00Z,acct_\(k % 37),view\n" }
        try csv.write(toFile: dir + "/events.csv", atomically: true, encoding: .utf8)
        let pg = try PGConnection(url: ownerURL)
        // The partitioned table's own statistics (over all partitions): 37 accounts seen.
        let distinct = "SELECT n_distinct::bigint FROM pg_stats WHERE schemaname = 'public' AND tablename = 'events' AND attname = 'account_id' AND inherited"
        XCTAssertEqual(try pg.rows(distinct).count, 0)
        let r = try CLI.run(["import", "--store", lead, dir + "/events.csv"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try pg.scalar(distinct).int, 37, "the partitioned events table was not analyzed")
        XCTAssertEqual(try pg.scalar("SELECT reltuples::bigint FROM pg_class WHERE relname = 'event_ids'").int, 400)
        // 10 more events into 400: under a tenth, left to autovacuum (the estimate stays).
        try ("event_id,ts,account_id,type\n" + (0..<10).map { "f\($0),2026-01-03T11:00:00Z,acct_1,login\n" }.joined())
            .write(toFile: dir + "/more.csv", atomically: true, encoding: .utf8)
        let more = try CLI.run(["import", "--kind", "events", "--store", lead, dir + "/more.csv"])
        XCTAssertEqual(more.status, 0, more.stderr)
        XCTAssertEqual(try pg.scalar("SELECT reltuples::bigint FROM pg_class WHERE relname = 'event_ids'").int, 400)
    }
}
