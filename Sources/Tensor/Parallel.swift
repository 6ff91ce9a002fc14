// Splitting loops across the machine's cores. Elementwise and per-row kernels call
// `Parallel.forRanges`; small work runs inline because waking threads costs more than it saves.
// OpenBLAS is kept at one thread: its idle workers spin (sched_yield) and steal the cores from
// our loops, so large GEMMs are split across our threads instead (BLAS.sgemm). Loops nested
// inside a parallel region run inline rather than oversubscribing.

import Dispatch
import CBLAS
#if canImport(Glibc)
import Glibc
#endif

public enum Parallel {
    /// Threads used by our kernels (and by large GEMMs, which BLAS splits across them).
    public private(set) static var threadCount: Int = defaultThreadCount()

    /// Sets the thread count for our kernels and GEMMs.
    public static func setThreadCount(_ n: Int) {
        threadCount = max(1, n)
        openblas_set_num_threads(1)
        Allocator.reuseLargeBlocks()
    }

    private static func defaultThreadCount() -> Int {
        openblas_set_num_threads(1)
        Allocator.reuseLargeBlocks()
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// A per-thread marker, set while a thread runs a chunk of a parallel loop.
    private static let regionKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// True on a thread that is running a chunk of a parallel loop.
    public static var isInsideParallelRegion: Bool {
        pthread_getspecific(regionKey) != nil
    }

    /// Runs `chunks` calls of `body` on the threads, each marked as inside a parallel region.
    private static func perform(_ chunks: Int, _ body: (Int) -> Void) {
        let marker = UnsafeRawPointer(bitPattern: 1)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            pthread_setspecific(regionKey, marker)
            body(chunk)
            pthread_setspecific(regionKey, nil)
        }
    }

    /// Calls `body` on disjoint subranges that cover `0..<count`, in parallel when the work
    /// (`count × costPerItem`, in rough element-operations) is big enough to pay for threads.
    public static func forRanges(_ count: Int, costPerItem: Int = 1,
                                 _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let minimumWorkPerThread = 32_768
        let chunks = min(threadCount, count, max(1, count * costPerItem / minimumWorkPerThread))
        if chunks <= 1 || isInsideParallelRegion {
            body(0..<count)
            return
        }
        perform(chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            body(start..<end)
        }
    }

    /// Calls `body(i)` for each i in `0..<count`, spread over the threads. For coarse items
    /// (one attention head, one image) where each item is itself substantial work.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 0 else { return }
        if threadCount == 1 || count == 1 || isInsideParallelRegion {
            for i in 0..<count { body(i) }
            return
        }
        let chunks = min(threadCount, count)
        perform(chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            for i in start..<end { body(i) }
        }
    }
}

import Foundation
