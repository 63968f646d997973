import Foundation

/// The accounts `0..<count` split into `workers` contiguous chunks for `concurrentPerform`:
/// worker `wk`'s range, empty when there are more workers than accounts (a small store on a
/// many-core machine: the chunk's start is past the end).
@inline(__always) func workerChunk(_ wk: Int, of workers: Int, count n: Int) -> Range<Int> {
    let chunk = (n + workers - 1) / max(1, workers)
    return min(n, wk * chunk)..<min(n, (wk + 1) * chunk)
}

/// One value per account, computed on every core (the accounts in `workerChunk`s): `value(a, &scratch)`
/// for each account `a`, each worker with its own `scratch` from `makeScratch` (a buffer reused across
/// its accounts); nil is stored as −1, the anomaly layer's "missing". Empty store or table: all −1.
func perAccountColumn<Scratch>(_ t: EventTable, scratch makeScratch: () -> Scratch,
                               _ value: (Int, inout Scratch) -> Float?) -> [Float] {
    let n = t.accountCount
    var x = [Float](repeating: -1, count: n)
    guard n > 0, t.count > 0 else { return x }
    let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
    x.withUnsafeMutableBufferPointer { xb in
        let out = xb.baseAddress!
        DispatchQueue.concurrentPerform(iterations: workers) { wk in
            var scratch = makeScratch()
            for a in workerChunk(wk, of: workers, count: n) {
                if let v = value(a, &scratch) { out[a] = v }
            }
        }
    }
    return x
}
