import Foundation
import RiskStore
import XCTest

/// One PII mask wherever a value shows, on both backends (docs/reliability.md): the server's
/// masking functions (schema v8) give exactly what `PII` gives, for hostile values and for
/// thousands of seeded random ones; the same files imported into a SQLite store and a team
/// store show the same masked accounts, the same `rejects` (an events row's digits kept, an
/// accounts row's contact details masked) for leads and analysts; and every reveal's audit
/// row names the account(s).
final class PIIParityTests: TeamStoreTestCase {
    /// Values chosen to break a mask: unicode (combining marks, emoji with modifiers, wide
    /// characters), separators, several `@` and dots, already-masked values, very long ones.
    static let hostile: [String] = [
        "", "@", "@@", "a@", "@b", "a@b", "a@b.c", "a@.com", "@.com", ".@.", "a.b@c", "x@y.z.w", "jöe.müller@exämple.de",
        "🙂@x.io", "👍🏽👍🏽@👍🏽.👍🏽", "e\u{301}@e\u{301}.com", "中文@例子.中国", "ÅB@ÇD.ÉF", "a@b.verylongtldxyz", "a@b.c0m", "a@b.",
        "***@***.com", "j***@g***.com", "*", "***", "****@", "a b@c d.e", "\"q\"@x.org", "<a@b.com>", "a@b@c.d", "+62 812-3456-789",
        "+628111222333", "12345", "123456", "1234567", "(021) 555-0199", "0812 345 6789", "+", "++1234567", "+1 (555) 010-9999",
        "\u{1B}[2J@x.com", "tab\there@x.com", "nbsp\u{A0}x@y.com", "id 42, ts 1700000000000, mail bo@x.co", "call 0812 345 6789 or joe@x.io",
        String(repeating: "a", count: 5000) + "@" + String(repeating: "b", count: 5000) + ".com",
        "x@" + String(repeating: "d.", count: 3000) + "com", String(repeating: "9", count: 10000), String(repeating: "+1 ", count: 2000),
        "u1,2026-01-01,buyer,ID,joko.santoso@gmail.com,+628111222333", "{\"email\":\"mia@x.io\",\"phone\":\"0812 345 6789\"}",
    ]

