import Assets
import Foundation
import XCTest

/// The repository's root, from this file's path.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

final class AssetsTests: XCTestCase {
    var dir: String!
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "riskdesk-assets-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func write(_ rel: String, _ text: String) {
        let p = dir + "/" + rel
        try! FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data(text.utf8)))
    }

    /// GeneratedAssets.swift holds exactly the files of themes/ and queries/: a change to one of
    /// them without `scripts/gen-assets` fails here, naming the file.
    func testGeneratedFileMatchesTheFilesOnDisk() throws {
        let folders: [(AssetKind, String)] = [(.themes, "themes"), (.rules, "queries/rules"), (.queries, "queries"), (.dashboards, "queries/dashboards")]
        var onDisk: [String: String] = [:]
        for (kind, folder) in folders {
            let d = repoRoot + "/" + folder
            for f in try FileManager.default.contentsOfDirectory(atPath: d) where f.hasSuffix("." + kind.fileExtension) {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: d + "/" + f, isDirectory: &isDir), !isDir.boolValue else { continue }
                onDisk["\(kind.rawValue)/\(f)"] = try String(contentsOfFile: d + "/" + f, encoding: .utf8)
            }
        }
        var built: [String: String] = [:]
        for f in BuiltinAssets.all { built["\(f.kind.rawValue)/\(f.name).\(f.kind.fileExtension)"] = f.text }
        XCTAssertFalse(onDisk.isEmpty)
        for (k, text) in onDisk.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(built[k], text, "\(k) differs from Sources/Assets/GeneratedAssets.swift: run scripts/gen-assets")
        }
        for k in Set(built.keys).subtracting(onDisk.keys).sorted() {
            XCTFail("\(k) is built in but no longer on disk: run scripts/gen-assets")
        }
        XCTAssertEqual(Set(BuiltinAssets.files(.themes).map(\.name)), ["dark", "light", "high-contrast"])
    }

    func testLaterFoldersOverrideEarlierByNameAndSayWhatTheyReplaced() throws {
        write("config/rules/copied_five_star_reviews.sql", "-- user\n")
        write("config/rules/mine.sql", "-- mine user\n")
        write("project/queries/rules/mine.sql", "-- mine project\n")
        write("project/queries/rules/notes.txt", "not a rule")
        let c = AssetCatalog.standard(configDir: dir + "/config", workingDirectory: dir + "/project")
        let rules = c.resolve(.rules)
        XCTAssertEqual(rules.problems, [])
        let builtInCount = BuiltinAssets.files(.rules).count
        XCTAssertEqual(rules.assets.count, builtInCount + 1)
        let copied = try XCTUnwrap(rules["copied_five_star_reviews"])
        XCTAssertEqual(copied.origin, .user)
        XCTAssertEqual(copied.text, "-- user\n")
        XCTAssertEqual(copied.overrides, ["built-in:rules/copied_five_star_reviews.sql"])
        let mine = try XCTUnwrap(rules["mine"])
        XCTAssertEqual(mine.origin, .project)
        XCTAssertEqual(mine.text, "-- mine project\n")
        XCTAssertEqual(mine.overrides, [dir + "/config/rules/mine.sql"])
        // Other kinds are untouched: all built in.
        XCTAssertEqual(c.resolve(.themes).assets.map(\.origin), Array(repeating: .builtIn, count: 3))
        XCTAssertEqual(c.writableFolder(.rules), dir + "/project/queries/rules")
        XCTAssertEqual(c.writableFolder(.dashboards), dir + "/config/dashboards", "no ./queries/dashboards: the user's folder")
    }

    func testAMissingExplicitFolderIsAProblemAndMissingDefaultFoldersAreNot() {
        let c = AssetCatalog.standard(configDir: dir + "/nothing-here", workingDirectory: dir,
                                      explicit: [(.rules, dir + "/no-such-rules", "--rules")])
        XCTAssertEqual(c.missingFolders.map(\.path), [dir + "/no-such-rules"])
        let r = c.resolve(.rules)
        XCTAssertEqual(r.problems, [])
        XCTAssertEqual(r.missing.map(\.source), ["--rules"])
        XCTAssertEqual(r.assets.count, BuiltinAssets.files(.rules).count, "the built-in rules still run")
        XCTAssertEqual(c.resolve(.queries).problems, [])
    }

    func testUnreadableAndHugeFilesAreNamedAndLeftOut() throws {
        write("q/queries/bad.sql", "")
        FileManager.default.createFile(atPath: dir + "/q/queries/bad.sql", contents: Data([0x53, 0xff, 0xfe, 0x0a]))
        let huge = String(repeating: "-- padding line\n", count: AssetCatalog.maxFileBytes / 16 + 10)
        write("q/queries/huge.sql", huge)
        write("q/queries/fine.sql", "SELECT 1;\n")
        let r = AssetCatalog.standard(configDir: nil, workingDirectory: dir + "/q").resolve(.queries)
        XCTAssertNotNil(r["fine"])
        XCTAssertNil(r["bad"])
        XCTAssertNil(r["huge"])
        XCTAssertEqual(r.problems.count, 2, "\(r.problems)")
        XCTAssertTrue(r.problems.contains { $0.hasPrefix(dir + "/q/queries/bad.sql: cannot read (not UTF-8 text?)") }, "\(r.problems)")
        XCTAssertTrue(r.problems.contains { $0.hasPrefix(dir + "/q/queries/huge.sql: too large") }, "\(r.problems)")
    }
}
