#include "CVectorKernels.h"

#include <string.h>

// Contraction would fuse a * b + c into one rounding where the set has FMA and not elsewhere:
// off, so that every variant gives the bits of the baseline.
#pragma clang fp contract(off)

#define ZOO_ISA baseline
#define ZOO_TARGET
#define ZOO_WIDTH 8
#include "winograd_tiles_body.h"
#undef ZOO_ISA
#undef ZOO_TARGET
#undef ZOO_WIDTH

// The wider sets exist on x86-64 only; elsewhere the baseline body is the one variant.
#if defined(__x86_64__)
#define ZOO_ISA avx2
#define ZOO_TARGET __attribute__((target("avx2")))
#define ZOO_WIDTH 8
#include "winograd_tiles_body.h"
#undef ZOO_ISA
#undef ZOO_TARGET
#undef ZOO_WIDTH

#define ZOO_ISA avx512
#define ZOO_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))
#define ZOO_WIDTH 16
#include "winograd_tiles_body.h"
#undef ZOO_ISA
#undef ZOO_TARGET
#undef ZOO_WIDTH
#endif

void zoo_winograd_input_tile(
    const float *image, int height, int width, int channels, int row0, int column0, float *target, long stride) {
    switch (zoo_vector_selected()) {
#if defined(__x86_64__)
    case ZOO_VECTOR_AVX512: input_tile_avx512(image, height, width, channels, row0, column0, target, stride); break;
    case ZOO_VECTOR_AVX2: input_tile_avx2(image, height, width, channels, row0, column0, target, stride); break;
#endif
    default: input_tile_baseline(image, height, width, channels, row0, column0, target, stride); break;
    }
}

void zoo_winograd_output_tile(
    const float *products, long stride, int channels, int rows, int columns, const float *bias,
    const zoo_tile_epilogue *epilogue, float *y, long row_stride) {
    switch (zoo_vector_selected()) {
#if defined(__x86_64__)
    case ZOO_VECTOR_AVX512:
        output_tile_avx512(products, stride, channels, rows, columns, bias, epilogue, y, row_stride);
        break;
    case ZOO_VECTOR_AVX2:
        output_tile_avx2(products, stride, channels, rows, columns, bias, epilogue, y, row_stride);
        break;
#endif
    default: output_tile_baseline(products, stride, channels, rows, columns, bias, epilogue, y, row_stride); break;
    }
}
