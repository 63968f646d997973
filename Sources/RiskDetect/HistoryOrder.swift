import Foundation
import RiskMetrics
import RiskStore

/// Which way the anomaly layer orders the accounts it finds nothing unusual about (its ties).
///
/// The default puts the thinner history first: on a review graph or a marketplace, an account
/// made for an attack has little history, so less history is less evidence of an ordinary
/// customer. That is an assumption about what an account is, and it can be backwards: when an
/// account is a proxy for a payment instrument (IEEE-CIS: card × billing region) and is fraud
/// when any of its payments was, every extra payment is another chance to carry a fraudulent
/// one, and thin-first ranks the store upside down (held-out AUC 0.39 there).
///
/// When the store has labels, the assumption is tested on them: a Mann–Whitney rank test of
/// the event counts of the accounts labelled fraud against those labelled legit. Busiest first
/// when the fraud is significantly busier (one-sided p < 0.001, at least 5 of each class);
/// thin first otherwise (the prior, or the labels agree with it). Without labels the prior
/// stays: nothing in an unlabelled store says which way volume points.
public struct HistoryOrder: Sendable, Equatable {
    /// −1: thinner history first (the prior); +1: busier first.
    public var direction: Int
    /// The rank test's z (fraud busier → positive); nil when there were too few labels.
    public var z: Double?
    public var fraud: Int
    public var legit: Int

    public static let thinFirst = HistoryOrder(direction: -1, z: nil, fraud: 0, legit: 0)
    /// One-sided p < 0.001.
    public static let zCritical = 3.09

    /// Tests the prior on the labels (fraud = 1, legit = 0) of accounts with these event counts.
    public static func decide(events: [Int], labels: [Bool]) -> HistoryOrder {
        let n1 = labels.filter { $0 }.count, n0 = labels.count - n1
        guard n1 >= 5, n0 >= 5 else { return HistoryOrder(direction: -1, z: nil, fraud: n1, legit: n0) }
        // Mid-ranks of the pooled counts, with the tie correction of the variance.
        let (rank, tieTerm) = Ranking.midRanks(events)
        let r1 = labels.indices.filter { labels[$0] }.reduce(0.0) { $0 + rank[$1] }
        let a = Double(n1), b = Double(n0), n = a + b
        let u = r1 - a * (a + 1) / 2
        let variance = a * b / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
        guard variance > 0 else { return HistoryOrder(direction: -1, z: 0, fraud: n1, legit: n0) }
        let z = (u - a * b / 2) / variance.squareRoot()
        return HistoryOrder(direction: z >= zCritical ? 1 : -1, z: z, fraud: n1, legit: n0)
    }

    /// The analysts' current labels in this store, tested against the accounts' event counts.
    public static func fromLabels(_ db: SQLDatabase, _ t: EventTable) throws -> HistoryOrder {
        guard try db.hasTable("current_labels") else { return .thinFirst }
        var events: [Int] = [], labels: [Bool] = []
        for r in try db.rows("SELECT account_id, label FROM current_labels WHERE label IN ('fraud', 'legit')") {
            guard let id = r[0].string, let a = t.accounts.lookup(id), Int(a) < t.accountCount else { continue }
            events.append(t.events(of: Int(a)).count)
            labels.append(r[1].string == "fraud")
        }
        return decide(events: events, labels: labels)
    }

    /// For `detect`'s report.
    public var note: String {
        let order = direction > 0 ? "ties busiest first" : "ties thinnest history first"
        guard let z else { return order }
        return order + String(format: " (labels: fraud %@ than legit, rank test z = %.1f, %d / %d)",
                              z >= 0 ? "busier" : "thinner", z, fraud, legit)
    }
}
