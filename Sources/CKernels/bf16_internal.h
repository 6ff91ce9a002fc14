// Declarations shared by the bf16 GEMM files (not part of the public header).
#ifndef VT_BF16_INTERNAL_H
#define VT_BF16_INTERNAL_H

#include <stdint.h>

float vt_round_to_bf16(float x);
void vt_gemm_bf16_portable(int transA, int transB, long m, long n, long k, float alpha,
                           const float *a, long lda, const float *b, long ldb,
                           float beta, float *c, long ldc);

/// k pairs per block in both bf16 kernels (a multiple of 16): ViT's k = 576 and 768 take one block.
#define VT_BF16_KCP 384

#if defined(__x86_64__)
// Packers (bf16_pack.c, AVX-512 BF16). kc ≤ 2·VT_BF16_KCP values along k become (kc+1)/2 pairs;
// each panel has `pairStride` (≥ the pairs, a multiple of 16 for the AMX kernel) pair rows,
// those past the data zero, as are lines past `width`.

/// Lines along a wide axis whose pairs come from two consecutive k-rows, element (kk, j) at
/// x[kk*ld + j] → panels of panelWidth lines, each [pairStride][panelWidth]. Each pair of k-rows
/// is read once across the whole width, so memory streams in order.
void vt_bf16_pack_rows_paired(const float *x, long ld, long kc, long width, int panelWidth,
                              long pairStride, uint32_t *out);

/// width ≤ panelWidth lines that each run along k, element (kk, j) at x[j*ld + kk] →
/// [pairStride][panelWidth]. Each group of sixteen lines is converted line by line into an L1
/// buffer (reading memory in order, which the prefetchers follow), then transposed sixteen pairs
/// at a time in registers.
void vt_bf16_pack_lines_along_k(const float *x, long ld, long kc, long width, int panelWidth,
                                long pairStride, uint32_t *out);

/// The transposed layouts, for an AMX A tile [line][pairs]: width lines along k, element (kk, j)
/// at x[j*ld + kk] → rowsOut (≥ width) rows of pairStride words.
void vt_bf16_pack_lines_rows(const float *x, long ld, long kc, long width, long rowsOut,
                             long pairStride, uint32_t *out);

/// As vt_bf16_pack_lines_rows for lines along the wide axis, element (kk, j) at x[kk*ld + j];
/// rowsOut a multiple of 16.
void vt_bf16_pack_rows_paired_rows(const float *x, long ld, long kc, long width, long rowsOut,
                                   long pairStride, uint32_t *out);

/// The AMX kernel (bf16_amx.c), arguments as vt_gemm_bf16 with m, n, k > 0; 0 (having done
/// nothing) when the pack buffers could not be allocated.
int vt_gemm_bf16_amx(int transA, int transB, long m, long n, long k, float alpha, const float *a, long lda,
                     const float *b, long ldb, float beta, float *c, long ldc);
#endif

#endif
