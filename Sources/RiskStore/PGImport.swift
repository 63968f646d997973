import CLibPQ
import Foundation

/// How rows travel to the server during a team-store import. Binary is the default: no
/// escaping on the client, no number parsing on the server (scripts/bench-pg-import measures both).
public enum PGCopyFormat: String, Sendable, CaseIterable {
    case binary, text
}

/// Import into a team store, streamed: the importer (RiskImport) reads and checks each file
/// exactly as for a local import — the same rejects — and binds each good row to a
/// `PGCopyRow`; the rows go straight to the server with `COPY … FROM STDIN` into the unlogged
/// staging tables, and `finish` merges them (`riskdesk_merge_import`: events new by event_id
/// into their month partitions, accounts and items upserted, links, per-account and hourly
/// counts from the new events only) and records the run. All of it is one transaction: a killed
/// or failed import leaves the team store as it was (the staged rows go with the transaction);
/// importing the same files again stores nothing new. No local staging file.
public final class PGImportSink: ImportSink {
    public typealias Binder = PGCopyRow

    public struct Result: Sendable, Equatable {
        public var runID: Int64
        /// Good rows streamed in (events, accounts, items).
        public var staged: Int64
        public var stored: Int64
        public var duplicate: Int64
        public var updated: Int64
        public var rejected: Int64
        /// Rejects that were already recorded by an earlier import of the same file.
        public var rejectsAlreadyRecorded: Int64
        /// Who counted the new rows' links, account activity and hourly counts: "client" (the
        /// aggregates streamed with the rows), "server" (grouped from the new rows), "" (no new rows).
        public var countedBy: String = ""
    }

    let store: PGStore
    var conn: PGConnection { store.conn }
    public let runID: Int64
    public let format: PGCopyFormat
    private var row: PGCopyRow?
    private var ord: Int64 = 0
    private var inCopy = false
    private var transactionOpen = false
    private var staged: Int64 = 0
    private var rejected: Int64 = 0
    /// Rejects wait (as COPY text rows) until the files are streamed: one COPY at a time.
    private var rejectBuf = [UInt8]()
    private var spill: UnsafeMutablePointer<FILE>?
    /// Links, account activity and hourly counts counted while the events stream (binary COPY
    /// only); sent before the merge, which uses them when they match its new rows exactly.
    private var aggs: PGImportAggregates?
    private var aggColumns: [String]?
    private var currentTable: ImportTable?
    /// Off: the merge groups the new rows on the server (for tests comparing the two ways).
    public var clientAggregates = true
    private static let chunk = 1 << 20
    private static let spillAt = 8 << 20

    /// Records the run (`import_runs`, committed at once so a failure is on record) and opens
    /// the import's transaction. Refused unless the role may import.
    public init(store: PGStore, sources: [String], format: PGCopyFormat = .binary) throws {
        try store.checkCanImport()
        self.store = store
        self.format = format
        let json = "[" + sources.map(ResultWriter.jsonString).joined(separator: ",") + "]"
        runID = try store.conn.scalar("INSERT INTO import_runs (started_at, sources, pid) VALUES (riskdesk_now_ms(), $1, $2) RETURNING id",
                                      [.text(json), .int(Int64(getpid()))]).int ?? 0
        try store.conn.exec("BEGIN")
        transactionOpen = true
        // The import's commit doesn't wait for its WAL to reach the disk: a server crash right
        // after it may lose the whole import (never half of it: it's one transaction); run it again.
        try store.conn.exec("SET LOCAL synchronous_commit = off")
    }

    deinit {
        if let spill { fclose(spill) }
    }

    // MARK: - ImportSink