    /// Random strings from an alphabet that has every character the rule looks at.
    static func randomValues(_ n: Int, seed: UInt64) -> [String] {
        var state = seed
        func next() -> UInt64 {      // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let alphabet: [String] = ["a", "b", "Z", "0", "1", "7", "9", "@", "@", ".", ".", "+", "-", "(", ")", " ", ",", ";", ":", "\"", "'",
                                  "<", "[", "}", "\t", "\n", "*", "é", "e\u{301}", "中", "👍🏽", "\u{A0}", "\u{2003}", "\u{3000}", "_", "/", "c", "o", "m"]
        return (0..<n).map { _ in
            let len = Int(next() % 40)
            return (0..<len).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }.joined()
        }
    }

    func testTheServersMaskIsTheClientsForHostileAndRandomValues() throws {
        let pg = try PGConnection(url: ownerURL)
        let values = Self.hostile + Self.randomValues(1500, seed: 1313)
        for v in values {
            let row = try pg.rows("SELECT riskdesk_mask_email($1), riskdesk_mask_phone($1), riskdesk_mask_text($1)", [.text(v)])[0]
            XCTAssertEqual(row[0].string, PII.maskEmail(v), "email \(v.debugDescription.prefix(80))")
            XCTAssertEqual(row[1].string, PII.maskPhone(v), "phone \(v.debugDescription.prefix(80))")
            XCTAssertEqual(row[2].string, PII.maskText(v), "text \(v.debugDescription.prefix(80))")
            // A masked value masks to itself (a screen may be handed one), and is short.
            XCTAssertEqual(PII.maskEmail(PII.maskEmail(v)), PII.maskEmail(v), v.debugDescription)
            XCTAssertEqual(PII.maskPhone(PII.maskPhone(v)), PII.maskPhone(v), v.debugDescription)
            XCTAssertLessThanOrEqual(PII.maskEmail(v).unicodeScalars.count, 20, v.debugDescription)
            XCTAssertLessThanOrEqual(PII.maskPhone(v).unicodeScalars.count, 21, v.debugDescription)
            if v.unicodeScalars.count > 5 && !v.contains("*") { XCTAssertNotEqual(PII.maskPhone(v), v, v.debugDescription) }
        }
        // Bytes that are not UTF-8 decode as Swift decodes them (each ill-formed sequence: U+FFFD).
        let bytes: [[UInt8]] = [[0x61, 0xFF, 0x62], [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x91], [0xED, 0xA0, 0x80], [0xC0, 0xAF],
                                [0xF4, 0x90, 0x80, 0x80], [0xE0, 0x80, 0x80, 0x41], Array("ok é 👍".utf8), [0x80, 0x80, 0xC3, 0xA9]]
        for b in bytes {
            XCTAssertEqual(try pg.scalar("SELECT riskdesk_utf8($1::bytea)", [.text("\\x" + b.map { String(format: "%02x", $0) }.joined())]).string,
                           String(decoding: b, as: UTF8.self), "\(b)")
        }
    }

    /// Hostile accounts and events files, imported into both backends.
    func hostileFiles() throws -> String {
        let d = dir + "/hostile"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        let longMail = String(repeating: "l", count: 3000) + "@" + String(repeating: "m", count: 3000) + ".com"
        var accounts = Data("""
            account_id,created_at,kind,country,email,phone
            a1,2026-01-01T00:00:00Z,buyer,DE,jöe.müller@exämple.de,+491701234567
            a2,2026-01-01T00:00:00Z,buyer,DE,🙂@x.io,12
            a3,2026-01-01T00:00:00Z,buyer,DE,,
            a4,2026-01-01T00:00:00Z,buyer,DE,\(longMail),\(String(repeating: "7", count: 4000))
            a5,2026-01-01T00:00:00Z,buyer,DE,not-an-email,+1 (555) 010-9999
            a6,2026-01-01T00:00:00Z,buyer,DE,@.com,***
            a7,2026-01-01T00:00:00Z,buyer,DE,e\u{301}va@b\u{301}.fr,0812 345 6789
            bad1,not-a-time,buyer,DE,ann.lee@corp.example.com,(021) 555-0199

            """.utf8)
        accounts.append(contentsOf: Array("bad2,not-a-time,buyer,DE,x".utf8) + [0xFF, 0xFE] + Array("@y.com,+628111222333\n".utf8))
        try accounts.write(to: URL(fileURLWithPath: d + "/accounts.csv"))
        try """
            event_id,ts,account_id,type,text
            e1,2026-01-02T00:00:00Z,a1,review,call me 0812 345 6789 or joe@x.io
            e2,2026-01-02T01:00:00Z,a2,login,
            e3,not-a-time,a1,login,order 12345678901 placed by ann@x.io

            """.write(toFile: d + "/events.csv", atomically: true, encoding: .utf8)
        return d
    }

    func testBothBackendsShowTheSameMaskedAccountsAndRejects() throws {
        let files = try hostileFiles()
        XCTAssertEqual(try CLI.run(["import", "--store", store, files]).status, 0)
        let imp = try CLI.run(["import", "--store", ownerURL, files])
        XCTAssertEqual(imp.status, 0, imp.stderr)
        let analyst = try addRole("ana", .analyst)
        func out(_ args: [String], _ s: String) throws -> String {
            let r = try CLI.run(args + ["--store", s])
            XCTAssertEqual(r.status, 0, "\(args) \(s): \(r.stderr)")
            return r.stdout
        }
        // `rejects`: the accounts rows masked, the events row verbatim (its digits are no phone
        // the mask may take: only an accounts row's are), the same for the owner and an analyst.
        let rejects = ["rejects", "--format", "csv"]
        let local = try out(rejects, store)
        XCTAssertEqual(try out(rejects, ownerURL), local)
        XCTAssertEqual(try out(rejects, analyst), local)
        XCTAssertTrue(local.contains("order 12345678901 placed by ann@x.io"), local)
        for secret in ["ann.lee", "555-0199", "8111222", "x\u{FFFD}\u{FFFD}@y"] { XCTAssertFalse(local.contains(secret), "\(secret): \(local)") }
        XCTAssertTrue(local.contains("a***@c***.com"), local)
        // Free SQL: accounts (and accounts_iso) masked alike; a non-PII column shown as it is.
        for sql in ["SELECT account_id, email, phone FROM accounts ORDER BY account_id",
                    "SELECT account_id, email, phone FROM accounts_iso ORDER BY account_id",
                    "SELECT id, kind, raw FROM rejects ORDER BY id",
                    "SELECT event_id, text FROM events ORDER BY event_id"] {
            let q = ["query", sql, "--format", "csv"]
            let l = try out(q, store)
            XCTAssertEqual(try out(q, ownerURL), l, sql)
            XCTAssertEqual(try out(q, analyst), l, sql)
        }
        let accounts = try out(["query", "SELECT account_id, email, phone FROM accounts ORDER BY account_id", "--format", "csv"], store)
        // A masked phone that starts with + is written spreadsheet-safe (a leading apostrophe).
        XCTAssertTrue(accounts.contains("a1,j***@e***.de,'+49********67"), accounts)
        XCTAssertTrue(accounts.contains("a4,l***@m***.com,777****************77"), accounts)
        XCTAssertFalse(accounts.contains("müller") || accounts.contains("1701234") || accounts.contains("555"), accounts)
        XCTAssertTrue(try out(["query", "SELECT text FROM events WHERE event_id = 'e1'", "--format", "csv"], analyst).contains("0812 345 6789 or joe@x.io"))
        // The account view reads the same masked values on both (the typed query).
        let lite = try Store(path: store, readOnly: true).db, pg = try PGConnection(url: analyst)
        for a in ["a1", "a2", "a3", "a4", "a5", "a6", "a7"] {
            let l = try XCTUnwrap(try lite.accountProfile(a)), p = try XCTUnwrap(try pg.accountProfile(a))
            XCTAssertEqual(l.email, p.email, a)
            XCTAssertEqual(l.phone, p.phone, a)
        }
    }

    /// Every reveal is audited with who, what and whose: one account, or `*` for an output
    /// that covers every account — never NULL.
    func testEveryRevealAuditNamesTheAccounts() throws {
        let files = try hostileFiles()
        XCTAssertEqual(try CLI.run(["import", "--store", store, files]).status, 0)
        XCTAssertEqual(try CLI.run(["import", "--store", ownerURL, files]).status, 0)
        for s in [store, ownerURL!] {
            for args in [["export", "scores"], ["export", "labels"], ["rejects"]] {
                let r = try CLI.run(args + ["--store", s, "--reveal-pii", "chargeback dispute 17"])
                XCTAssertEqual(r.status, 0, "\(args) \(s): \(r.stderr)")
            }
        }
        // An analyst can't reveal rejected rows on a team store: refused before any audit row.
        let ana = try addRole("ana", .analyst)
        let refused = try CLI.run(["rejects", "--store", ana, "--reveal-pii", "curious"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("leads only"), refused.stderr)
        let q = dir + "/one.sql"
        try "SELECT account_id, email FROM accounts WHERE account_id = :account_id".write(toFile: q, atomically: true, encoding: .utf8)
        let one = try CLI.run(["query", "--file", q, "--param", "account_id=a1", "--store", store, "--reveal-pii", "customer call", "--format", "csv"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(one.stdout.contains("jöe.müller@exämple.de"), one.stdout)
        let lite = try Store(path: store, readOnly: true).db
        let pg = try PGConnection(url: ownerURL)
        for db in [lite as SQLDatabase, pg] {
            let rows = try db.rows("SELECT analyst, account_id, new_value, note FROM audit WHERE action = 'reveal_pii' ORDER BY id")
            XCTAssertEqual(rows.count, db.dialect == .sqlite ? 4 : 3)
            for r in rows {
                XCTAssertNotEqual(r[0].string ?? "", "", "\(r)")
                XCTAssertNotNil(r[2].string, "\(r)")
                XCTAssertNotNil(r[3].string, "\(r)")
                XCTAssertEqual(r[1].string, r[2].string?.hasPrefix("query") == true ? "a1" : "*", "\(r)")
            }
        }
    }
}
