// glibc malloc tuning for the kernels' large, short-lived arrays: blocks up to 32 MB come from
// the heap rather than fresh mmaps, and freed memory is kept, so each training step reuses the
// previous step's pages instead of faulting in (and zeroing) new ones. Peak RSS is unchanged.

#if canImport(Glibc)
import Glibc
#endif

public enum Allocator {
    /// Whether the tuning was applied (false off glibc).
    public static let configured: Bool = {
        #if canImport(Glibc)
        // mallopt is declared in <malloc.h>, which Glibc's module does not export: look it up.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else {     // nil: RTLD_DEFAULT
            return false
        }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3     // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, Int32.max)
        return true
        #else
        return false
        #endif
    }()

    /// Applies the tuning once per process (Parallel does this on first use).
    public static func reuseLargeBlocks() {
        _ = configured
    }
}
