import Foundation

/// What a view reads through: a read-only connection (`query_only`). Holding one is the
/// proof a piece of code can't write.
public struct StoreReader {
    public let store: Store
    public var db: Database { store.db }
    public var path: String { store.path }

    public init(path: String, maskPII: Bool = false) throws {
        store = try Store(path: path, readOnly: true, maskPII: maskPII)
    }

    /// Stops the statement running on it (from another thread).
    public func interrupt() { store.db.interrupt() }
}

/// The one writable connection of a session, opened on the first write. A read-only
/// session's writer refuses every write, whatever the screens let through.
public final class StoreWriter {
    public let path: String
    public var readOnly: Bool
    private var store: Store?

    public init(path: String, readOnly: Bool = false) {
        self.path = path
        self.readOnly = readOnly
    }

    /// The writable store, opened now if it isn't yet.
    public func open() throws -> Store {
        if readOnly { throw StoreError("read-only session (--read-only): nothing is written to the store") }
        if let store { return store }
        let s = try Store(path: path)
        store = s
        return s
    }
}
