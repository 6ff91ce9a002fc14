// Runtime CPU checks. For the AVX-512 BF16 GEMM: the CPU must report AVX-512F/BW/VL and
// AVX512_BF16 (for the fp32 GEMM: AVX-512F), and the OS must save the opmask and zmm registers
// (XCR0), or the kernel must never run; computed once and cached; non-x86-64 builds answer 0. For the Swift kernels, which x86-64
// builds compile for Haswell-level CPUs: AVX, AVX2 and FMA with the ymm state enabled.
#include "CKernels.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <stdatomic.h>

// XCR0 read without requiring the xsave target feature for this file.
static unsigned long long read_xcr0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

/// AVX512F with the opmask and zmm state saved by the OS.
static int detectAVX512F(void) {
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid(1, eax, ebx, ecx, edx);
    if (!(ecx & (1u << 27))) return 0;                // OSXSAVE: xgetbv is usable
    // XCR0 bits 1,2 (SSE, AVX) and 5,6,7 (opmask, upper halves of zmm0-15, zmm16-31).
    if ((read_xcr0() & 0xE6) != 0xE6) return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    return (ebx & (1u << 16)) ? 1 : 0;                // AVX512F
}

static int detect(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!detectAVX512F()) return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    unsigned int maxSubleaf = eax;
    if (!(ebx & (1u << 30))) return 0;                // AVX512BW
    if (!(ebx & (1u << 31))) return 0;                // AVX512VL
    if (maxSubleaf < 1) return 0;
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    return (eax & (1u << 5)) ? 1 : 0;                 // AVX512_BF16
}

int vt_cpu_has_avx512_bf16(void) {
    // -1 = not yet known. Racing first calls compute the same answer, so relaxed order suffices.
    static atomic_int cached = -1;
    int value = atomic_load_explicit(&cached, memory_order_relaxed);
    if (value < 0) {
        value = detect();
        atomic_store_explicit(&cached, value, memory_order_relaxed);
    }
    return value;
}

int vt_cpu_has_avx512f(void) {
    static atomic_int cached = -1;                    // as above
    int value = atomic_load_explicit(&cached, memory_order_relaxed);
    if (value < 0) {
        value = detectAVX512F();
        atomic_store_explicit(&cached, value, memory_order_relaxed);
    }
    return value;
}

int vt_cpu_has_avx2_fma(void) {
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid(1, eax, ebx, ecx, edx);
    if (!(ecx & (1u << 27)) || !(ecx & (1u << 28)) || !(ecx & (1u << 12))) return 0;   // OSXSAVE, AVX, FMA
    if ((read_xcr0() & 0x6) != 0x6) return 0;         // XCR0: SSE and AVX (ymm) state
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    return (ebx & (1u << 5)) ? 1 : 0;                 // AVX2
}
#else
int vt_cpu_has_avx512_bf16(void) { return 0; }
int vt_cpu_has_avx512f(void) { return 0; }
int vt_cpu_has_avx2_fma(void) { return 1; }           // nothing x86-specific is required elsewhere
#endif
