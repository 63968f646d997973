import Foundation
import XCTest

/// libpq (and the ~20 libraries it needs) is loaded by dlopen only when a PostgreSQL store is
/// opened: a run on a SQLite store, or `--help`, never maps it. Checked on the real binary
/// through the dynamic loader's own trace (LD_DEBUG=files lists every object it opens).
final class LazyLibPQTests: XCTestCase {
    #if os(Linux)
    private func loaderTrace(_ args: [String]) throws -> CLI.Result {
        try CLI.run(args, env: ["LD_DEBUG": "files"])
    }

    func testHelpDoesNotLoadLibPQ() throws {
        let r = try loaderTrace(["--help"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // The trace works (sqlite3 is still linked) and names no libpq.
        XCTAssertTrue(r.stderr.contains("libsqlite3"), "LD_DEBUG trace missing:\n" + r.stderr.prefix(2000))
        XCTAssertFalse(r.stderr.contains("libpq"), String(r.stderr.prefix(4000)))
    }

    func testOpeningAPostgreSQLStoreLoadsLibPQ() throws {
        // Port 1: nothing listens, so the connection is refused after libpq is loaded.
        let r = try loaderTrace(["detect", "--store", "postgresql://nobody@127.0.0.1:1/none"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("libpq.so.5"), String(r.stderr.suffix(4000)))
        XCTAssertTrue(r.stderr.contains("cannot connect"), String(r.stderr.suffix(4000)))
        XCTAssertFalse(r.stderr.contains("could not be loaded"), String(r.stderr.suffix(4000)))
    }
    #endif
}
