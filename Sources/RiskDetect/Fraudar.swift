import Foundation

/// Min-heap of (priority, node) with lazy deletion (stale entries are skipped by the caller).
struct MinHeap {
    private var keys: [Double] = []
    private var vals: [Int32] = []
    var isEmpty: Bool { keys.isEmpty }
    mutating func push(_ k: Double, _ v: Int32) {
        keys.append(k); vals.append(v)
        var i = keys.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if keys[p] <= keys[i] { break }
            keys.swapAt(p, i); vals.swapAt(p, i); i = p
        }
    }
    mutating func pop() -> (Double, Int32)? {
        guard !keys.isEmpty else { return nil }
        let top = (keys[0], vals[0])
        let lk = keys.removeLast(), lv = vals.removeLast()
        if !keys.isEmpty {
            keys[0] = lk; vals[0] = lv
            var i = 0
            let n = keys.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < n && keys[l] < keys[m] { m = l }
                if r < n && keys[r] < keys[m] { m = r }
                if m == i { break }
                keys.swapAt(m, i); vals.swapAt(m, i); i = m
            }
        }
        return top
    }
}

/// FRAUDAR (Hooi et al., KDD 2016): greedy peeling of a bipartite graph for the subgraph
/// that maximises g(S) = f(S)/|S|, where f sums edge suspiciousness and each edge into a
/// column of degree d weighs 1/log(d + 5) — so a popular item's crowd of buyers counts
/// little, and camouflage edges a fraudster adds to honest items don't hide the block.
/// O(|E| log |V|) per block; blocks are found one after another by removing the last one.
struct Fraudar {
    let rows: Int          // e.g. buyers
    let cols: Int          // e.g. items
    var eRow: [Int32]
    var eCol: [Int32]
    var eW: [Double]
    var alive: [Bool]

    struct Block {
        var rows: [Int32]
        var cols: [Int32]
        var density: Double
        var edges: Int
    }

    /// `weight` multiplies the column suspiciousness, e.g. for repeated interactions.
    init(rows: Int, cols: Int, edges: [(Int32, Int32, Double)]) {
        self.rows = rows
        self.cols = cols
        var deg = [Int32](repeating: 0, count: cols)
        for e in edges { deg[Int(e.1)] += 1 }
        eRow = edges.map { $0.0 }
        eCol = edges.map { $0.1 }
        eW = edges.map { $0.2 / log(Double(deg[Int($0.1)]) + 5) }
        alive = Array(repeating: true, count: edges.count)
    }

    /// Takes the edges into these columns out of further peeling.
    mutating func remove(cols: Set<Int32>) {
        for e in 0..<eCol.count where alive[e] && cols.contains(eCol[e]) { alive[e] = false }
    }

    /// The densest block among the alive edges, or nil when nothing is left.
    mutating func densest() -> Block? {
        let n = rows + cols
        var adjStart = [Int32](repeating: 0, count: n + 1)
        var f = 0.0
        var live = 0
        for e in 0..<eRow.count where alive[e] {
            adjStart[Int(eRow[e]) + 1] += 1
            adjStart[rows + Int(eCol[e]) + 1] += 1
            f += eW[e]
            live += 1
        }
        if live == 0 { return nil }
        for i in 0..<n { adjStart[i + 1] += adjStart[i] }
        var fill = adjStart
        var adj = [Int32](repeating: 0, count: Int(adjStart[n]))
        for e in 0..<eRow.count where alive[e] {
            let r = Int(eRow[e]), c = rows + Int(eCol[e])
            adj[Int(fill[r])] = Int32(e); fill[r] += 1
            adj[Int(fill[c])] = Int32(e); fill[c] += 1
        }
        var prio = [Double](repeating: 0, count: n)
        var present = [Bool](repeating: false, count: n)
        var heap = MinHeap()
        var size = 0
        for v in 0..<n where adjStart[v + 1] > adjStart[v] {
            var s = 0.0
            for k in Int(adjStart[v])..<Int(adjStart[v + 1]) { s += eW[Int(adj[k])] }
            prio[v] = s
            present[v] = true
            size += 1
            heap.push(s, Int32(v))
        }
        var edgeGone = [Bool](repeating: false, count: eRow.count)
        var order: [Int32] = []
        order.reserveCapacity(size)
        var best = f / Double(size)
        var bestStep = 0          // nodes removed before the best set
        var removed = 0
        var current = f
        while let (p, v) = heap.pop() {
            let vi = Int(v)
            if !present[vi] || p != prio[vi] { continue }
            present[vi] = false
            order.append(v)
            removed += 1
            current -= prio[vi]
            for k in Int(adjStart[vi])..<Int(adjStart[vi + 1]) {
                let e = Int(adj[k])
                if edgeGone[e] { continue }
                edgeGone[e] = true
                let r = Int(eRow[e]), c = rows + Int(eCol[e])
                let u = r == vi ? c : r
                if present[u] {
                    prio[u] -= eW[e]
                    heap.push(prio[u], Int32(u))
                }
            }
            let left = size - removed
            if left > 0 {
                let g = max(0, current) / Double(left)
                if g > best { best = g; bestStep = removed }
            }
        }
        let inBlock = order[bestStep...]
        var bRows: [Int32] = [], bCols: [Int32] = []
        var isIn = [Bool](repeating: false, count: n)
        for v in inBlock {
            isIn[Int(v)] = true
            if Int(v) < rows { bRows.append(v) } else { bCols.append(v - Int32(rows)) }
        }
        var edges = 0
        for e in 0..<eRow.count where alive[e] && isIn[Int(eRow[e])] && isIn[rows + Int(eCol[e])] {
            alive[e] = false
            edges += 1
        }
        return Block(rows: bRows.sorted(), cols: bCols.sorted(), density: best, edges: edges)
    }
}
