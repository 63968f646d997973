/// Where an import's checked rows go, whichever the store. RiskImport parses and checks the
/// rows (the same readers, the same rejects for every store) and binds each good row's values
/// by position, like a prepared statement's parameters; a sink stores them. The SQLite store is
/// written through prepared statements (`Statement` is a `RowBinder`); a team store through
/// `PGImportSink`, which streams the rows into the server with COPY.

/// One row's values, bound by 1-based position.
public protocol RowBinder: AnyObject {
    func bindNull(_ i: Int32)
    func bindInt(_ i: Int32, _ v: Int64)
    func bindDouble(_ i: Int32, _ v: Double)
    /// `n` bytes of UTF-8 at `p`, valid until the next row (`stable` is the SQLite hint that they
    /// outlive the next step; a sink that copies them ignores it).
    func bindText(_ i: Int32, _ p: UnsafeRawPointer, _ n: Int, stable: Bool)
}

extension RowBinder {
    @inline(__always) public func bindText(_ i: Int32, _ p: UnsafeRawPointer, _ n: Int) { bindText(i, p, n, stable: true) }
}

extension Statement: RowBinder {}

/// The tables a streamed import fills (the contract's kinds).
public enum ImportTable: String, Sendable {
    case events, accounts, items
}

/// A store that takes a whole import as streams of rows: each file's rows go in as they are
/// read, and nothing is visible to anyone until `finish` (all or nothing).
public protocol ImportSink: AnyObject {
    associatedtype Binder: RowBinder
    /// Starts a file's rows. `columns`: the contract's fields, then `extra` (a JSON object or NULL).
    func begin(_ table: ImportTable, columns: [String]) throws -> Binder
    /// The row bound since the last `endRow` / `discardRow` is complete.
    func endRow() throws
    /// The row bound so far was rejected: forget it.
    func discardRow()
    /// The current file is done.
    func end() throws
    /// A rejected record, as the SQLite store records it: file, 1-based line, kind, the record
    /// verbatim (any bytes), why, and its hash (FNV-1a of the bytes).
    func reject(source: String, line: Int, kind: String, raw: UnsafeRawBufferPointer, reason: String, hash: Int64) throws
}
