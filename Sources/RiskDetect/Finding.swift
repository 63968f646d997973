import Foundation
import RiskStore

/// Risk areas, as analysts name them.
public enum RiskType: String, CaseIterable, Sendable {
    case brushing, clickFarm = "click_farm", dealHunter = "deal_hunter", multiAccounting = "multi_accounting"
    case scalper, ato, scraping, spam, refundAbuse = "refund_abuse", other
}

/// One detector's statement about one account: how strong, why in plain words, and the
/// evidence an analyst can check (event ids, linked accounts, shared identifiers).
public struct Finding: Sendable {
    public var account: Int32
    public var detector: String
    public var riskType: String
    public var strength: Double
    public var reason: String
    public var events: [Int64] = []
    public var linked: [String] = []
    public var identifiers: [(kind: String, value: String)] = []
    public var group: String? = nil
    /// Evidence a SQL rule returned as it is (JSON or text).
    public var rawEvidence: String? = nil

    public init(account: Int32, detector: String, riskType: RiskType, strength: Double, reason: String,
                events: [Int64] = [], linked: [String] = [], identifiers: [(kind: String, value: String)] = [], group: String? = nil) {
        self.init(account: account, detector: detector, riskType: riskType.rawValue, strength: strength, reason: reason,
                  events: events, linked: linked, identifiers: identifiers, group: group)
    }

    public init(account: Int32, detector: String, riskType: String, strength: Double, reason: String,
                events: [Int64] = [], linked: [String] = [], identifiers: [(kind: String, value: String)] = [], group: String? = nil) {
        self.account = account
        self.detector = detector
        self.riskType = riskType
        self.strength = min(1, max(0, strength))
        self.reason = reason
        self.events = events
        self.linked = linked
        self.identifiers = identifiers
        self.group = group
    }

    /// Evidence as the JSON kept in `findings.evidence` (capped so a farm of thousands stays readable).
    public var evidenceJSON: String {
        var parts: [String] = []
        if !events.isEmpty { parts.append("\"events\":[" + events.prefix(200).map(String.init).joined(separator: ",") + "]") }
        if !linked.isEmpty { parts.append("\"accounts\":[" + linked.prefix(100).map(jsonString).joined(separator: ",") + "]") }
        if !identifiers.isEmpty {
            parts.append("\"identifiers\":[" + identifiers.prefix(50).map { "{\"kind\":\(jsonString($0.kind)),\"value\":\(jsonString($0.value))}" }.joined(separator: ",") + "]")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }
}

func jsonString(_ s: String) -> String { ResultWriter.jsonString(s) }

/// A detector over the in-memory event table.
public protocol Detector {
    var name: String { get }
    func run(_ t: EventTable, cancel: CancelToken) throws -> [Finding]
}

/// Small helpers shared by detectors.
enum Stat {
    static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return .nan }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }
    static func cv(_ xs: [Double]) -> Double {
        guard xs.count > 1 else { return .infinity }
        let m = mean(xs)
        guard m > 0 else { return .infinity }
        let v = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)
        return v.squareRoot() / m
    }
    /// Saturating ramp: 0 at `lo`, 1 at `hi`.
    static func ramp(_ x: Double, _ lo: Double, _ hi: Double) -> Double {
        if x <= lo { return 0 }
        if x >= hi { return 1 }
        return (x - lo) / (hi - lo)
    }
}

/// Union-find over dense ids.
struct DisjointSet {
    var parent: [Int32]
    var size: [Int32]
    init(_ n: Int) { parent = (0..<Int32(n)).map { $0 }; size = Array(repeating: 1, count: n) }
    mutating func find(_ x: Int32) -> Int32 {
        var r = x
        while parent[Int(r)] != r { r = parent[Int(r)] }
        var c = x
        while parent[Int(c)] != r { let n = parent[Int(c)]; parent[Int(c)] = r; c = n }
        return r
    }
    mutating func union(_ a: Int32, _ b: Int32) {
        var ra = find(a), rb = find(b)
        if ra == rb { return }
        if size[Int(ra)] < size[Int(rb)] { swap(&ra, &rb) }
        parent[Int(rb)] = ra
        size[Int(ra)] += size[Int(rb)]
    }
}

/// Normalises free text for near-duplicate comparison: lower case, letters and digits
/// only, URLs reduced to their host, runs of spaces collapsed.
enum TextNorm {
    static func tokens(_ s: String) -> [String] {
        var out: [String] = []
        for raw in s.lowercased().split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            if raw.hasPrefix("http://") || raw.hasPrefix("https://") || raw.hasPrefix("www.") {
                out.append("<url:" + (host(String(raw)) ?? "") + ">")
                continue
            }
            let w = String(raw.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
            if !w.isEmpty { out.append(w) }
        }
        return out
    }

    static func normalized(_ s: String) -> String { tokens(s).joined(separator: " ") }

    /// The host of the first URL in `s`, if any.
    static func firstURLHost(_ s: String) -> String? {
        for raw in s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            let w = raw.lowercased()
            if w.hasPrefix("http://") || w.hasPrefix("https://") || w.hasPrefix("www.") { return host(w) }
        }
        return nil
    }

    static func host(_ url: String) -> String? {
        var u = Substring(url)
        if let r = u.range(of: "://") { u = u[r.upperBound...] }
        let h = u.prefix { $0 != "/" && $0 != "?" && $0 != "#" && $0 != ":" }
        let t = h.trimmingCharacters(in: CharacterSet(charactersIn: ".,;!)(\"'"))
        return t.isEmpty ? nil : t
    }

    static func jaccard(_ a: Set<String>, _ b: Set<String>) -> Double {
        if a.isEmpty && b.isEmpty { return 1 }
        let i = a.intersection(b).count
        return Double(i) / Double(a.count + b.count - i)
    }
}
