import Foundation
import XCTest
@testable import RiskDetect
import RiskStore

/// `abroad_share` (PlaceFeatures.swift): the share of an account's events made from outside its
/// profile's country, failed log-ins left out; judged against the peers like every column.
final class PlaceFeaturesTests: XCTestCase {
    let day = Scenario.day, hour = Scenario.hour

    func testTheShareLeavesOutFailedLogInsAndIsMissingWithoutAPlace() throws {
        let s = Scenario(seed: 1)
        s.account("seller", kind: "seller")
        s.item("p", seller: "seller")
        s.account("home")
        s.account("nowhere")
        for k in 0..<6 { s.event("home", "view", at: Scenario.t0 + Int64(k) * hour, ["item_id": "p", "seller_id": "seller", "country": "TH"]) }
        for k in 0..<4 { s.event("home", "view", at: Scenario.t0 + day + Int64(k) * hour, ["item_id": "p", "seller_id": "seller", "country": "FR"]) }
        // Someone else trying the password from abroad is not the account acting there.
        for k in 0..<5 { s.event("home", "login", at: Scenario.t0 + 2 * day + Int64(k) * 60_000, ["status": "fail", "country": "RU", "ip": "203.0.113.\(k)"]) }
        // A declined payment is the account acting: it counts.
        s.account("declined")
        s.event("declined", "view", at: Scenario.t0, ["item_id": "p", "seller_id": "seller", "country": "TH"])
        s.event("declined", "payment", at: Scenario.t0 + hour, ["order_id": "o1", "payment_id": "card", "amount": 20, "status": "fail", "country": "NG"])
        for k in 0..<3 { s.event("nowhere", "view", at: Scenario.t0 + Int64(k) * hour, ["item_id": "p", "seller_id": "seller"]) }
        let (_, t) = try s.build()
        let x = PlaceFeatures.compute(t)
        XCTAssertEqual(x[Int(t.accounts.lookup("home")!)], 0.4, accuracy: 1e-6)
        XCTAssertEqual(x[Int(t.accounts.lookup("declined")!)], 0.5, accuracy: 1e-6)
        XCTAssertEqual(x[Int(t.accounts.lookup("nowhere")!)], -1, "no event carries a country: not judged")
        XCTAssertEqual(x[Int(t.accounts.lookup("seller")!)], -1, "no events at all: not judged")
    }

    /// The per-account features split the accounts among the cores; a small store on a machine
    /// with more cores than accounts gets empty chunks, not an invalid range (a trap).
    func testWorkerChunksCoverEveryAccountOnceWhateverTheWorkers() {
        for n in [0, 1, 3, 7, 100, 101] {
            for workers in [1, 2, 5, 8, 16] {
                var seen = [Int]()
                for wk in 0..<workers { seen += Array(workerChunk(wk, of: workers, count: n)) }
                XCTAssertEqual(seen, Array(0..<n), "n \(n), workers \(workers)")
            }
        }
    }

    /// Shoppers at home, travellers with a week away, and a few accounts that say they live in
    /// Thailand and do everything from elsewhere (a crowd worker, a proxy-fronted buyer): only
    /// the last stand out, and only with the column on.
    func testAccountsThatAlwaysActFromAbroadStandOutTravellersDoNot() throws {
        try forEachSeed { seed in
            var rng = SeededRandom(seed &+ 5500)
            let s = Scenario(seed: seed)
            s.account("shop", kind: "seller")
            for k in 0..<40 { s.item("p\(k)", seller: "shop") }
            func shopper(_ a: String, away: ClosedRange<Int>?, abroad: String?) {
                for d in 0..<28 where rng.chance(0.3) {
                    let country = abroad ?? (away?.contains(d) == true ? "JP" : "TH")
                    var at = Scenario.t0 + Int64(d) * day + Int64(rng.int(8...22)) * hour
                    for _ in 0..<rng.int(2...6) {
                        s.event(a, "view", at: at, ["item_id": "p\(rng.int(0...39))", "seller_id": "shop", "device_id": "\(a)-phone", "country": country])
                        at += Int64(1000 * (5 + rng.exponential(60)))
                    }
                    if rng.chance(0.3) {
                        s.event(a, "order", at: at, ["item_id": "p\(rng.int(0...39))", "seller_id": "shop", "device_id": "\(a)-phone", "country": country,
                                                     "order_id": "o-\(a)-\(d)", "amount": 20, "currency": "USD"])
                    }
                }
            }
            var people: [String] = [], travellers: [String] = [], abroad: [String] = []
            for k in 0..<360 { let a = s.account("b\(k)"); people.append(a); shopper(a, away: nil, abroad: nil) }
            for k in 0..<40 {
                let a = s.account("tr\(k)"); people.append(a); travellers.append(a)
                let start = rng.int(0...20)
                shopper(a, away: start...(start + 6), abroad: nil)
            }
            for k in 0..<4 { let a = s.account("ab\(k)"); abroad.append(a); shopper(a, away: nil, abroad: ["VN", "BD"][k % 2]) }
            let (_, t) = try s.build()
            let index: (String) -> Int = { Int(t.accounts.lookup($0)!) }
            let on = Anomaly.compute(t), off = Anomaly.compute(t, abroad: false)
            func above(_ x: Anomaly, _ a: String) -> Double {
                Double(people.filter { x.rank[index($0)] < x.rank[index(a)] }.count) / Double(people.count)
            }
            // Judged against its peers, the column cannot tell a worker from a traveller whose few
            // active days all fell abroad (then both are in the tail): half the workers, not each, clear it.
            let onShares = abroad.map { above(on, $0) }.sorted()
            XCTAssertGreaterThanOrEqual(onShares[onShares.count / 2], 0.95, abroad.map { on.explanation(index($0), t) ?? "no explanation" }.joined(separator: " | "))
            for a in abroad {
                XCTAssertGreaterThanOrEqual(above(on, a), above(off, a), "\(a): the column only adds")
                XCTAssertTrue((on.explanation(index(a), t) ?? "").contains("100% of its events with a place made outside its profile's country"),
                              on.explanation(index(a), t) ?? "no explanation")
            }
            let offShares = abroad.map { above(off, $0) }.sorted()
            XCTAssertLessThan(offShares[offShares.count / 2], 0.9, "without the column they are ordinary shoppers")
            XCTAssertFalse(off.names.contains("abroad_share"), "off: the column is not there at all")
            // A week away is a part of a traveller's activity: travellers stay in the crowd.
            let trRanks = travellers.map { on.rank[index($0)] }.sorted()
            XCTAssertLessThan(trRanks[trRanks.count / 2], 0.8, "travellers' median anomaly rank")
            let median = abroad.map { on.rank[index($0)] }.sorted()[abroad.count / 2]
            let travellersAbove = travellers.filter { on.rank[index($0)] > median }.count
            XCTAssertLessThanOrEqual(travellersAbove, travellers.count / 10, "travellers above the median worker")
        }
    }
}