    public func begin(_ table: ImportTable, columns: [String]) throws -> PGCopyRow {
        if inCopy { try end() }
        let stage = "stage_" + table.rawValue
        let ordColumn = table == .events ? "id" : "ord"
        let types = try StoreCopy.pgColumns(conn, stage)
        var kinds: [PGCopyRow.Kind] = [.int8]
        for c in columns {
            guard let t = types[c] else { throw PGError("\(stage) has no column \(c): the team store's schema is not this build's") }
            kinds.append(PGCopyRow.Kind(pgType: t))
        }
        let cols = ([ordColumn] + columns).map(PGConnection.quoteIdentifier).joined(separator: ", ")
        try conn.beginCopyIn("COPY \(stage) (\(cols)) FROM STDIN" + (format == .binary ? " (FORMAT binary)" : ""))
        inCopy = true
        let r = PGCopyRow(kinds: kinds, binary: format == .binary)
        currentTable = table
        if table == .events && format == .binary && clientAggregates {
            if aggColumns == nil {
                aggColumns = columns
                aggs = PGImportAggregates(columns: columns)
            } else if aggColumns != columns {
                aggs?.giveUp()           // another layout: let the server count
            }
            if aggs != nil { r.startTracking() }
        }
        r.startRow(ord: ord + 1)
        row = r
        return r
    }

    public func endRow() throws {
        guard let row else { return }
        row.endRow()
        if currentTable == .events, let aggs { aggs.add(row, ord: ord + 1) }
        ord += 1
        staged += 1
        if row.count >= Self.chunk { try send(row) }
        row.startRow(ord: ord + 1)
    }

    public func discardRow() {
        guard let row else { return }
        row.discardRow()
        row.startRow(ord: ord + 1)
    }

    public func end() throws {
        guard inCopy, let row else { return }
        row.discardRow()                 // the row started for a next record that never came
        row.finish()
        try send(row)
        inCopy = false
        self.row = nil
        try conn.endCopyIn()
    }

    public func reject(source: String, line: Int, kind: String, raw: UnsafeRawBufferPointer, reason: String, hash: Int64) throws {
        rejected += 1
        StoreCopy.appendEscaped(&rejectBuf, source.utf8); rejectBuf.append(9)
        StoreCopy.appendEscaped(&rejectBuf, String(line).utf8); rejectBuf.append(9)
        StoreCopy.appendEscaped(&rejectBuf, kind.utf8); rejectBuf.append(9)
        StoreCopy.appendByteaHex(&rejectBuf, Array(raw))
        rejectBuf.append(9)
        StoreCopy.appendEscaped(&rejectBuf, reason.utf8); rejectBuf.append(9)
        StoreCopy.appendEscaped(&rejectBuf, String(hash).utf8); rejectBuf.append(10)
        if rejectBuf.count >= Self.spillAt {
            if spill == nil { spill = tmpfile() }
            guard let spill else { throw PGError("cannot hold the rejects: no temporary file (\(String(cString: strerror(errno))))") }
            if fwrite(rejectBuf, 1, rejectBuf.count, spill) != rejectBuf.count {
                throw PGError("cannot hold the rejects: writing a temporary file failed (\(String(cString: strerror(errno))))")
            }
            rejectBuf.removeAll(keepingCapacity: true)
        }
    }

    // MARK: - Finishing

