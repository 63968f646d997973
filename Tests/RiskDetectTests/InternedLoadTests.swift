import Foundation
import XCTest
@testable import RiskDetect
@testable import RiskStore
import RiskMetrics

/// Schema v14: detection reads `events_i` and `idents` itself. The event table it builds is the
/// one the scan of the v13 `events` table built — same rows, same ids in every namespace, in the
/// same order — so every detector sees exactly what it saw before.
final class InternedLoadTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "riskdesk-interned-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func snapshot(_ t: EventTable) -> [String] {
        func names(_ i: Interner) -> String { (0..<i.count).map { i.string(Int32($0)) }.joined(separator: "|") }
        return [
            "\(t.count)", "\(t.rowid)", "\(t.ts)", "\(t.account)", "\(t.kind)", "\(t.device)", "\(t.ip)", "\(t.country)",
            "\(t.item)", "\(t.seller)", "\(t.target)", "\(t.quantity)", "\(t.coupon)", "\(t.payment)", "\(t.address)",
            "\(t.rating)", "\(t.failed)", "\(t.status)", "\(t.textRef)", "\(t.texts)", "\(t.itemSeller)", "\(t.firstSeen)",
            "\(t.byAccount)", "\(t.accStart)",
            names(t.accounts), names(t.devices), names(t.ips), names(t.countries), names(t.items), names(t.coupons),
            names(t.payments), names(t.addresses), names(t.statuses), "\(t.currency)", names(t.currencies), "\(t.orderKey)",
        ]
    }

    func testTheInternedScanBuildsTheSameTableAsTheV13Scan() throws {
        let path = dir + "/s.db"
        var rng = SplitMix(seed: 1714)
        var v13: [String] = []
        do {
            let old = try Store(path: path, migrateTo: 13)
            // Accounts and items first (their ids come first), then events whose identifiers
            // repeat, cross columns (an account as seller and target, one string as a device and
            // an IP), are absent or empty.
            try old.db.exec("INSERT INTO accounts(account_id, country) VALUES ('acc-3', 'TH'), ('acc-9', 'VN')")
            try old.db.exec("INSERT INTO items(item_id, seller_id) VALUES ('it-2', 'acc-5')")
            let ins = try old.db.prepare("""
                INSERT INTO events(id, event_id, ts, account_id, type, device_id, ip, country, item_id, seller_id, quantity, amount,
                                   coupon_id, payment_id, address_id, target_id, rating, status, text, currency, order_id)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)
                """)
            let types = ["view", "login", "order", "review", "message", "refund"]
            func pick(_ p: String, _ n: UInt64, absent: UInt64 = 4) -> SQLValue {
                let r = rng.next()
                if r % absent == 0 { return .null }
                if r % 31 == 1 { return .text("") }
                if r % 17 == 2 { return .text("shared-x") }
                return .text("\(p)\(rng.next() % n)")
            }
            for i in 1...3000 {
                try ins.bind([.int(Int64(i)), .text("e\(i)"), .int(Int64(1_790_000_000_000 + Int(rng.next() % 5_000_000))),
                              .text("acc-\(rng.next() % 50)"), .text(types[Int(rng.next() % 6)]),
                              pick("dev-", 80), pick("10.1.1.", 60), rng.next() % 3 == 0 ? .null : .text(["TH", "VN", "ID"][Int(rng.next() % 3)]),
                              pick("it-", 20), pick("acc-", 60), .int(Int64(rng.next() % 3)), .double(Double(rng.next() % 1000) / 10),
                              pick("c-", 5, absent: 2), pick("p-", 40), pick("ad-", 40), pick("acc-", 70, absent: 2),
                              rng.next() % 4 == 0 ? .int(Int64(1 + rng.next() % 5)) : .null,
                              .text(rng.next() % 5 == 0 ? "fail" : "ok"), .text("text \(i % 7)"),
                              rng.next() % 4 == 0 ? .null : .text(["USD", "JPY", "VND"][Int(rng.next() % 3)]),
                              pick("o-", 400)])
                try ins.execute()
            }
            v13 = snapshot(try EventTable.load(from: old.db))
        }
        let s = try Store(path: path)
        XCTAssertEqual(s.schemaVersion, Schema.latestVersion)
        let v14 = snapshot(try EventTable.load(from: s.db))
        XCTAssertEqual(v14.count, v13.count)
        for (i, (a, b)) in zip(v13, v14).enumerated() { XCTAssertEqual(a, b, "field \(i)") }
        XCTAssertTrue(v13[25].contains("shared-x") && v13[26].contains("shared-x"), "a string in two namespaces")
        // The events' currency codes are read by both scans (255: absent), for takeovers' amounts.
        XCTAssertTrue(v14[v14.count - 3].contains("255"), "absent codes")
        XCTAssertEqual(Set(v14[v14.count - 2].split(separator: "|").map(String.init)), ["USD", "JPY", "VND"])
        // Orders' and refunds' order ids are read as keys by both scans (0: absent or another type).
        let t = try EventTable.load(from: s.db)
        XCTAssertEqual(t.orderKey.count, t.count)
        XCTAssertTrue(t.orderKey.indices.allSatisfy { t.orderKey[$0] == 0 || t.kind[$0] == .order || t.kind[$0] == .refund })
        XCTAssertTrue(t.orderKey.indices.contains { t.orderKey[$0] != 0 && t.kind[$0] == .refund })
    }
}
