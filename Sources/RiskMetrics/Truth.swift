import Foundation
import RiskStore

/// A truth file that can't be used: the message names the file and, where there is one, the line.
public struct TruthError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Ground truth: which accounts are fraud and which legit, with each fraud account's attack
/// family and each innocent look-alike's tags. From a CSV file (a simulation's truth.csv:
/// account_id,label[,attack,group,lookalike]; label fraud|legit|1|0|true|false|yes|no) or
/// from the analysts' current labels.
public struct Truth: Sendable, Equatable {
    /// true: fraud; false: legit.
    public var label: [String: Bool] = [:]
    public var attack: [String: String] = [:]
    public var lookalikes: [String: [String]] = [:]
    /// Where it came from, for messages.
    public var source: String

    /// Reads a truth CSV file.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw TruthError("\(path): cannot read the truth file") }
        guard let text = String(data: data, encoding: .utf8) else { throw TruthError("\(path): not UTF-8 text") }
        try self.init(csv: text, path: path)
    }

    /// Parses truth CSV text; `path` names it in errors (and becomes the source).
    public init(csv text: String, path: String) throws {
        source = path
        let records: [(line: Int, fields: [String])]
        do { records = try CSVRecords.parse(text, path: path) } catch let e as StoreError { throw TruthError(e.message) }
        guard let (headerLine, header) = records.first else { throw TruthError("\(path): empty truth file") }
        let cols = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let ai = cols.firstIndex(of: "account_id"), let li = cols.firstIndex(of: "label") else {
            throw TruthError("\(path):\(headerLine): header must have account_id and label columns (got \(cols.joined(separator: ",")))")
        }
        let ki = cols.firstIndex(of: "attack"), lk = cols.firstIndex(of: "lookalike")
        for (line, fields) in records.dropFirst() where !(fields.count == 1 && fields[0].isEmpty) {
            // A cell riskdesk's CSV writers escaped for spreadsheets ('=…) reads back as it was.
            let f = fields.map(SpreadsheetSafe.unescape)
            guard f.count > max(ai, li) else { throw TruthError("\(path):\(line): expected \(cols.count) columns, found \(f.count)") }
            let id = f[ai]
            guard let value = Truth.parseLabel(f[li]) else { throw TruthError("\(path):\(line): label '\(f[li])' is not fraud or legit") }
            label[id] = value
            if let ki, ki < f.count, !f[ki].isEmpty { attack[id] = f[ki] }
            if let lk, lk < f.count, !f[lk].isEmpty { lookalikes[id] = f[lk].split(separator: "|").map(String.init) }
        }
        if label.isEmpty { throw TruthError("\(path): no labelled rows") }
    }

    /// fraud / legit as a truth file may spell them (nil: neither).
    public static func parseLabel(_ text: String) -> Bool? {
        switch text.lowercased() {
        case LabelValue.fraud.rawValue, "1", "true", "yes": return true
        case LabelValue.legit.rawValue, "0", "false", "no": return false
        default: return nil
        }
    }

    /// The analysts' current labels in the store (fraud / legit; unsure ones left out), with
    /// the label's category as the family. nil when nobody has labelled yet.
    public init?(store: CaseStore) throws {
        source = "analysts' labels"
        for r in try store.database.rows("SELECT account_id, label, category FROM current_labels WHERE label IN (?, ?)",
                                   [.text(LabelValue.fraud.rawValue), .text(LabelValue.legit.rawValue)]) {
            guard let id = r[0].string else { continue }
            label[id] = r[1].string == LabelValue.fraud.rawValue
            if let c = r[2].string { attack[id] = c }
        }
        if label.isEmpty { return nil }
    }

    /// Leaves out every account an analyst has labelled (what a model trained on the labels
    /// has not seen).
    public mutating func removeLabelled(in store: CaseStore) throws {
        for r in try store.database.rows("SELECT account_id FROM current_labels") { if let id = r[0].string { label[id] = nil } }
    }

    /// Both fraud and legit accounts are present (ranking metrics need both).
    public var hasBothClasses: Bool { label.values.contains(true) && label.values.contains(false) }

    /// How many accounts are fraud.
    public var fraudCount: Int { label.values.filter { $0 }.count }
}

