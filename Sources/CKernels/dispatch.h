// Per-function instruction-set variants without build flags: a kernel's body is written once as
// an always-inline function in plain C, and VT_MULTIVERSION compiles it three times (AVX-512,
// AVX2+FMA, baseline) and picks one per call from vt_cpu_level(). Not part of the public header.
#ifndef VT_DISPATCH_H
#define VT_DISPATCH_H

#include "CKernels.h"

#define VT_INLINE static inline __attribute__((always_inline))

#if defined(__x86_64__)
#define VT_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))
#define VT_TARGET_AVX2 __attribute__((target("avx2,fma")))

/// Defines `void name params` that runs `name##_body args` compiled for the current level.
/// The body is inlined into each variant, so the compiler vectorises it for that level's registers
/// (and contracts a·b + c into FMAs where the level has them).
#define VT_MULTIVERSION(name, params, args)                                     \
    VT_TARGET_AVX512 static void name##_avx512 params { name##_body args; }     \
    VT_TARGET_AVX2 static void name##_avx2 params { name##_body args; }         \
    static void name##_baseline params { name##_body args; }                    \
    void name params {                                                          \
        switch (vt_cpu_level()) {                                               \
        case VT_CPU_AVX512: name##_avx512 args; break;                          \
        case VT_CPU_AVX2: name##_avx2 args; break;                              \
        default: name##_baseline args; break;                                   \
        }                                                                       \
    }
#else
// Other architectures: the portable body only (the compiler vectorises it for the base ISA,
// e.g. NEON on arm64).
#define VT_MULTIVERSION(name, params, args) void name params { name##_body args; }
#endif

#endif
