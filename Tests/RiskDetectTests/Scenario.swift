import Foundation
import XCTest
@testable import RiskDetect
import RiskImport
import RiskMetrics
import RiskStore

/// Seeds for tests that draw random numbers. Every draw comes from a `SplitMix` seeded with
/// one of these, so a failure replays: `RISKDESK_TEST_SEED=N` runs only seed N (tests may read
/// the environment; libraries don't). CI runs the detector scenarios under every default seed.
enum TestSeed {
    static let defaults: [UInt64] = [1, 2, 3]
    static var seeds: [UInt64] {
        guard let v = ProcessInfo.processInfo.environment["RISKDESK_TEST_SEED"], !v.isEmpty else { return defaults }
        let parsed = v.split(separator: ",").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        precondition(!parsed.isEmpty, "RISKDESK_TEST_SEED must be a number or a comma-separated list of numbers, got '\(v)'")
        return parsed
    }
    /// The seed of tests that run once.
    static var first: UInt64 { seeds[0] }
}

extension XCTestCase {
    /// Runs `body` once per seed; a seed whose run failed is named with the line that replays it.
    /// `also`: seeds known to draw an edge case of the scenario (found by running it on seeds
    /// 1–20), run every time besides `TestSeed.seeds`, so the rule that handles it stays tested.
    func forEachSeed(also pinned: [UInt64] = [], file: StaticString = #filePath, line: UInt = #line, _ body: (UInt64) throws -> Void) throws {
        var seeds = TestSeed.seeds
        for s in pinned where !seeds.contains(s) { seeds.append(s) }
        for seed in seeds {
            let before = testRun?.totalFailureCount ?? 0
            do { try body(seed) } catch {
                XCTFail("seed \(seed) threw \(error); replay: RISKDESK_TEST_SEED=\(seed) swift test --filter \(name)", file: file, line: line)
                continue
            }
            if (testRun?.totalFailureCount ?? 0) > before {
                XCTFail("the failures above are for seed \(seed); replay: RISKDESK_TEST_SEED=\(seed) swift test --filter \(name)", file: file, line: line)
            }
        }
    }
}

/// One scenario row as a line of JSON, keys sorted. Foundation's JSONSerialization did the same
/// and was over half of a big scenario test's time (bridging every row to NSDictionary and
/// sorting through AnyHashable); the rows hold only strings, integers, doubles, booleans, null,
/// and arrays / objects of them, and anything else is an error naming the key.
enum JSONLine {
    struct Unwritable: Error, CustomStringConvertible {
        let path: String, type: String
        var description: String { "scenario row: \(path) holds a \(type), which JSON can't carry" }
    }

    static func append(_ value: Any, to out: inout String, path: String = "") throws {
        switch value {
        case let v as String: appendString(v, to: &out)
        case let v as Bool: out += v ? "true" : "false"
        case let v as Int: out += String(v)
        case let v as Int64: out += String(v)
        case let v as Int32: out += String(v)
        case let v as UInt64: out += String(v)
        case let v as UInt32: out += String(v)
        case let v as Double:
            guard v.isFinite else { throw Unwritable(path: path, type: "non-finite number \(v)") }
            // Whole numbers as integers, as JSONSerialization wrote them; others in Swift's shortest form.
            if v == v.rounded(), abs(v) < 1e15 { out += String(Int64(v)) } else { out += "\(v)" }
        case let v as Float: try append(Double(v), to: &out, path: path)
        case let v as [String: Any]:
            out += "{"
            for (i, k) in v.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                appendString(k, to: &out)
                out += ":"
                try append(v[k]!, to: &out, path: path.isEmpty ? k : path + "." + k)
            }
            out += "}"
        case let v as [Any]:
            out += "["
            for (i, x) in v.enumerated() {
                if i > 0 { out += "," }
                try append(x, to: &out, path: "\(path)[\(i)]")
            }
            out += "]"
        // Last: a cast to a class would first bridge a Swift dictionary to NSDictionary.
        case is NSNull: out += "null"
        default: throw Unwritable(path: path, type: "\(type(of: value))")
        }
    }

    /// Plain strings as they are (almost every scenario string); others through the store's
    /// JSON string writer.
    static func appendString(_ s: String, to out: inout String) {
        if s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) { out += ResultWriter.jsonString(s); return }
        out += "\""; out += s; out += "\""
    }
}