/// Recall of one attack family (or one look-alike tag) in the top K.
public struct GroupRecall: Sendable, Equatable {
    public var accounts: Int
    public var inTopK: Int
    public init(accounts: Int, inTopK: Int) { self.accounts = accounts; self.inTopK = inTopK }
    public var recall: Double { accounts > 0 ? Double(inTopK) / Double(accounts) : 0 }
}

/// The scores measured against the truth: K is the number of fraud accounts.
public struct TruthEvaluation: Sendable, Equatable {
    public var accounts: Int
    public var k: Int
    /// Accounts in the truth without a score (counted as score 0).
    public var missing: Int
    public var auc: Double?
    public var avgPrecision: Double?
    public var precisionAtK: Double?
    public var recallAtK: Double?
    /// Fraud accounts in the top K by attack family ("fraud" when the truth names none).
    public var families: [String: GroupRecall]
    /// Innocent look-alikes in the top K by tag.
    public var lookalikes: [String: GroupRecall]
}

/// A set of flagged accounts (a rule's hits) measured against the truth.
public struct FlagPrecision: Sendable, Equatable {
    /// Flagged accounts the truth knows.
    public var known: Int
    /// …of which fraud.
    public var truePositives: Int
    /// Fraud accounts in the truth.
    public var positives: Int
    /// True positives by attack family.
    public var families: [String: Int]
    public var precision: Double? { known > 0 ? Double(truePositives) / Double(known) : nil }
    public var recall: Double { Double(truePositives) / Double(max(1, positives)) }
}

extension Truth {
    /// The truth's accounts in a fixed order, with their labels.
    private var ordered: (ids: [String], labels: [Bool]) {
        let ids = label.keys.sorted()
        return (ids, ids.map { label[$0]! })
    }

    /// AUC, average precision, precision and recall at K, recall per family and look-alikes in
    /// the top K, for `scores` by account id (an account without a score counts as 0).
    public func evaluate(scores score: [String: Double]) -> TruthEvaluation {
        let (ids, labels) = ordered
        let scores = ids.map { score[$0] ?? 0 }
        let k = labels.filter { $0 }.count
        let top = Set(Ranking.topK(scores: scores, k: k).map { ids[$0] })
        var families: [String: GroupRecall] = [:]
        for id in ids where label[id]! {
            families[attack[id] ?? "fraud", default: GroupRecall(accounts: 0, inTopK: 0)].accounts += 1
            if top.contains(id) { families[attack[id] ?? "fraud"]!.inTopK += 1 }
        }
        var looks: [String: GroupRecall] = [:]
        for (id, tags) in lookalikes where label[id] == false {
            for tag in tags {
                looks[tag, default: GroupRecall(accounts: 0, inTopK: 0)].accounts += 1
                if top.contains(id) { looks[tag]!.inTopK += 1 }
            }
        }
        return TruthEvaluation(accounts: ids.count, k: k, missing: ids.filter { score[$0] == nil }.count,
                               auc: Ranking.auc(scores: scores, labels: labels),
                               avgPrecision: Ranking.averagePrecision(scores: scores, labels: labels),
                               precisionAtK: Ranking.precisionAtK(scores: scores, labels: labels, k: k),
                               recallAtK: Ranking.recallAtK(scores: scores, labels: labels, k: k),
                               families: families, lookalikes: looks)
    }

    /// Two scorings of the truth's accounts side by side, with paired bootstrap intervals.
    public func compare(_ a: [String: Double], _ b: [String: Double], resamples: Int = 500, seed: UInt64 = 7) -> Bootstrap.Comparison {
        let (ids, labels) = ordered
        return Bootstrap.compare(ids.map { a[$0] ?? 0 }, ids.map { b[$0] ?? 0 }, labels: labels, resamples: resamples, seed: seed)
    }

    /// Precision and recall of a set of flagged accounts.
    public func precision<S: Sequence>(flagged: S) -> FlagPrecision where S.Element == String {
        var out = FlagPrecision(known: 0, truePositives: 0, positives: fraudCount, families: [:])
        for id in flagged {
            guard let l = label[id] else { continue }
            out.known += 1
            if l { out.truePositives += 1; out.families[attack[id] ?? "fraud", default: 0] += 1 }
        }
        return out
    }
}
