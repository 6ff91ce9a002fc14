// Runtime CPU checks, computed once and cached: the dispatch level of every kernel (baseline,
// AVX2+FMA, AVX-512 F/BW/DQ/VL, each also needing the OS to save its registers, XCR0), which the
// environment variable VITTRAIN_CPU can lower for testing, and AVX512_BF16 and AMX-BF16 for the
// bf16 GEMM (AMX also needs the kernel's permission, asked for once; VITTRAIN_AMX=off declines it).
// Non-x86-64 builds are always at the baseline level.
#include "CKernels.h"
#include <stdlib.h>
#include <string.h>

int vt_cpu_requested_level(void) {
    const char *value = getenv("VITTRAIN_CPU");
    if (!value || !*value || strcmp(value, "auto") == 0) return -1;
    if (strcmp(value, "baseline") == 0) return VT_CPU_BASELINE;
    if (strcmp(value, "avx2") == 0) return VT_CPU_AVX2;
    if (strcmp(value, "avx512") == 0) return VT_CPU_AVX512;
    return -2;
}

const char *vt_cpu_level_name(int level) {
    switch (level) {
    case VT_CPU_AVX512: return "avx512";
    case VT_CPU_AVX2: return "avx2";
    default: return "baseline";
    }
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <stdatomic.h>
#include <unistd.h>
#include <sys/syscall.h>

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

static int detectAVX2FMA(void);

/// AVX-512F plus BW, DQ and VL: what the AVX-512 variants of the row kernels are compiled for.
static int detectAVX512Level(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!detectAVX512F() || !detectAVX2FMA()) return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    return (ebx & (1u << 16)) && (ebx & (1u << 17)) && (ebx & (1u << 30)) && (ebx & (1u << 31));
}

int vt_cpu_detected_level(void) {
    // -1 = not yet known. Racing first calls compute the same answer, so relaxed order suffices.
    static atomic_int cached = -1;
    int value = atomic_load_explicit(&cached, memory_order_relaxed);
    if (value < 0) {
        value = detectAVX512Level() ? VT_CPU_AVX512 : detectAVX2FMA() ? VT_CPU_AVX2 : VT_CPU_BASELINE;
        atomic_store_explicit(&cached, value, memory_order_relaxed);
    }
    return value;
}

static atomic_int levelInEffect = -1;                 // -1: not yet chosen

/// A request can only lower the level: the CPU cannot run instructions it lacks.
static int clampLevel(int requested) {
    int detected = vt_cpu_detected_level();
    return requested >= 0 && requested < detected ? requested : detected;
}

int vt_cpu_level(void) {
    int value = atomic_load_explicit(&levelInEffect, memory_order_relaxed);
    if (value < 0) {
        value = clampLevel(vt_cpu_requested_level());
        atomic_store_explicit(&levelInEffect, value, memory_order_relaxed);
    }
    return value;
}

int vt_cpu_set_level(int level) {
    int value = level < 0 ? clampLevel(vt_cpu_requested_level()) : clampLevel(level);
    atomic_store_explicit(&levelInEffect, value, memory_order_relaxed);
    return value;
}

int vt_cpu_detected_avx512_bf16(void) {
    static atomic_int cached = -1;                    // the CPU's answer; the level may change
    int value = atomic_load_explicit(&cached, memory_order_relaxed);
    if (value < 0) {
        value = detect();
        atomic_store_explicit(&cached, value, memory_order_relaxed);
    }
    return value;
}

int vt_cpu_has_avx512_bf16(void) { return vt_cpu_detected_avx512_bf16() && vt_cpu_level() == VT_CPU_AVX512; }

int vt_cpu_has_avx512f(void) { return vt_cpu_level() == VT_CPU_AVX512; }

int vt_cpu_has_avx2_fma(void) { return vt_cpu_level() >= VT_CPU_AVX2; }

static int detectAVX2FMA(void) {
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid(1, eax, ebx, ecx, edx);
    if (!(ecx & (1u << 27)) || !(ecx & (1u << 28)) || !(ecx & (1u << 12))) return 0;   // OSXSAVE, AVX, FMA
    if ((read_xcr0() & 0x6) != 0x6) return 0;         // XCR0: SSE and AVX (ymm) state
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    return (ebx & (1u << 5)) ? 1 : 0;                 // AVX2
}
/// AMX-TILE and AMX-BF16 with the tile state enabled in XCR0 (bits 17, 18), and Linux's
/// permission for this process to use it (arch_prctl ARCH_REQ_XCOMP_PERM: tile data is a large
/// state the kernel allocates per thread only for processes that ask).
static int detectAMX(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!detectAVX512F() || __get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    if (!(edx & (1u << 22)) || !(edx & (1u << 24))) return 0;     // AMX-BF16, AMX-TILE
    if ((read_xcr0() & (3ull << 17)) != (3ull << 17)) return 0;   // XTILECFG, XTILEDATA
#if defined(__linux__)
    const long archRequestPermission = 0x1023, tileData = 18;     // ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA
    return syscall(SYS_arch_prctl, archRequestPermission, tileData) == 0;
#else
    return 0;
#endif
}

int vt_cpu_detected_amx_bf16(void) {
    static atomic_int cached = -1;
    int value = atomic_load_explicit(&cached, memory_order_relaxed);
    if (value < 0) {
        value = detectAMX();
        atomic_store_explicit(&cached, value, memory_order_relaxed);
    }
    return value;
}

static atomic_int amxWanted = -1;                     // -1: from VITTRAIN_AMX on first use

static int amxWantedByEnvironment(void) {
    const char *value = getenv("VITTRAIN_AMX");
    return !(value && (strcmp(value, "off") == 0 || strcmp(value, "0") == 0));
}

int vt_bf16_uses_amx(void) {
    int wanted = atomic_load_explicit(&amxWanted, memory_order_relaxed);
    if (wanted < 0) {
        wanted = amxWantedByEnvironment();
        atomic_store_explicit(&amxWanted, wanted, memory_order_relaxed);
    }
    return wanted && vt_cpu_has_avx512_bf16() && vt_cpu_detected_amx_bf16();
}

int vt_bf16_set_amx(int enabled) {
    atomic_store_explicit(&amxWanted, enabled < 0 ? amxWantedByEnvironment() : enabled != 0, memory_order_relaxed);
    return vt_bf16_uses_amx();
}
#else
int vt_cpu_detected_level(void) { return VT_CPU_BASELINE; }
int vt_cpu_level(void) { return VT_CPU_BASELINE; }
int vt_cpu_set_level(int level) { (void)level; return VT_CPU_BASELINE; }
int vt_cpu_detected_avx512_bf16(void) { return 0; }
int vt_cpu_has_avx512_bf16(void) { return 0; }
int vt_cpu_has_avx512f(void) { return 0; }
int vt_cpu_has_avx2_fma(void) { return 0; }
int vt_cpu_detected_amx_bf16(void) { return 0; }
int vt_bf16_uses_amx(void) { return 0; }
int vt_bf16_set_amx(int enabled) { (void)enabled; return 0; }
#endif