    /// Streams the rejects, merges everything staged, records the run and commits.
    public func finish(bytesRead: Int64 = 0, progress: ((String) -> Void)? = nil) throws -> Result {
        do {
            try end()
            var already: Int64 = 0
            if rejected > 0 {
                try conn.beginCopyIn("COPY stage_rejects (source, line, kind, raw, reason, raw_hash) FROM STDIN")
                inCopy = true
                if let spill {
                    rewind(spill)
                    var chunk = [UInt8](repeating: 0, count: Self.chunk)
                    while true {
                        let n = fread(&chunk, 1, chunk.count, spill)
                        if n <= 0 { break }
                        try chunk.withUnsafeBytes { try conn.putCopyData(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                    }
                }
                try rejectBuf.withUnsafeBytes { try conn.putCopyData($0) }
                inCopy = false
                try conn.endCopyIn()
                // Already on record (the same file, line and bytes): not counted as new.
                already = try conn.int("""
                    SELECT count(*) FROM stage_rejects s WHERE s.session_pid = pg_backend_pid()
                      AND EXISTS (SELECT 1 FROM rejects r WHERE (r.source, r.line, r.raw_hash) = (s.source, s.line, s.raw_hash))
                    """)
            }
            try sendAggregates()
            progress?("streamed \(staged) rows, \(rejected) rejected; merging")
            let m = try conn.rows("SELECT stored, duplicate, updated FROM riskdesk_merge_import($1)", [.int(runID)])[0]
            let r = Result(runID: runID, staged: staged, stored: m[0].int ?? 0, duplicate: m[1].int ?? 0,
                           updated: m[2].int ?? 0, rejected: rejected, rejectsAlreadyRecorded: already,
                           countedBy: (try? conn.scalar("SELECT current_setting('riskdesk.merge_counted_by', true)").string) ?? "")
            try conn.run("""
                UPDATE import_runs SET finished_at = riskdesk_now_ms(), status = 'done', rows_read = $2, rows_stored = $3,
                    rows_duplicate = $4, rows_updated = $5, rows_rejected = $6, bytes_read = $7 WHERE id = $1
                """, [.int(runID), .int(r.staged + r.rejected), .int(r.stored), .int(r.duplicate), .int(r.updated),
                      .int(r.rejected), .int(bytesRead)])
            try conn.exec("COMMIT")
            transactionOpen = false
            // A big import (a tenth of the store or more): statistics for the planner now, not
            // when autovacuum gets to it (it never analyzes the partitioned `events`). Best
            // effort, after the commit: the rows are in whatever it says.
            _ = try? conn.run("SELECT riskdesk_analyze_after_import($1)", [.int(r.stored)])
            return r
        } catch {
            abort(error)
            throw error
        }
    }

    /// Rolls everything back (nothing staged or merged survives) and marks the run failed.
    public func abort(_ error: Error) {
        if inCopy { conn.abandonCopyIn("import stopped: \(error)"); inCopy = false }
        row = nil
        if transactionOpen { try? conn.exec("ROLLBACK"); transactionOpen = false }
        _ = try? conn.run("UPDATE import_runs SET finished_at = riskdesk_now_ms(), status = $3, message = $2 WHERE id = $1",
                      [.int(runID), .text(String("\(error)".prefix(1000))), .text(error is CancellationError ? "interrupted" : "failed")])
    }

    /// COPYs the client's aggregates (and the rows it left out) and tells the merge how many
    /// rows they count (`riskdesk.client_aggregates`, for this transaction only).
    private func sendAggregates() throws {
        guard let aggs, !aggs.gaveUp, aggs.counted > 0 else { return }
        func copy(_ sql: String, _ kinds: [PGCopyRow.Kind], _ fill: (PGCopyRow) throws -> Void) throws {
            try conn.beginCopyIn(sql + " FROM STDIN (FORMAT binary)")
            inCopy = true
            let r = PGCopyRow(kinds: kinds, binary: true)
            try fill(r)
            r.finish()
            try send(r)
            inCopy = false
            try conn.endCopyIn()
        }
        try copy("COPY stage_event_skips (ord, event_id)", [.int8, .text]) { r in
            try aggs.skipIDs.withUnsafeBytes { ids in
                var from = 0
                for (k, o) in aggs.skips.enumerated() {
                    let to = aggs.skipIDEnds[k]
                    r.startRow(ord: o)
                    r.bindText(1, ids.baseAddress! + from, to - from, stable: false)
                    r.endRow()
                    from = to
                    if r.count >= Self.chunk { try send(r) }
                }
            }
        }
        let kindNames = PGImportAggregates.linkKinds
        try copy("COPY stage_agg_links (events, kind, value, account_id, first_ts, last_ts)", [.int8, .text, .text, .text, .int8, .int8]) { r in
            try aggs.forEach { tag, key, e in
                guard tag >= 1 && Int(tag) <= kindNames.count else { return }
                let n = Int(key.loadUnaligned(as: UInt32.self).bigEndian)
                r.startRow(ord: e.count)
                kindNames[Int(tag) - 1].utf8CString.withUnsafeBufferPointer { k in
                    r.bindText(1, k.baseAddress!, k.count - 1, stable: false)
                }
                r.bindText(2, key.baseAddress! + 4, n, stable: false)
                r.bindText(3, key.baseAddress! + 4 + n, key.count - 4 - n, stable: false)
                r.bindInt(4, e.minTs); r.bindInt(5, e.maxTs)
                r.endRow()
                if r.count >= Self.chunk { try send(r) }
            }
        }
        try copy("COPY stage_agg_accounts (n_events, account_id, first_seen, last_seen)", [.int8, .text, .int8, .int8]) { r in
            try aggs.forEach { tag, key, e in
                guard tag == PGImportAggregates.accountTag else { return }
                r.startRow(ord: e.count)
                r.bindText(1, key.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, key.count, stable: false)
                r.bindInt(2, e.minTs); r.bindInt(3, e.maxTs)
                r.endRow()
                if r.count >= Self.chunk { try send(r) }
            }
        }
        try copy("COPY stage_agg_hourly (n, hour, type)", [.int8, .int8, .text]) { r in
            try aggs.forEach { tag, key, e in
                guard tag == PGImportAggregates.hourTag else { return }
                r.startRow(ord: e.count)
                r.bindInt(1, Int64(bitPattern: key.loadUnaligned(as: UInt64.self).bigEndian))
                r.bindText(2, key.baseAddress! + 8, key.count - 8, stable: false)
                r.endRow()
                if r.count >= Self.chunk { try send(r) }
            }
        }
        try conn.run("SELECT set_config('riskdesk.client_aggregates', $1, true)", [.text(String(aggs.counted))])
    }

    private func send(_ row: PGCopyRow) throws {
        try conn.putCopyData(UnsafeRawBufferPointer(start: row.base, count: row.rowStart))
        row.dropSent()                                   // the row being built stays
    }
}

extension PGStore {
    /// Refuses early (before any file is read) when this role may not import.
    public func checkCanImport() throws {
        guard try isLead() else {
            throw PGError("\(displayURL): importing needs the riskdesk_lead role (you are \(try currentRole()), an analyst)", sqlstate: "42501")
        }
    }
}

/// One row of a COPY being built, in binary or text format. The importer binds the values by
/// position (1…n; column 0 is the sink's row order); a skipped position is NULL.
/// The bytes go into one raw buffer (grown by doubling, rarely): no Array uniqueness or
/// per-byte capacity checks on the hot path (docs/team.md, "Import speed": the client's CPU).
public final class PGCopyRow: RowBinder {
    enum Kind {
        case int8, int4, int2, float8, text
        init(pgType t: String) {
            switch t {
            case "bigint": self = .int8
            case "integer": self = .int4
            case "smallint": self = .int2
            case "double precision": self = .float8
            default: self = .text
            }
        }
    }

    let kinds: [Kind]
    let binary: Bool
    /// The COPY data built so far: `count` bytes at `base`; the current row starts at `rowStart`.
    private(set) var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0
    var rowStart = 0
    /// With `track` (binary only): where each text value of the current row is in the buffer
    /// (-1: NULL or not bound) and each integer bound, for the client's aggregates.
    var track = false
    let spanStart: UnsafeMutablePointer<Int>
    let spanLength: UnsafeMutablePointer<Int>
    let ints: UnsafeMutablePointer<Int64>
    let intSet: UnsafeMutablePointer<Bool>
    private var next: Int32 = 1
    private var started = false

    init(kinds: [Kind], binary: Bool) {
        self.kinds = kinds
        self.binary = binary
        spanStart = .allocate(capacity: kinds.count); spanStart.initialize(repeating: -1, count: kinds.count)
        spanLength = .allocate(capacity: kinds.count); spanLength.initialize(repeating: 0, count: kinds.count)
        ints = .allocate(capacity: kinds.count); ints.initialize(repeating: 0, count: kinds.count)
        intSet = .allocate(capacity: kinds.count); intSet.initialize(repeating: false, count: kinds.count)
        capacity = PGImportSinkChunk.size + (64 << 10)
        base = .allocate(capacity: capacity)
        if binary {
            append(Array("PGCOPY\n".utf8) + [0xFF, 13, 10, 0])
            be32(0); be32(0)                          // flags, header extension length
        }
    }

    func startTracking() {
        guard binary else { return }
        track = true
    }

    deinit {
        base.deallocate()
        spanStart.deallocate(); spanLength.deallocate(); ints.deallocate(); intSet.deallocate()
    }

    /// The bytes before the current row were sent: the row being built moves to the front.
    func dropSent() {
        let keep = count - rowStart
        if keep > 0 && rowStart > 0 { memmove(base, base + rowStart, keep) }
        if track {
            for i in 0..<kinds.count where spanStart[i] >= 0 { spanStart[i] -= rowStart }
        }
        count = keep
        rowStart = 0
    }

    func startRow(ord: Int64) {
        rowStart = count
        next = 1
        started = true
        if track {
            for i in 0..<kinds.count { spanStart[i] = -1; intSet[i] = false }
        }
        if binary { reserve(14); be16(Int16(kinds.count)); be32(8); be64(UInt64(bitPattern: ord)) } else { decimal(ord) }
    }

    func endRow() {
        if Int(next) < kinds.count {
            reserve((kinds.count - Int(next)) * 4)
            while Int(next) < kinds.count { nullValue(Int(next)); next += 1 }
        }
        if !binary { append(10) }
        started = false
    }

    func discardRow() {
        count = rowStart
        started = false
    }

    /// The end-of-data marker (binary).
    func finish() {
        if binary { reserve(2); be16(-1) }
        rowStart = count
    }

    // MARK: RowBinder

    @inline(__always) private func field(_ i: Int32) -> Kind {
        precondition(i >= next && Int(i) < kinds.count, "COPY row: column \(i) bound out of order")
        if next < i {
            reserve(Int(i - next) * 4)
            while next < i { nullValue(Int(next)); next += 1 }
        }
        next = i + 1
        if !binary { append(9) }
        return kinds[Int(i)]
    }

    @inline(__always) private func nullValue(_ i: Int) {
        if binary { be32(-1) } else { append(9); append(92); append(78) }
    }

    public func bindNull(_ i: Int32) {
        _ = field(i)
        if binary { reserve(4); be32(-1) } else { append(92); append(78) }
    }

    public func bindInt(_ i: Int32, _ v: Int64) {
        let k = field(i)
        if track { ints[Int(i)] = v; intSet[Int(i)] = true }
        guard binary else { decimal(v); return }
        reserve(12)
        switch k {
        case .int8: be32(8); be64(UInt64(bitPattern: v))
        case .int4: be32(4); be32(Int32(truncatingIfNeeded: v))
        case .int2: be32(2); be16(Int16(truncatingIfNeeded: v))
        case .float8: be32(8); be64(Double(v).bitPattern)
        case .text:
            let s = Array(String(v).utf8)
            be32(Int32(s.count)); append(s)
        }
    }

    public func bindDouble(_ i: Int32, _ v: Double) {
        let k = field(i)
        guard binary else { append(Array("\(v)".utf8)); return }
        reserve(12)
        switch k {
        case .float8: be32(8); be64(v.bitPattern)
        case .int8:
            if track { ints[Int(i)] = Int64(v); intSet[Int(i)] = true }
            be32(8); be64(UInt64(bitPattern: Int64(v)))
        case .int4: be32(4); be32(Int32(truncatingIfNeeded: Int64(v)))
        case .int2: be32(2); be16(Int16(truncatingIfNeeded: Int64(v)))
        case .text:
            let s = Array("\(v)".utf8)
            be32(Int32(s.count)); append(s)
        }
    }

    public func bindText(_ i: Int32, _ p: UnsafeRawPointer, _ n: Int, stable: Bool) {
        _ = field(i)
        if binary {
            reserve(4 + n)
            be32(Int32(n))
            if track { spanStart[Int(i)] = count; spanLength[Int(i)] = n }
            (base + count).update(from: p.assumingMemoryBound(to: UInt8.self), count: n)
            count += n
        } else {
            // Escape only when needed (most values have no backslash, tab or line break).
            if memchr(p, 92, n) == nil && memchr(p, 9, n) == nil && memchr(p, 10, n) == nil && memchr(p, 13, n) == nil {
                reserve(n)
                (base + count).update(from: p.assumingMemoryBound(to: UInt8.self), count: n)
                count += n
            } else {
                var escaped = [UInt8]()
                StoreCopy.appendEscaped(&escaped, UnsafeRawBufferPointer(start: p, count: n))
                append(escaped)
            }
        }
    }

    // MARK: Encoding

    /// Room for `n` more bytes (the fixed-size writers below assume it was made).
    @inline(__always) private func reserve(_ n: Int) {
        if count + n > capacity { grow(n) }
    }
    @inline(never) private func grow(_ n: Int) {
        let newCap = max(capacity * 2, count + n)
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap)
        b.update(from: base, count: count)
        base.deallocate()
        base = b
        capacity = newCap
    }
    private func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }
    private func append(_ bytes: [UInt8]) {
        reserve(bytes.count)
        bytes.withUnsafeBufferPointer { (base + count).update(from: $0.baseAddress!, count: $0.count) }
        count += bytes.count
    }
    @inline(__always) private func be16(_ v: Int16) {
        UnsafeMutableRawPointer(base + count).storeBytes(of: UInt16(bitPattern: v).bigEndian, as: UInt16.self)
        count += 2
    }
    @inline(__always) private func be32(_ v: Int32) {
        UnsafeMutableRawPointer(base + count).storeBytes(of: UInt32(bitPattern: v).bigEndian, as: UInt32.self)
        count += 4
    }
    @inline(__always) private func be64(_ u: UInt64) {
        UnsafeMutableRawPointer(base + count).storeBytes(of: u.bigEndian, as: UInt64.self)
        count += 8
    }
    private func decimal(_ v: Int64) {
        reserve(20)
        if v == 0 { base[count] = 48; count += 1; return }
        if v < 0 { base[count] = 45; count += 1 }
        var u = v.magnitude, n = 0
        while u > 0 { n += 1; u /= 10 }
        u = v.magnitude
        for k in stride(from: n - 1, through: 0, by: -1) { base[count + k] = UInt8(48 + u % 10); u /= 10 }
        count += n
    }
}

