import Foundation
import RiskMetrics
import XCTest
@testable import RiskDetect

final class ModelTests: XCTestCase {
    /// Two features; fraud when x0 + 2·x1 > 1 (with a little noise).
    func linear(_ n: Int, seed: UInt64) -> ([Float], [Bool]) {
        var rng = SplitMix(seed: seed)
        var x: [Float] = [], y: [Bool] = []
        for _ in 0..<n {
            let a = Float.random(in: 0...1, using: &rng), b = Float.random(in: 0...1, using: &rng)
            x += [a, b]
            y.append(a + 2 * b + Float.random(in: -0.1...0.1, using: &rng) > 1.5)
        }
        return (x, y)
    }

    /// An interaction no linear model can express: fraud when x0 and x1 are both high or both low.
    func xor(_ n: Int, seed: UInt64) -> ([Float], [Bool]) {
        var rng = SplitMix(seed: seed)
        var x: [Float] = [], y: [Bool] = []
        for _ in 0..<n {
            let a = Float.random(in: 0...1, using: &rng), b = Float.random(in: 0...1, using: &rng)
            x += [a, b, Float.random(in: 0...1, using: &rng)]
            y.append((a > 0.5) == (b > 0.5))
        }
        return (x, y)
    }

    /// Fraud exactly when a column is missing (NaN), where present values include -1: a
    /// sentinel of -1 would make missing and a real -1 the same value.
    func missingness(_ n: Int, seed: UInt64) -> ([Float], [Bool]) {
        var rng = SplitMix(seed: seed)
        var x: [Float] = [], y: [Bool] = []
        for _ in 0..<n {
            let fraud = Double.random(in: 0..<1, using: &rng) < 0.3
            let present: Float = Bool.random(using: &rng) ? -1 : Float.random(in: -1...4, using: &rng)
            x += [fraud ? .nan : present, Float.random(in: 0...1, using: &rng)]
            y.append(fraud)
        }
        return (x, y)
    }

    func testTreesLearnWhereMissingValuesGoAndTellThemFromARealMinusOne() throws {
        let (x, y) = missingness(3000, seed: 11)
        let m = GradientBoostedTrees.fit(x, y, rows: 3000, cols: 2)
        let (tx, ty) = missingness(2000, seed: 12)
        let p = m.predict(tx, rows: 2000, cols: 2)
        XCTAssertGreaterThan(try XCTUnwrap(Ranking.auc(scores: p, labels: ty)), 0.99)
        let missing = m.predict([.nan, 0.5], rows: 1, cols: 2)[0], minusOne = m.predict([-1, 0.5], rows: 1, cols: 2)[0]
        XCTAssertGreaterThan(missing, 0.9)
        XCTAssertLessThan(minusOne, 0.1)
        // The missing-value side is stored with the model and read back.
        let back = try JSONDecoder().decode(GradientBoostedTrees.self, from: JSONEncoder().encode(m))
        XCTAssertEqual(back.predict(tx, rows: 2000, cols: 2), p)
    }

