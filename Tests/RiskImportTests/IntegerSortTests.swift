import Foundation
import XCTest
@testable import RiskImport

/// The import's integer-key sorts (issue 17, imp34) order exactly as the comparison sorts they
/// replace: the link aggregate by (kind, value, account), new identifiers by SQLite's BINARY order.
final class IntegerSortTests: XCTestCase {
    func testRadixSortsAnyKeysStablyAndCarriesTheValues() {
        for seed in [1, 2, 3, 4] as [UInt64] {
            var rng = SplitMix(seed: seed)
            for (n, mask) in [(0, UInt64.max), (1, UInt64.max), (2, 1), (1000, 0xFF), (5000, UInt64.max), (20000, 0x3FFF_FFFF_0000), (3000, 0)] {
                var keys = (0..<n).map { _ in rng.next() & mask }
                var vals = (0..<n).map { UInt32($0) }
                let expected = zip(keys, vals).sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
                IntegerSort.radix(&keys, &vals)
                XCTAssertEqual(keys, expected.map(\.0), "seed \(seed) n \(n)")
                XCTAssertEqual(vals, expected.map(\.1), "seed \(seed) n \(n): equal keys keep their order")
            }
        }
    }

    func testPermuteAppliesTheOrder() {
        var rng = SplitMix(seed: 9)
        for n in [0, 1, 2, 7, 1000] {
            var order = (0..<n).map { UInt32($0) }
            for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            let items = (0..<n).map { "x\($0)" }
            var got = items
            var scratch = order
            IntegerSort.permute(&got, by: &scratch)
            XCTAssertEqual(got, order.map { items[Int($0)] }, "n \(n)")
        }
    }

    func testLinkAggregateSortsByKindValueAccountWhateverTheIds() {
        for (seed, big) in [(11, false), (12, false), (13, true)] as [(UInt64, Bool)] {
            var rng = SplitMix(seed: seed)
            let agg = LinkAggregator()
            for _ in 0..<30000 {
                let kind = UInt8(rng.next() % 9)
                var value = Int64(rng.next() % 5000)
                var account = Int64(rng.next() % 3000)
                if big && rng.next() % 50 == 0 { value = Int64(1 << 40) + Int64(rng.next() % 7) }   // past the packed key's 30 bits
                if rng.next() % 97 == 0 { account = (1 << 30) - 1 }                                   // the largest packed id
                agg.add(kind: kind, value: kind == 0 ? 0 : value, account: account, ts: Int64(rng.next() % 1000))
            }
            let before = agg.entries
            agg.sortByKey()
            let expected = before.sorted { x, y in
                x.kind != y.kind ? x.kind < y.kind : x.value != y.value ? x.value < y.value : x.account < y.account
            }
            XCTAssertEqual(agg.entries.count, expected.count)
            XCTAssertTrue(zip(agg.entries, expected).allSatisfy {
                $0.kind == $1.kind && $0.value == $1.value && $0.account == $1.account && $0.count == $1.count && $0.minTs == $1.minTs && $0.maxTs == $1.maxTs
            }, "seed \(seed)")
        }
    }

    func testNewIdentifiersSortInSQLiteBinaryOrder() {
        var rng = SplitMix(seed: 21)
        let cache = IdentCache(maxEntries: 1 << 14)
        var strings: [[UInt8]] = []
        var seen = Set<[UInt8]>()
        let stems: [[UInt8]] = [Array("acc-".utf8), Array("acc-0000".utf8), [0, 0], Array("a".utf8), []]
        while strings.count < 6000 {
            var b = stems[Int(rng.next() % UInt64(stems.count))]
            for _ in 0..<Int(rng.next() % 12) { b.append(UInt8(rng.next() % 4 == 0 ? 0 : 0x2F + rng.next() % 3)) }
            if seen.insert(b).inserted { strings.append(b) }
        }
        var es: [IdentCache.Entry] = []
        for b in strings {
            b.withUnsafeBytes { p in
                let base = p.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                es.append(cache.insert(base, b.count, Int64(b.count) &* 31 &+ Int64(b.first ?? 0), id: 0))
            }
        }
        cache.sortByBytes(&es)
        let got = es.map { e -> [UInt8] in let (p, n) = cache.bytes(e); return Array(UnsafeRawBufferPointer(start: p, count: n)) }
        XCTAssertEqual(got, strings.sorted { $0.lexicographicallyPrecedes($1) })   // bytes, then length
    }
}