enum PGImportSinkChunk { static let size = 1 << 20 }

// MARK: - COPY FROM STDIN, a piece at a time

extension PGConnection {
    /// Starts `COPY … FROM STDIN`; then `putCopyData` any number of times, then `endCopyIn`
    /// (or `abandonCopyIn`). For a producer that is called rather than one that calls.
    func beginCopyIn(_ sql: String) throws {
        let start = PQexec(conn, sql)
        defer { PQclear(start) }
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN {
            try check(start)
            throw PGError("expected COPY FROM STDIN, got \(String(cString: PQresStatus(status)))")
        }
    }

    func putCopyData(_ buf: UnsafeRawBufferPointer) throws {
        guard buf.count > 0 else { return }
        if PQputCopyData(conn, buf.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(buf.count)) != 1 {
            throw PGError("COPY: sending data failed: \(lastError)", sqlstate: "08006")
        }
    }

    /// Ends the COPY; throws the server's error if it refused the data.
    @discardableResult
    func endCopyIn() throws -> Int {
        if PQputCopyEnd(conn, nil) != 1 { throw PGError("COPY: ending failed: \(lastError)", sqlstate: "08006") }
        let (stored, serverError) = drainCopyResults()
        if let serverError { throw serverError }
        return stored
    }

    /// Ends the COPY with an error: the server drops what it received.
    func abandonCopyIn(_ why: String) {
        _ = PQputCopyEnd(conn, String(why.prefix(200)))
        while let r = PQgetResult(conn) { PQclear(r) }
    }
}
