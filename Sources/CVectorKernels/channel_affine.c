#include "CVectorKernels.h"

#include <string.h>

// No fused multiply-adds: every variant gives the bits of the baseline (for_each_isa.h).
#pragma clang fp contract(off)

#define ZOO_BODY "channel_affine_body.h"
#include "for_each_isa.h"

void zoo_channel_affine(
    const float *x, float *y, long rows, int channels, const float *scale, const float *shift, int activation) {
    switch (zoo_vector_selected()) {
    case ZOO_VECTOR_AVX512: channel_affine_avx512(x, y, rows, channels, scale, shift, activation); break;
    case ZOO_VECTOR_AVX2: channel_affine_avx2(x, y, rows, channels, scale, shift, activation); break;
    default: channel_affine_baseline(x, y, rows, channels, scale, shift, activation); break;
    }
}
