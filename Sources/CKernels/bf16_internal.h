// Declarations shared by the bf16 GEMM files (not part of the public header).
#ifndef VT_BF16_INTERNAL_H
#define VT_BF16_INTERNAL_H

float vt_round_to_bf16(float x);
void vt_gemm_bf16_portable(int transA, int transB, long m, long n, long k, float alpha,
                           const float *a, long lda, const float *b, long ldb,
                           float beta, float *c, long ldc);

#endif
