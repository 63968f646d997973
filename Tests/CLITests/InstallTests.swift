import Foundation
import XCTest

/// `scripts/install` into a temporary prefix, then the installed binary run from an empty
/// folder with an empty HOME: everything it needs (themes, rules, saved queries,
/// dashboards) is built in, and user / project files override them by name.
final class InstallTests: CLITestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    var home: String { dir + "/home" }
    var work: String { dir + "/work" }
    var installed: String { InstallTests.prefix + "/bin/riskdesk" }

    /// One install per test run, into a temporary prefix.
    static let prefix = NSTemporaryDirectory() + "riskdesk-install-\(getpid())"
    static var installOutput: Spawn.Output?

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: prefix)
        super.tearDown()
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        for d in [home, work] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        if InstallTests.installOutput == nil {
            // The debug build the suite already made (the script's default is a release build).
            InstallTests.installOutput = try Spawn.run([InstallTests.repo + "/scripts/install", "--debug", InstallTests.prefix], timeout: 1200)
        }
        let r = InstallTests.installOutput!
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("installed \(installed) (debug)"), r.stdout)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: installed))
    }

    /// The environment of a new user: HOME empty, no RISKDESK_* settings.
    func userEnv(_ extra: [String: String] = [:]) -> [String: String] {
        var e = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RISKDESK_") && $0.key != "XDG_CONFIG_HOME" }
        e["HOME"] = home
        for (k, v) in extra { e[k] = v }
        return e
    }

    @discardableResult
    func riskdesk(_ args: [String], env: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> Spawn.Output {
        try Spawn.run([installed] + args, env: userEnv(env), cwd: work, timeout: 300, file: file, line: line)
    }

    /// The shipped files on disk, by kind: what the binary must carry.
    func shipped(_ folder: String, _ ext: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: InstallTests.repo + "/" + folder)
            .filter { $0.hasSuffix("." + ext) }.map { String($0.dropLast(ext.count + 1)) }.sorted()
    }

    func demo() throws {
        let r = try riskdesk(["demo", "--accounts", "500", "--days", "6", "--seed", "3", "--no-open"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/riskdesk-demo.db"))
    }

    func detectJSON(_ args: [String] = [], env: [String: String] = [:]) throws -> (json: [String: Any], stderr: String) {
        let r = try riskdesk(["detect", "--store", "riskdesk-demo.db", "--json"] + args, env: env)
        XCTAssertEqual(r.status, 0, r.stderr)
        return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any], r.stderr)
    }

    func testTheInstalledBinaryWorksFromAnEmptyFolder() throws {
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: home), [])
        try demo()

        // detect runs every shipped rule, built in, and says so.
        let ruleIDs = try shipped("queries/rules", "sql")
        XCTAssertGreaterThanOrEqual(ruleIDs.count, 5)
        let (d, stderr) = try detectJSON()
        XCTAssertFalse(stderr.contains("WARNING"), stderr)
        let rules = d["rules"] as! [[String: Any]]
        XCTAssertEqual(rules.map { $0["id"] as! String }.sorted(), ruleIDs)
        XCTAssertEqual(Set(rules.map { $0["origin"] as! String }), ["built-in"])
        let ran = (d["detectors"] as! [[String: Any]]).filter { ($0["name"] as! String).hasPrefix("rule:") }
        XCTAssertEqual(ran.map { String(($0["name"] as! String).dropFirst(5)) }.sorted(), ruleIDs)
        for r in ran { XCTAssertNil(r["error"], "\(r)") }
        XCTAssertGreaterThan(ran.map { $0["findings"] as! Int }.reduce(0, +), 0, "the shipped rules flag something on a demo store")
        let text = try riskdesk(["detect", "--store", "riskdesk-demo.db"])
        XCTAssertTrue(text.stdout.contains("rules: \(ruleIDs.count) of \(ruleIDs.count) ran (\(ruleIDs.count) built-in)"), text.stdout)
        // Each detector, rule and layer by its whole name (they were cut at 44 characters).
        XCTAssertTrue(text.stdout.contains("  layer: propagation (shared identifiers, groups) "), text.stdout)

        // doctor / info say where everything comes from.
        let doc = try riskdesk(["doctor"])
        XCTAssertEqual(doc.status, 0, doc.stderr)
        for (kind, names) in [("themes", try shipped("themes", "toml")), ("rules", ruleIDs), ("queries", try shipped("queries", "sql")),
                              ("dashboards", try shipped("queries/dashboards", "sql"))] {
            XCTAssertTrue(doc.stdout.contains("\(kind): \(names.count) (\(names.count) built-in)"), doc.stdout)
        }
        XCTAssertTrue(doc.stdout.contains(home + "/.config/riskdesk/rules  (not there)"), doc.stdout)
        XCTAssertTrue(try riskdesk(["info", "--store", "riskdesk-demo.db"]).stdout.contains("rules: \(ruleIDs.count) (\(ruleIDs.count) built-in)"))

        // A shipped dashboard prints, with its panels' titles.
        let dashboard = try XCTUnwrap(try shipped("queries/dashboards", "sql").first)
        let dashText = try String(contentsOfFile: InstallTests.repo + "/queries/dashboards/\(dashboard).sql", encoding: .utf8)
        let title = try XCTUnwrap(dashText.split(separator: "\n").first { $0.hasPrefix("-- panel:") }).dropFirst(9).trimmingCharacters(in: .whitespaces)
        let dash = try riskdesk(["dash", "--store", "riskdesk-demo.db", "--print", "--name", dashboard, "--width", "100"])
        XCTAssertEqual(dash.status, 0, dash.stderr)
        XCTAssertTrue(dash.stdout.contains(title), dash.stdout)
        XCTAssertEqual(try riskdesk(["dash", "--list"]).stdout, (["overview", dashboard]).joined(separator: "\n") + "\n")

        // A saved query by name, built in.
        let q = try riskdesk(["query", "--store", "riskdesk-demo.db", "--file", "coupon_redemptions_per_device", "--param", "min_accounts=1", "--format", "csv"])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssertTrue(q.stdout.hasPrefix("device_id,accounts,redemptions"), q.stdout)

        // The workbench starts in a terminal with the built-in theme, dashboards and saved queries.
        guard Tmux.available else { throw XCTSkip("tmux is not installed (scripts/setup installs it)") }
        let t = Tmux("cd '\(work)' && '\(installed)' tui --store riskdesk-demo.db", env: ["HOME": home])
        defer { t.kill() }
        t.wait(for: "score ▼")
        t.command("theme light")
        t.wait(for: "theme light")
        t.command("dash \(dashboard)")
        t.wait(for: title)
        let saved = try XCTUnwrap(try shipped("queries", "sql").first)
        t.command("sql \(saved)")
        t.wait(for: "\(saved):")
    }

    func testUserAndProjectFilesOverrideTheBuiltInOnesByName() throws {
        try demo()
        let cfg = home + "/.config/riskdesk"
        for d in ["rules", "themes"] { try FileManager.default.createDirectory(atPath: cfg + "/" + d, withIntermediateDirectories: true) }
        try FileManager.default.createDirectory(atPath: work + "/queries/rules", withIntermediateDirectories: true)
        // The user's rule has a built-in rule's name: it wins.
        try """
            -- id: shared_device_coupon_reuse
            -- risk_type: deal_hunter
            -- severity: high
            -- description: the user's own coupon rule
            SELECT DISTINCT account_id FROM events ORDER BY account_id LIMIT 3
            """.write(toFile: cfg + "/rules/shared_device_coupon_reuse.sql", atomically: true, encoding: .utf8)
        // A project rule adds to them.
        try """
            -- id: project_rule
            -- risk_type: spam
            -- severity: low
            -- description: the project's rule
            SELECT DISTINCT account_id FROM events ORDER BY account_id DESC LIMIT 2
            """.write(toFile: work + "/queries/rules/project_rule.sql", atomically: true, encoding: .utf8)
        let builtIn = try shipped("queries/rules", "sql")
        let (d, _) = try detectJSON()
        let rules = Dictionary(uniqueKeysWithValues: (d["rules"] as! [[String: Any]]).map { ($0["id"] as! String, $0) })
        XCTAssertEqual(Set(rules.keys), Set(builtIn + ["project_rule"]))
        XCTAssertEqual(rules["shared_device_coupon_reuse"]?["origin"] as? String, "user config")
        XCTAssertEqual(rules["shared_device_coupon_reuse"]?["file"] as? String, cfg + "/rules/shared_device_coupon_reuse.sql")
        XCTAssertEqual(rules["shared_device_coupon_reuse"]?["overrides"] as? [String], ["built-in:rules/shared_device_coupon_reuse.sql"])
        XCTAssertEqual(rules["project_rule"]?["origin"] as? String, "project")
        XCTAssertEqual(rules["copied_five_star_reviews"]?["origin"] as? String, "built-in")
        let ran = Dictionary(uniqueKeysWithValues: (d["detectors"] as! [[String: Any]]).map { ($0["name"] as! String, $0) })
        XCTAssertEqual(ran["rule:shared_device_coupon_reuse"]?["accounts"] as? Int, 3, "the user's query ran, not the built-in one")
        XCTAssertEqual(ran["rule:project_rule"]?["accounts"] as? Int, 2)
        let list = try riskdesk(["rules", "list"])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("\(builtIn.count + 1) rule(s): \(builtIn.count - 1) built-in, 1 user config, 1 project"), list.stdout)
        XCTAssertTrue(list.stdout.contains("the user's own coupon rule"), list.stdout)
        XCTAssertTrue(list.stdout.contains("overriding built-in:rules/shared_device_coupon_reuse.sql"), list.stdout)

        // A user theme by name; a user theme that is broken names its file and line.
        let light = try String(contentsOfFile: InstallTests.repo + "/themes/light.toml", encoding: .utf8)
        try light.replacingOccurrences(of: "name = \"light\"", with: "name = \"mine\"").write(toFile: cfg + "/themes/mine.toml", atomically: true, encoding: .utf8)
        try "name = \"broken\"\n[styles]\nbase = \"bolt\"\n".write(toFile: cfg + "/themes/broken.toml", atomically: true, encoding: .utf8)
        let doc = try riskdesk(["doctor"])
        XCTAssertTrue(doc.stdout.contains("themes: 5 (3 built-in, 2 user config)"), doc.stdout)
        // doctor reads what it lists: the broken theme is named, and the exit says so.
        XCTAssertEqual(doc.status, 1)
        XCTAssertTrue(doc.stdout.contains("BROKEN: " + cfg + "/themes/broken.toml:3: styles.base: unknown style word 'bolt'"), doc.stdout)
        let broken = try riskdesk(["tui", "--store", "riskdesk-demo.db", "--theme", "broken"])
        XCTAssertEqual(broken.status, 1)
        XCTAssertTrue(broken.stderr.contains(cfg + "/themes/broken.toml:3: styles.base: unknown style word 'bolt'"), broken.stderr)

        guard Tmux.available else { throw XCTSkip("tmux is not installed (scripts/setup installs it)") }
        // A theme that isn't there: the built-in default, with a warning, never an exit.
        let t = Tmux("cd '\(work)' && '\(installed)' tui --store riskdesk-demo.db --theme nosuch", env: ["HOME": home])
        defer { t.kill() }
        t.wait(for: "no theme 'nosuch'")
        t.wait(for: "score ▼")
        t.command("theme mine")
        t.wait(for: "theme mine")
    }

    func testMissingConfiguredFoldersAreWarnedAboutLoudly() throws {
        try demo()
        let (d, stderr) = try detectJSON(["--rules", dir + "/no-such-rules"])
        XCTAssertTrue(stderr.contains("WARNING: --rules names \(dir!)/no-such-rules, which is not a folder"), stderr)
        XCTAssertEqual(d["missing_folders"] as? [String], [dir + "/no-such-rules"])
        let builtIn = try shipped("queries/rules", "sql")
        XCTAssertEqual((d["rules"] as! [[String: Any]]).count, builtIn.count, "the built-in rules still ran")
        let (_, env) = try detectJSON(env: ["RISKDESK_RULES": dir + "/gone"])
        XCTAssertTrue(env.contains("WARNING: $RISKDESK_RULES names \(dir!)/gone, which is not a folder"), env)
        let list = try riskdesk(["rules", "list", "--rules", dir + "/no-such-rules"])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stderr.contains("WARNING: --rules names"), list.stderr)
        let doc = try riskdesk(["doctor"], env: ["RISKDESK_DASHBOARDS": dir + "/nodash"])
        XCTAssertTrue(doc.stdout.contains(dir + "/nodash  MISSING  ← $RISKDESK_DASHBOARDS"), doc.stdout)
        XCTAssertTrue(doc.stderr.contains("WARNING: $RISKDESK_DASHBOARDS names"), doc.stderr)
        // Folders that are merely absent by default (no ~/.config/riskdesk) are no warning.
        XCTAssertEqual(try riskdesk(["rules", "list"]).stderr, "")
    }

    /// Broken or hostile settings files: one line naming the file and line, exit 1, no crash,
    /// before the terminal is touched.
    func testHostileSettingsFilesNameTheFileAndLine() throws {
        let cases: [(String, String, String)] = [
            ("unknown.toml", "theme = \"dark\"\n\ncolour = \"red\"\n[sla]\nato = 4\n", "unknown.toml:3: unknown setting 'colour'"),
            ("sla.toml", "theme = \"dark\"\n[sla]\nato = 4\n\ncolour = \"red\"\n", "sla.toml:5: sla.colour must be a number of hours"),
            ("type.toml", "# settings\nmouse = \"yes\"\n", "type.toml:2: mouse must be true or false, not a string"),
            ("syntax.toml", "theme = \"dark\"\n[sla\nato = 4\n", "syntax.toml:2: "),
            ("dup.toml", "[sla]\nato = 4\nato = 5\n", "dup.toml:3: "),
            ("deep.toml", "a = " + String(repeating: "[", count: 50_000) + "\n", "deep.toml:1: "),
            ("huge.toml", String(repeating: "# padding padding padding padding padding\n", count: 40_000), "huge.toml: too large"),
        ]
        for (name, text, expected) in cases {
            let path = write(name, text)
            let r = try riskdesk(["tui", "--store", "none.db", "--config", path])
            XCTAssertEqual(r.status, 1, name)
            XCTAssertTrue(r.stderr.hasPrefix("riskdesk: \(dir!)/\(expected)"), "\(name): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
    }
}
