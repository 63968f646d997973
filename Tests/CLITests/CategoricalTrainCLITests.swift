import Foundation
import RiskStore
import XCTest

/// `riskdesk train` on a mapped export learns from the text columns the mapping kept as extra
/// JSON (shares of their frequent values per account), through the real binary.
final class CLICategoricalTrainTests: CLITestCase {
    /// SplitMix64, seeded: the fixture is the same on every run.
    struct Seeded { var s: UInt64
        mutating func next() -> UInt64 { s &+= 0x9E37_79B9_7F4A_7C15; var z = s; z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9; z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB; return z ^ (z >> 31) }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func pick<T>(_ a: [T]) -> T { a[Int(next() % UInt64(a.count))] }
    }

    /// 160 accounts, 6 payments each; a quarter are fraud. Amounts and times are drawn alike for
    /// both classes: the only signal is in the text columns `product` and `mail`.
    func export() -> String {
        var rng = Seeded(s: 20261129)
        var rows: [(Int, String)] = []
        for a in 0..<160 {
            let fraud = a % 4 == 0
            for e in 0..<6 {
                let product = fraud ? (rng.unit() < 0.7 ? "C" : "W") : (rng.unit() < 0.85 ? "W" : rng.pick(["C", "H"]))
                let mail = fraud ? (rng.unit() < 0.6 ? "anon.net" : rng.pick(["gmail.com", "yahoo.com"])) : rng.pick(["gmail.com", "yahoo.com", "hotmail.com", ""])
                let t = 1_700_000_000 + Int(rng.unit() * 30 * 86_400)
                rows.append((t, "\(a * 10 + e),\(t),acct\(a),\(String(format: "%.2f", 10 + rng.unit() * 190)),\(product),\(mail),\(fraud ? 1 : 0)"))
            }
        }
        return "id,t,acct,amt,product,mail,bad\n" + rows.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: "\n") + "\n"
    }

    func mapping(drop: [String]) -> String {
        """
        [fields]
        event_id = "id"
        ts = { column = "t", format = "epoch", unit = "s" }
        account_id = "acct"
        amount = "amt"
        [constants]
        type = "payment"
        status = "ok"
        [label]
        column = "bad"
        fraud = "1"
        legit = "0"
        as = "labels"
        [extra]
        drop = [\(drop.map { "\"\($0)\"" }.joined(separator: ", "))]
        """
    }

    /// Trains on a fresh store imported with `drop`; returns the chosen candidate's CV AUC and the model's features.
    func train(drop: [String], name: String) throws -> (auc: Double, features: [String]) {
        let csv = write("\(name).csv", export())
        let map = write("\(name).toml", mapping(drop: drop))
        let s = dir + "/\(name).db"
        let i = try CLI.run(["import", "--store", s, "--map", map, csv])
        XCTAssertEqual(i.status, 0, i.stderr)
        XCTAssertTrue(i.stderr.contains("labelled 160 accounts"), i.stderr)
        let t = try CLI.run(["train", "--store", s, "--json", "--no-rules"])
        XCTAssertEqual(t.status, 0, t.stderr)
        let o = try jsonObject(t.stdout)
        let kind = try XCTUnwrap(o["kind"] as? String, t.stdout)
        let cv = try XCTUnwrap(o["cv"] as? [String: [String: Any]], t.stdout)
        let auc = try XCTUnwrap(cv[kind]?["auc"] as? Double, t.stdout)
        let id = try XCTUnwrap(o["model_id"] as? Int, t.stdout)
        let feats = try XCTUnwrap(try Store(path: s, readOnly: true).db.rows("SELECT features FROM models WHERE id = \(id)").first?[0].string)
        return (auc, try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(feats.utf8)) as? [String]))
    }

    func testTrainLearnsFromTheTextColumnsAMappingKeeps() throws {
        let with = try train(drop: [], name: "with")
        XCTAssertTrue(with.features.contains("extra_share:product=C"), "\(with.features.filter { $0.hasPrefix("extra_") })")
        XCTAssertTrue(with.features.contains("extra_share:mail=anon.net"), "\(with.features.filter { $0.hasPrefix("extra_") })")
        XCTAssertTrue(with.features.contains("extra_missing:mail") && with.features.contains("extra_distinct:mail"))
        let without = try train(drop: ["product", "mail"], name: "without")
        XCTAssertFalse(without.features.contains { $0.hasPrefix("extra_share:") })
        // The text columns carry the signal: with them the ranking is good, without them near chance.
        XCTAssertGreaterThan(with.auc, 0.85)
        XCTAssertLessThan(without.auc, 0.75)
        XCTAssertGreaterThan(with.auc - without.auc, 0.15)
    }
}