    func testAModelStoredBeforeMissingValuesWereNaNSendsThemWhereMinusOneWent() throws {
        // One split on feature 0 at threshold t, no missingLeft field (the old JSON).
        func old(_ t: Float) throws -> GradientBoostedTrees {
            let json = """
                {"base":0,"learningRate":1,"trees":[[{"feature":0,"threshold":\(t),"left":1,"right":2,"value":0},
                {"feature":-1,"threshold":0,"left":-1,"right":-1,"value":-2},{"feature":-1,"threshold":0,"left":-1,"right":-1,"value":2}]]}
                """
            return try JSONDecoder().decode(GradientBoostedTrees.self, from: Data(json.utf8))
        }
        for t: Float in [0.5, -1, -3] {
            let m = try old(t)
            XCTAssertEqual(m.predict([.nan], rows: 1, cols: 1), m.predict([-1], rows: 1, cols: 1), "threshold \(t)")
        }
        let lr = try JSONDecoder().decode(LogisticRegression.self, from: Data(#"{"mean":[2],"scale":[1],"weights":[1.5],"bias":0}"#.utf8))
        XCTAssertEqual(lr.predict([.nan], rows: 1, cols: 1), lr.predict([-1], rows: 1, cols: 1))
    }

    func testLinearModelReadsAMissingValueAsTheColumnsMean() {
        var (x, y) = linear(3000, seed: 3)
        for i in stride(from: 0, to: 3000, by: 7) { x[i * 2] = .nan }     // some x0 missing
        let m = LogisticRegression.fit(x, y, rows: 3000, cols: 2)
        XCTAssertTrue(m.weights.allSatisfy(\.isFinite) && m.bias.isFinite, "\(m.weights) \(m.bias)")
        XCTAssertGreaterThan(m.weights[1], m.weights[0])
        let mean = Float(m.mean[0])
        XCTAssertEqual(m.predict([.nan, 0.4], rows: 1, cols: 2)[0], m.predict([mean, 0.4], rows: 1, cols: 2)[0], accuracy: 1e-6)
        XCTAssertEqual(m.contributions([.nan, 0.4][...], cols: 2)[0], 0, accuracy: 1e-12)
        let (tx, ty) = linear(2000, seed: 4)
        XCTAssertGreaterThan(Ranking.auc(scores: m.predict(tx, rows: 2000, cols: 2), labels: ty)!, 0.97)
    }

    func testLogisticRegressionLearnsALinearBoundary() {
        let (x, y) = linear(3000, seed: 1)
        let m = LogisticRegression.fit(x, y, rows: 3000, cols: 2)
        XCTAssertGreaterThan(m.weights[1], m.weights[0])      // x1 counts twice
        XCTAssertGreaterThan(m.weights[0], 0)
        let (tx, ty) = linear(2000, seed: 2)
        let auc = Ranking.auc(scores: m.predict(tx, rows: 2000, cols: 2), labels: ty)!
        XCTAssertGreaterThan(auc, 0.98)
    }

    func testBoostedTreesLearnAnInteractionALinearModelCannot() throws {
        let (x, y) = xor(4000, seed: 3)
        let (tx, ty) = xor(2000, seed: 4)
        let gb = GradientBoostedTrees.fit(x, y, rows: 4000, cols: 3)
        let lr = LogisticRegression.fit(x, y, rows: 4000, cols: 3)
        let aGB = Ranking.auc(scores: gb.predict(tx, rows: 2000, cols: 3), labels: ty)!
        let aLR = Ranking.auc(scores: lr.predict(tx, rows: 2000, cols: 3), labels: ty)!
        XCTAssertGreaterThan(aGB, 0.97)
        XCTAssertLessThan(aLR, 0.6)
        // It round-trips through the stored JSON unchanged.
        let m = LearntModel.gbdt(gb)
        let back = try JSONDecoder().decode(LearntModel.self, from: JSONEncoder().encode(m))
        XCTAssertEqual(back.predict(tx, rows: 20, cols: 3), m.predict(tx, rows: 20, cols: 3))
    }

    func testExplanationsAddUpAndNameTheFeaturesThatMatter() {
        let (x, y) = xor(3000, seed: 5)
        let gb = GradientBoostedTrees.fit(x, y, rows: 3000, cols: 3)
        let p = gb.predict(x, rows: 3000, cols: 3)
        XCTAssertEqual(p.count, 3000)
        for i in 0..<20 {
            let c = gb.contributions(x[(i * 3)..<(i * 3 + 3)], cols: 3)
            let roots = gb.trees.reduce(0.0) { $0 + Double($1[0].value) }
            XCTAssertEqual(gb.base + roots + c.reduce(0, +), log(p[i] / (1 - p[i])), accuracy: 1e-3)
        }
        // The noise feature (2) is never what pushed a confident fraud up.
        let m = LearntModel.gbdt(gb)
        // Every row of the 3,000 is predicted; the confident frauds are many (xor: half the rows are fraud).
        let confident = (0..<3000).filter { p[$0] > 0.9 }
        XCTAssertGreaterThan(confident.count, 1_000, "confident frauds among 3,000 rows (1,482 measured)")
        // Never the main reason; among the top two only where a real feature's push is small
        // (trees fit a little noise). Measured on seed 5: top reason for 0 of 1,482 confident
        // frauds; in the top two for 43 (2.9%), against a bound of 10%.
        let top1 = confident.filter { m.topReasons(x, row: $0, names: ["a", "b", "noise"], count: 1) == ["noise"] }
        let top2 = confident.filter { m.topReasons(x, row: $0, names: ["a", "b", "noise"], count: 2).contains("noise") }
        XCTAssertEqual(top1, [], "noise the top reason of \(top1.count) of \(confident.count) confident frauds")
        XCTAssertLessThan(Double(top2.count) / Double(confident.count), 0.1, "noise in the top two of \(top2.count) of \(confident.count)")
        let (lx, ly) = linear(2000, seed: 6)
        let lr = LogisticRegression.fit(lx, ly, rows: 2000, cols: 2)
        let top = (0..<2000).first { lr.predict(lx, rows: 2000, cols: 2)[$0] > 0.99 }!
        XCTAssertEqual(LearntModel.logistic(lr).topReasons(lx, row: top, names: ["a", "b"], count: 1), ["b"])
    }

    func testModelOnlyAccountsTakeTheCategoryOfTheLabelledFraudTheyResemble() {
        // Two clusters in 3 features (click-farm-like: many follows; scalper-like: fast drop orders).
        var rng = SplitMix(seed: 11)
        var x: [Float] = []
        for i in 0..<200 {
            let farm = i % 2 == 0
            x += [Float(farm ? 8 : 0) + Float.random(in: 0...1, using: &rng), Float(farm ? 0 : 5) + Float.random(in: 0...1, using: &rng),
                  Float.random(in: 0...1, using: &rng)]
        }
        let labelled = (0..<40).map { (row: $0, category: $0 % 2 == 0 ? "click_farm" : "scalper") }
        let got = AccountFeatures.nearestCategories(x, cols: 3, rows: 200, labelled: labelled, queries: [100, 101, 150, 151])
        XCTAssertEqual(got, [100: "click_farm", 101: "scalper", 150: "click_farm", 151: "scalper"])
        XCTAssertEqual(AccountFeatures.nearestCategories(x, cols: 3, rows: 200, labelled: [], queries: [1]), [:])
    }

    func testBootstrapPointEstimatesMatchTheMetricsAndIntervalsBracketThem() {
        var rng = SplitMix(seed: 9)
        let n = 4000
        let labels = (0..<n).map { _ in Double.random(in: 0...1, using: &rng) < 0.1 }
        // a: a weak scorer with ties; b: a better one.
        let a = labels.map { l in (Double.random(in: 0...1, using: &rng) + (l ? 0.3 : 0)).rounded(toPlaces: 1) }
        let b = labels.map { l in Double.random(in: 0...1, using: &rng) + (l ? 0.8 : 0) }
        let c = Bootstrap.compare(a, b, labels: labels, resamples: 300)
        XCTAssertEqual(c.a["auc"]!.value, Ranking.auc(scores: a, labels: labels)!, accuracy: 1e-9)
        XCTAssertEqual(c.b["auc"]!.value, Ranking.auc(scores: b, labels: labels)!, accuracy: 1e-9)
        XCTAssertEqual(c.b["avg_precision"]!.value, Ranking.averagePrecision(scores: b, labels: labels)!, accuracy: 1e-9)
        XCTAssertEqual(c.b["precision_at_k"]!.value, Ranking.precisionAtK(scores: b, labels: labels, k: c.k)!, accuracy: 1e-9)
        for m in Bootstrap.metrics {
            XCTAssertLessThanOrEqual(c.a[m]!.low, c.a[m]!.value + 1e-9, m)
            XCTAssertGreaterThanOrEqual(c.a[m]!.high, c.a[m]!.value - 1e-9, m)
        }
        // b is clearly better: the paired interval of the difference excludes 0.
        XCTAssertGreaterThan(c.difference["auc"]!.low, 0)
        // A scorer against itself: no difference at all.
        let same = Bootstrap.compare(b, b, labels: labels, resamples: 100)
        XCTAssertEqual(same.difference["auc"]!.low, 0, accuracy: 1e-12)
        XCTAssertEqual(same.difference["auc"]!.high, 0, accuracy: 1e-12)
    }
}

extension Double {
    func rounded(toPlaces p: Int) -> Double { let f = pow(10, Double(p)); return (self * f).rounded() / f }
}