/// Builds a small marketplace by hand — accounts, items, events — writes it as contract
/// JSONL files, imports it into a real store with the real importer, and loads the event
/// table the detectors read. Each test states the behaviour it plants; nothing comes from
/// the simulator.
final class Scenario {
    static let t0: Int64 = 1_790_812_800_000          // 2026-10-01T00:00:00Z
    static let minute: Int64 = 60_000, hour: Int64 = 3_600_000, day: Int64 = 86_400_000

    var accounts: [[String: Any]] = []
    var items: [[String: Any]] = []
    var events: [[String: Any]] = []
    private var next = 0
    /// Every random draw of a scenario (browsing, delivery order, the test's own jitter).
    var rng: SplitMix
    let seed: UInt64
    let dir: String

    init(seed: UInt64 = TestSeed.first) {
        self.seed = seed
        rng = SplitMix(seed: seed)
        dir = NSTemporaryDirectory() + "riskdesk-detect-\(UUID().uuidString)"
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            preconditionFailure("cannot create \(dir): \(error)")
        }
    }

    /// A seeded draw, for the tests' own jitter.
    func int(in r: ClosedRange<Int64>) -> Int64 { Int64.random(in: r, using: &rng) }
    func double(in r: ClosedRange<Double>) -> Double { Double.random(in: r, using: &rng) }
    deinit { try? FileManager.default.removeItem(atPath: dir) }

    @discardableResult
    func account(_ id: String, created: Int64 = Scenario.t0 - 400 * Scenario.day, kind: String = "buyer",
                 country: String = "TH", email: String? = nil) -> String {
        accounts.append(["account_id": id, "created_at": created, "kind": kind, "country": country,
                         "email": email ?? "\(id)@mail.example", "phone": "+66000\(id.count)"])
        return id
    }

    @discardableResult
    func item(_ id: String, seller: String, price: Double = 20, limited: Bool = false, dropAt: Int64? = nil) -> String {
        var it: [String: Any] = ["item_id": id, "seller_id": seller, "title": "thing \(id)", "category": "misc",
                                 "price": price, "currency": "USD", "limited": limited]
        if let dropAt { it["drop_at"] = dropAt }
        items.append(it)
        return id
    }

    /// A drop store: sellers "brand" and "shop", the shop's "everyday" item (25), and `count` limited
    /// drops of the brand ("drop0", … at 180), a week apart from day `firstDay`, each released at 19:00.
    func dropStore(_ count: Int, firstDay: Int) -> [(String, Int64)] {
        account("brand", kind: "seller")
        account("shop", kind: "seller")
        item("everyday", seller: "shop", price: 25)
        return (0..<count).map { k -> (String, Int64) in
            let at = Scenario.t0 + Int64(firstDay + 7 * k) * Scenario.day + 19 * Scenario.hour
            return (item("drop\(k)", seller: "brand", price: 180, limited: true, dropAt: at), at)
        }
    }

    @discardableResult
    func event(_ account: String, _ type: String, at ts: Int64, _ fields: [String: Any] = [:]) -> String {
        next += 1
        var e: [String: Any] = ["event_id": "e\(next)", "ts": ts, "account_id": account, "type": type]
        for (k, v) in fields { e[k] = v }
        events.append(e)
        return "e\(next)"
    }

    /// An order with its payment.
    /// Returns the order's id.
    @discardableResult
    func order(_ account: String, item: String, seller: String, at ts: Int64, device: String, address: String = "home",
               payment: String = "card", amount: Double = 20, quantity: Int = 1, coupon: String? = nil, ip: String = "10.0.0.1",
               currency: String = "USD", country: String? = nil) -> String {
        let oid = "o\(next + 1)"
        var f: [String: Any] = ["order_id": oid, "item_id": item, "seller_id": seller, "quantity": quantity, "amount": amount,
                                "currency": currency, "address_id": address, "device_id": device, "ip": ip]
        if let coupon { f["coupon_id"] = coupon }
        if let country { f["country"] = country }
        event(account, "order", at: ts, f)
        if let coupon { event(account, "coupon_redeem", at: ts + 500, ["coupon_id": coupon, "order_id": oid, "amount": 5, "device_id": device]) }
        event(account, "payment", at: ts + 3000, ["order_id": oid, "payment_id": payment, "amount": amount, "status": "ok", "device_id": device])
        return oid
    }

    /// Ordinary browsing: a few views at human, irregular pace.
    func browse(_ account: String, day: Int, device: String, items pool: [String], seller: String = "s0", ip: String = "10.0.0.1") {
        var t = Scenario.t0 + Int64(day) * Scenario.day + Int64.random(in: 8...22, using: &rng) * Scenario.hour
        for _ in 0..<Int.random(in: 2...6, using: &rng) {
            event(account, "view", at: t, ["item_id": pool[Int.random(in: pool.indices, using: &rng)], "seller_id": seller, "device_id": device, "ip": ip])
            t += Int64.random(in: 5_000...400_000, using: &rng)
        }
    }

    /// Writes the files, imports them into a fresh store, returns it with the loaded table.
    func build() throws -> (Store, EventTable) {
        func write(_ name: String, _ rows: [[String: Any]]) throws -> String {
            let p = dir + "/" + name
            var text = ""
            for r in rows {
                try JSONLine.append(r, to: &text)
                text += "\n"
            }
            try Data(text.utf8).write(to: URL(fileURLWithPath: p))
            return p
        }
        // Delivered out of order, as the contract allows.
        let shuffled = events.shuffled(using: &rng)
        let paths = [try write("accounts.jsonl", accounts), try write("items.jsonl", items), try write("events.jsonl", shuffled)]
        let storePath = dir + "/store.db"
        let store = try Store(path: storePath)
        let options = ImportOptions()
        _ = try Importer(store: store, options: options).run(try ImportPlan(paths: paths, options: options))
        return (store, try EventTable.load(from: store.db))
    }

    func run(_ d: Detector) throws -> (findings: [Finding], table: EventTable) {
        let (_, t) = try build()
        return (try d.run(t, cancel: CancelToken()), t)
    }
}

