// Splitting loops across the machine's cores. Elementwise and per-row kernels call
// `Parallel.forRanges`; small work runs inline because waking threads costs more than it saves.

import Dispatch
import CBLAS

public enum Parallel {
    /// Threads used by our kernels and by OpenBLAS. Set once at start-up (`train.threads`).
    public private(set) static var threadCount: Int = defaultThreadCount()

    /// Sets the thread count for our kernels and OpenBLAS's GEMMs.
    public static func setThreadCount(_ n: Int) {
        threadCount = max(1, n)
        openblas_set_num_threads(Int32(threadCount))
    }

    private static func defaultThreadCount() -> Int {
        let n = max(1, ProcessInfo.processInfo.activeProcessorCount)
        openblas_set_num_threads(Int32(n))
        return n
    }

    /// Calls `body` on disjoint subranges that cover `0..<count`, in parallel when the work
    /// (`count × costPerItem`, in rough element-operations) is big enough to pay for threads.
    public static func forRanges(_ count: Int, costPerItem: Int = 1,
                                 _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let minimumWorkPerThread = 32_768
        let chunks = min(threadCount, count, max(1, count * costPerItem / minimumWorkPerThread))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            body(start..<end)
        }
    }

    /// Calls `body(i)` for each i in `0..<count`, spread over the threads. For coarse items
    /// (one attention head, one image) where each item is itself substantial work.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 0 else { return }
        if threadCount == 1 || count == 1 {
            for i in 0..<count { body(i) }
            return
        }
        let chunks = min(threadCount, count)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            for i in start..<end { body(i) }
        }
    }
}

import Foundation
