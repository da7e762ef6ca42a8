// Zoo's own vector kernels in C, compiled once per instruction set (function attributes, so no
// compiler flag is needed) and chosen at run time: Swift's code is compiled for the x86-64
// baseline (SSE2), which leaves AVX2's and AVX-512's wider registers unused on the machines
// that have them. Every variant does the same operations in the same order without fused
// multiply-adds, so all give the same bits on every machine.
#pragma once
#include <stddef.h>

/// The instruction sets the kernels are compiled for, narrowest first.
typedef enum {
    ZOO_VECTOR_BASELINE = 0,  // SSE2, 8 floats a step as Swift's SIMD8 (two registers)
    ZOO_VECTOR_AVX2 = 1,      // AVX2, 8 floats a register
    ZOO_VECTOR_AVX512 = 2     // AVX-512 (F, VL, BW, DQ), 16 floats a register
} zoo_vector_isa;

/// Makes `isa` the set every later call uses; the caller checks that the CPU has it.
void zoo_vector_select(zoo_vector_isa isa);

/// The set in use (ZOO_VECTOR_BASELINE until zoo_vector_select is called).
zoo_vector_isa zoo_vector_selected(void);

/// What an output pass applies after the bias, per channel: y = activation(y * scale + shift +
/// residual), `residual` NULL for none, `activation` 0 none, 1 ReLU, 2 ReLU6 (as Swift's
/// max(x, 0) and min(x, 6): a NaN stays NaN, -0 becomes +0).
typedef struct {
    const float *scale;
    const float *shift;
    const float *residual;
    int activation;
} zoo_tile_epilogue;

/// Winograd F(4x4, 3x3): `Bᵀ d B` of the 6x6 input patch whose top-left input pixel is
/// (row0, column0) (negative or past the edge: zeros) of `image` (height, width, channels), for
/// every channel: element p of the 36 at `target + p * stride`.
void zoo_winograd_input_tile(
    const float *image, int height, int width, int channels, int row0, int column0, float *target, long stride);

/// Winograd F(4x4, 3x3): `Aᵀ m A` of one tile for every channel (element p of the 36 at
/// `products + p * stride`), plus `bias` (NULL: none), then `epilogue` (NULL: none), written to
/// the tile's first `rows` x `columns` outputs: output (r, c) at `y + r * row_stride + c *
/// channels`; the epilogue's residual, if any, is laid out as `y`.
void zoo_winograd_output_tile(
    const float *products, long stride, int channels, int rows, int columns, const float *bias,
    const zoo_tile_epilogue *epilogue, float *y, long row_stride);