/// `detect` on a built store with some detectors (or layers) switched off, as the leave-one-
/// detector-out tests run it: each account's stored score and its reasons.
func detectScores(_ store: Store, disabling off: [String], offSigns: [String] = []) throws -> (score: [String: Double], why: [String: String]) {
    let engine = DetectionEngine(rulesDirectory: nil)
    try engine.disable(off)
    try engine.disableSigns(offSigns)
    _ = try engine.run(store: store)
    var m: [String: Double] = [:], why: [String: String] = [:]
    for r in try store.storedScores() { m[r.account] = r.score; why[r.account] = r.reasons.joined(separator: "; ") }
    return (m, why)
}

extension Scenario {
    /// A store with one seller, "shop", and its 300 listings p0…p299 (returned in order): the lockstep
    /// tests put groups' jobs on the first listings and ordinary browsing on the last hundred.
    static func oneShop(_ seed: UInt64) -> (Scenario, [String]) {
        let s = Scenario(seed: seed)
        let shop = s.account("shop", kind: "seller")
        return (s, (0..<300).map { s.item("p\($0)", seller: shop) })
    }
}

extension Array where Element == Finding {
    func accounts(_ t: EventTable) -> Set<String> { Set(map { t.accountID($0.account) }) }
}

extension Scenario {
    /// A buyer's month of ordinary browsing: a visit every three to six days.
    func life(_ account: String, device: String, items pool: [String], seller: String, _ rng: inout SeededRandom) {
        for d in stride(from: rng.int(0...3), to: 28, by: rng.int(3...6)) {
            browse(account, day: d, device: device, items: pool, seller: seller)
        }
    }

    /// The rest of a store: `sellers` small shops (`small0`… selling `x0`…) with `buyers`
    /// ordinary buyers each (`sb<k>-<j>`, own phone, address and card), one order each during the
    /// month; `after` runs after each order (e.g. a chance of a review).
    func smallShops(_ sellers: Int, buyers: Int, _ rng: inout SeededRandom,
                    after: (inout SeededRandom, _ account: String, _ shop: Int, _ at: Int64) -> Void = { _, _, _, _ in }) {
        for k in 0..<sellers {
            account("small\(k)", kind: "seller"); item("x\(k)", seller: "small\(k)")
            for j in 0..<buyers {
                let a = account("sb\(k)-\(j)")
                let at = Scenario.t0 + Int64(rng.int(0...27)) * Scenario.day + Int64(rng.int(0...86_000)) * 1000
                order(a, item: "x\(k)", seller: "small\(k)", at: at, device: "sbd\(k)-\(j)", address: "sba\(k)-\(j)", payment: "sbc\(k)-\(j)")
                after(&rng, a, k, at)
            }
        }
    }
}

