/// The accounts `0..<count` split into `workers` contiguous chunks for `concurrentPerform`:
/// worker `wk`'s range, empty when there are more workers than accounts (a small store on a
/// many-core machine: the chunk's start is past the end).
@inline(__always) func workerChunk(_ wk: Int, of workers: Int, count n: Int) -> Range<Int> {
    let chunk = (n + workers - 1) / max(1, workers)
    return min(n, wk * chunk)..<min(n, (wk + 1) * chunk)
}
