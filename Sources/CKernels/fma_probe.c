// The machine's FMA peak for `vittrain bench --gemm`, measured rather than looked up: one thread
// runs 12 independent chains of vector FMAs (enough to cover a 4-cycle latency on two pipes) at
// the current CPU level's width, so the rate is clock × FLOP per cycle of one core as it runs now;
// and the clock itself, from a chain of dependent integer adds (one cycle each on x86-64).
#include "dispatch.h"
#include <time.h>

enum { CHAINS = 12 };

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/// acc = acc·m + a on CHAINS vectors of `lanes` floats for `iterations` rounds; returns the FLOPs.
/// The multiplier is just below 1 and the addend small, so values stay normal (no denormal stalls).
#define VT_PROBE_BODY(VEC, SET1, FMA, lanes)                                                    \
    VEC acc[CHAINS];                                                                             \
    for (int c = 0; c < CHAINS; c++) acc[c] = SET1(1.0f + c);                                    \
    VEC m = SET1(0.999999f), a = SET1(1e-6f);                                                    \
    for (long i = 0; i < iterations; i++) {                                                      \
        VT_UNROLL_CHAINS for (int c = 0; c < CHAINS; c++) acc[c] = FMA(acc[c], m, a);            \
    }                                                                                            \
    VEC sum = acc[0];                                                                            \
    for (int c = 1; c < CHAINS; c++) sum = FMA(sum, m, acc[c]);                                  \
    float out[lanes];                                                                            \
    memcpy(out, &sum, sizeof out);                                                               \
    sink = out[0];                                                                               \
    return 2.0 * lanes * CHAINS * iterations;

#if defined(__clang__)
#define VT_UNROLL_CHAINS _Pragma("clang loop unroll(full)")
#else
#define VT_UNROLL_CHAINS _Pragma("GCC unroll 16")
#endif

#include <string.h>
static volatile float sink;     // keeps the chains' results alive

#if defined(__x86_64__)
#include <immintrin.h>
VT_TARGET_AVX512 static double probeAVX512(long iterations) {
    VT_PROBE_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, 16)
}
VT_TARGET_AVX2 static double probeAVX2(long iterations) {
    VT_PROBE_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, 8)
}
#endif

/// Plain C: four lanes of multiply then add (no FMA at the x86-64 baseline: two instructions).
typedef float Lanes4 __attribute__((vector_size(16)));
static inline Lanes4 splat4(float x) { Lanes4 v = { x, x, x, x }; return v; }
static inline Lanes4 mulAdd4(Lanes4 x, Lanes4 m, Lanes4 a) { return x * m + a; }
static double probeBaseline(long iterations) {
    VT_PROBE_BODY(Lanes4, splat4, mulAdd4, 4)
}

double vt_fma_peak_gflops(double duration) {
    double best = 0;
    long iterations = 1 << 16;
    // Many repeats of about a millisecond, the best kept: other processes only ever slow a repeat,
    // and on a shared machine short windows without them are common where long ones are rare.
    for (double start = seconds(); seconds() - start < duration;) {
        double t0 = seconds(), flops;
        switch (vt_cpu_level()) {
#if defined(__x86_64__)
        case VT_CPU_AVX512: flops = probeAVX512(iterations); break;
        case VT_CPU_AVX2: flops = probeAVX2(iterations); break;
#endif
        default: flops = probeBaseline(iterations); break;
        }
        double elapsed = seconds() - t0;
        if (elapsed < 1e-3) iterations *= 2;
        else if (flops / elapsed / 1e9 > best) best = flops / elapsed / 1e9;
    }
    return best;
}

double vt_measure_clock_mhz(double duration) {
#if defined(__x86_64__)
    double best = 0;
    long iterations = 1 << 14;
    for (double start = seconds(); seconds() - start < duration;) {
        unsigned long x = 0;
        double t0 = seconds();
        for (long i = 0; i < iterations; i++) {
            // 16 adds, each waiting for the one before: 16 cycles whatever the core's width.
            __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                             "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                             "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                             "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
        }
        double elapsed = seconds() - t0;
        if (elapsed < 1e-3) iterations *= 2;
        else if (16.0 * iterations / elapsed / 1e6 > best) best = 16.0 * iterations / elapsed / 1e6;
    }
    return best;
#else
    (void)duration;
    return 0;                     // no portable one-cycle chain: callers fall back to /proc/cpuinfo
#endif
}