extension Scenario {
    /// Household `h` of 2–4 newcomers (`h{h}m{m}`) signing up a few days apart from its home
    /// network `ip`: one tablet (even `h`) or a phone each, one card (every third `h`) or a card
    /// each, one delivery address; each browses, orders with the welcome coupon, and the first
    /// member orders again. What a deal-hunter ring must not be confused with.
    @discardableResult
    func newcomerHousehold(_ h: Int, items: [String], ip: String, email: (Int) -> String) -> [String] {
        let day = Scenario.day, hour = Scenario.hour
        var created = Scenario.t0 + int(in: 0...(6 * day))
        var members: [String] = []
        for m in 0..<(2 + h % 3) {
            let a = "h\(h)m\(m)"
            members.append(a)
            let device = h % 2 == 0 ? "tablet\(h)" : "hp\(h)m\(m)", card = h % 3 == 0 ? "hc\(h)" : "hc\(h)m\(m)"
            account(a, created: created, email: email(m))
            event(a, "signup", at: created, ["device_id": device, "ip": ip])
            browse(a, day: Int((created - Scenario.t0) / day), device: device, items: items, ip: ip)
            order(a, item: items[(h + m) % 10], seller: "shop", at: created + int(in: hour...day), device: device,
                  address: "home\(h)", payment: card, coupon: "WELCOME10", ip: ip)
            if m == 0 {
                order(a, item: items[(h + 4) % 10], seller: "shop", at: created + int(in: (2 * day)...(8 * day)), device: device,
                      address: "home\(h)", payment: card, ip: ip)
            }
            created += int(in: day...(9 * day))
        }
        return members
    }
}

extension Scenario {
    /// Fan `k` of a live-stream audience (`fan<k>`, phone `fd<k>`): follows two or three of the
    /// `creators` (by k's parity) some day in the three months before, and comes to each of their
    /// `shows` with a keenness of its own (0.3…0.7), arriving within minutes of the start;
    /// `atShow` runs at each visit (e.g. a like during the show).
    @discardableResult
    func liveFan(_ k: Int, creators: [String], shows: [[Int64]], _ rng: inout SeededRandom,
                 atShow: (inout SeededRandom, _ account: String, _ creator: Int, _ at: Int64) -> Void = { _, _, _, _ in }) -> String {
        let a = account("fan\(k)")
        var mine = Set<Int>()
        while mine.count < 2 + (k % 2) { mine.insert(rng.int(0...(creators.count - 1))) }
        let keen = 0.3 + 0.4 * rng.unit()
        for c in mine.sorted() {
            event(a, "follow", at: Scenario.t0 - Int64(rng.int(1...90)) * Scenario.day, ["target_id": creators[c], "device_id": "fd\(k)"])
            for start in shows[c] where rng.chance(keen) {
                let at = start + Int64(rng.exponential(6) * Double(Scenario.minute))
                event(a, "live_view", at: at, ["target_id": creators[c], "device_id": "fd\(k)"])
                atShow(&rng, a, c, at)
            }
        }
        return a
    }
}

extension Scenario {
    /// Live shows: `count` shows per creator, show k of creator c on day c + 3k at hour `hour(c, k)`;
    /// the creator logs in on its phone (`cd<c>`) 1–10 minutes before each.
    func liveShows(_ creators: [String], count: Int, hour: (Int, Int) -> Int, _ rng: inout SeededRandom) -> [[Int64]] {
        var shows: [[Int64]] = []
        for c in creators.indices {
            shows.append((0..<count).map { k in Scenario.t0 + Int64(c + 3 * k) * Scenario.day + Int64(hour(c, k)) * Scenario.hour })
            for st in shows[c] { event(creators[c], "login", at: st - Int64(rng.int(1...10)) * Scenario.minute, ["device_id": "cd\(c)"]) }
        }
        return shows
    }

    /// Shopping days over four weeks: on each day with chance `busy`, from an hour in `hours`, a
    /// session of `views` views of `pool`'s listings from one device and address, a few seconds
    /// plus an exponential gap (mean `gap` s) apart.
    func browse(_ a: String, pool: [String], device: String, ip: String, busy: Double, hours: ClosedRange<Int>,
                views: ClosedRange<Int>, gap: Double, _ rng: inout SeededRandom) {
        for d in 0..<28 where rng.chance(busy) {
            var at = Scenario.t0 + Int64(d) * Scenario.day + Int64(rng.int(hours)) * Scenario.hour + Int64(rng.int(0...3_599)) * 1000
            for _ in 0..<rng.int(views) {
                event(a, "view", at: at, ["item_id": pool[rng.int(0...(pool.count - 1))], "device_id": device, "ip": ip])
                at += Int64(1000 * (5 + rng.exponential(gap)))
            }
        }
    }
}

/// The scenario's JSON writer: what it writes parses back to the same row, strings that need
/// escaping included, and a value JSON can't carry is an error naming its key.
final class JSONLineTests: XCTestCase {
    func testRowsRoundTripAndUnwritableValuesNameTheirKey() throws {
        let row: [String: Any] = ["b": "quote \" back \\ nl \n tab \t bell \u{07} é 🙂", "a": 12, "c": 12.5, "d": 20.0,
                                  "e": true, "f": NSNull(), "g": ["x": Int64(-3), "y": [1, "two", false]], "h": 1.0e-5]
        var line = ""
        try JSONLine.append(row, to: &line)
        XCTAssertTrue(line.hasPrefix("{\"a\":12,\"b\":"), line)
        let back = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(back["b"] as? String, row["b"] as? String)
        XCTAssertEqual((back["a"] as? NSNumber)?.intValue, 12)
        XCTAssertEqual((back["c"] as? NSNumber)?.doubleValue, 12.5)
        XCTAssertEqual((back["d"] as? NSNumber)?.doubleValue, 20)
        XCTAssertEqual((back["h"] as? NSNumber)?.doubleValue, 1.0e-5)
        XCTAssertEqual(back["e"] as? Bool, true)
        XCTAssertTrue(back["f"] is NSNull)
        let g = try XCTUnwrap(back["g"] as? [String: Any])
        XCTAssertEqual((g["x"] as? NSNumber)?.intValue, -3)
        XCTAssertEqual((g["y"] as? [Any])?.count, 3)
        var bad = ""
        XCTAssertThrowsError(try JSONLine.append(["attrs": ["when": Date()]], to: &bad)) {
            XCTAssertTrue("\($0)".contains("attrs.when"), "\($0)")
        }
        XCTAssertThrowsError(try JSONLine.append(["amount": Double.nan], to: &bad)) {
            XCTAssertTrue("\($0)".contains("amount"), "\($0)")
        }
    }
}

extension Array where Element == Finding {
    /// Each found account's strongest finding's strength, by account id.
    func strengthByAccount(_ t: EventTable) -> [String: Double] {
        Dictionary(map { (t.accountID($0.account), $0.strength) }, uniquingKeysWith: Swift.max)
    }

    /// The strongest finding's strength of each account whose id starts with `prefix` (one value per account).
    func strengths(_ t: EventTable, prefix: String) -> [Double] {
        strengthByAccount(t).filter { $0.key.hasPrefix(prefix) }.map(\.value)
    }
}

extension Scenario {
    /// A browsing life: on each of the month's 28 days with chance `days`, one sitting at 8–22 h of
    /// `views` item views from `pool` on `device`, a person's gaps apart (5 s + about a minute).
    func browsingLife(_ a: String, device: String, pool: [String], days: Double, views: ClosedRange<Int>, _ rng: inout SeededRandom) {
        for d in 0..<28 where rng.chance(days) {
            var at = Scenario.t0 + Int64(d) * Scenario.day + Int64(rng.int(8...22)) * Scenario.hour + Int64(rng.int(0...3_599)) * 1000
            for _ in 0..<rng.int(views) {
                event(a, "view", at: at, ["item_id": pool[rng.int(0...(pool.count - 1))], "device_id": device])
                at += Int64(1000 * (5 + rng.exponential(60)))
            }
        }
    }
}

extension Scenario {
    /// The stage of the fan-and-crew scenarios (AwayPairsTests, FollowCrewsTests): four creators, a shop
    /// and its 200 listings.
    func fanStage() -> (creators: [String], shop: String, pool: [String]) {
        let creators = (0..<4).map { account("creator\($0)", kind: "creator") }
        let shop = account("shop", kind: "seller")
        return (creators, shop, (0..<200).map { item("p\($0)", seller: shop) })
    }
}
