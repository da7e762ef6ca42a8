// The tile transforms of Winograd F(4x4, 3x3) for one instruction set. winograd_tiles.c
// includes this file once per set, with ZOO_ISA (the names' suffix), ZOO_TARGET (the function
// attribute) and ZOO_WIDTH (floats per vector) defined. The arithmetic is the one the Swift
// kernels did, operation for operation (Lavin and Gray's Bᵀ, Aᵀ), with contraction off.

#define ZOO_JOIN_(name, isa) name##_##isa
#define ZOO_JOIN(name, isa) ZOO_JOIN_(name, isa)
#define ZOO_NAME(name) ZOO_JOIN(name, ZOO_ISA)
#define VEC ZOO_NAME(vec)
#define MASK ZOO_NAME(mask)

typedef float VEC __attribute__((vector_size(ZOO_WIDTH * sizeof(float))));
typedef int MASK __attribute__((vector_size(ZOO_WIDTH * sizeof(float))));

// Vectors go by pointer, never by value: a by-value vector wider than the baseline's registers
// would take a different calling convention in the baseline variant.

// A whole vector moves by `__builtin_memcpy_inline`, which is always one unaligned vector move.
// A plain memcpy of `sizeof *v` beside the partial one of `lanes * sizeof(float)` bytes was
// merged with it into one call of libc's memcpy with a variable length (the two agree when
// `lanes` is the width): every load and store of the transforms was a call.

/// `*v` = the first `lanes` floats at `p`, the rest zero.
ZOO_TARGET static inline void ZOO_NAME(load)(VEC *v, const float *p, int lanes) {
    if (lanes == ZOO_WIDTH) {
        __builtin_memcpy_inline(v, p, sizeof *v);
    } else {
        const VEC zero = {0};
        *v = zero;
        memcpy(v, p, (size_t)lanes * sizeof(float));
    }
}

ZOO_TARGET static inline void ZOO_NAME(store)(const VEC *v, float *p, int lanes) {
    if (lanes == ZOO_WIDTH) __builtin_memcpy_inline(p, v, sizeof *v);
    else memcpy(p, v, (size_t)lanes * sizeof(float));
}

/// `Bᵀ d` in place for six vectors `step` apart, Bᵀ = [4 0 -5 0 1 0; 0 -4 -4 1 1 0;
/// 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1].
ZOO_TARGET static inline void ZOO_NAME(input_transform)(VEC *d, int step) {
    const VEC d0 = d[0], d1 = d[step], d2 = d[2 * step], d3 = d[3 * step], d4 = d[4 * step], d5 = d[5 * step];
    d[0] = 4.0f * d0 - 5.0f * d2 + d4;
    d[step] = d3 + d4 - 4.0f * (d1 + d2);
    d[2 * step] = 4.0f * (d1 - d2) + d4 - d3;
    d[3 * step] = 2.0f * (d3 - d1) + d4 - d2;
    d[4 * step] = 2.0f * (d1 - d3) + d4 - d2;
    d[5 * step] = 4.0f * d1 - 5.0f * d3 + d5;
}

/// `Aᵀ m` for six vectors `step` apart into the first four, Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0;
/// 0 1 1 4 4 0; 0 1 -1 8 -8 1].
ZOO_TARGET static inline void ZOO_NAME(output_transform)(VEC *m, int step) {
    const VEC m0 = m[0], m1 = m[step], m2 = m[2 * step], m3 = m[3 * step], m4 = m[4 * step], m5 = m[5 * step];
    const VEC sum12 = m1 + m2, difference12 = m1 - m2, sum34 = m3 + m4, difference34 = m3 - m4;
    m[0] = m0 + sum12 + sum34;
    m[step] = difference12 + 2.0f * difference34;
    m[2 * step] = sum12 + 4.0f * sum34;
    m[3 * step] = difference12 + 8.0f * difference34 + m5;
}

/// max(v, 0) then, for ReLU6, min(v, 6), as Swift's max and min pick: (0 >= v) ? 0 : v and
/// (6 < v) ? 6 : v.
ZOO_TARGET static inline void ZOO_NAME(activate)(VEC *v, int activation) {
    if (activation == 0) return;
    const VEC zero = {0};
    const MASK not_positive = zero >= *v;
    *v = (VEC)((MASK)*v & ~not_positive);
    if (activation == 2) {
        const VEC six = zero + 6.0f;
        const MASK above = six < *v;
        *v = (VEC)(((MASK)six & above) | ((MASK)*v & ~above));
    }
}

ZOO_TARGET static void ZOO_NAME(input_tile)(
    const float *image, int height, int width, int channels, int row0, int column0, float *target, long stride) {
    VEC d[36];
    for (int channel = 0; channel < channels; channel += ZOO_WIDTH) {
        const int lanes = channels - channel < ZOO_WIDTH ? channels - channel : ZOO_WIDTH;
        for (int row = 0; row < 6; row++) {
            const int y = row0 + row;
            for (int column = 0; column < 6; column++) {
                const int x = column0 + column;
                const VEC zero = {0};
                if (y >= 0 && y < height && x >= 0 && x < width) {
                    ZOO_NAME(load)(&d[row * 6 + column], image + ((long)y * width + x) * channels + channel, lanes);
                } else {
                    d[row * 6 + column] = zero;
                }
            }
        }
        // Bᵀ d (columns), then (Bᵀ d) B (rows).
        for (int column = 0; column < 6; column++) ZOO_NAME(input_transform)(d + column, 6);
        for (int row = 0; row < 6; row++) ZOO_NAME(input_transform)(d + row * 6, 1);
        for (int position = 0; position < 36; position++) ZOO_NAME(store)(&d[position], target + position * stride + channel, lanes);
    }
}

ZOO_TARGET static void ZOO_NAME(output_tile)(
    const float *products, long stride, int channels, int rows, int columns, const float *bias,
    const zoo_tile_epilogue *epilogue, float *y, long row_stride) {
    VEC m[36];
    for (int channel = 0; channel < channels; channel += ZOO_WIDTH) {
        const int lanes = channels - channel < ZOO_WIDTH ? channels - channel : ZOO_WIDTH;
        for (int position = 0; position < 36; position++) ZOO_NAME(load)(&m[position], products + position * stride + channel, lanes);
        // Aᵀ m (columns: 6 rows to 4), then (Aᵀ m) A (rows: 6 columns to 4).
        for (int column = 0; column < 6; column++) ZOO_NAME(output_transform)(m + column, 6);
        for (int row = 0; row < 4; row++) ZOO_NAME(output_transform)(m + row * 6, 1);
        VEC added = {0}, scale = {0}, shift = {0}, residual;
        if (bias) ZOO_NAME(load)(&added, bias + channel, lanes);
        if (epilogue) {
            ZOO_NAME(load)(&scale, epilogue->scale + channel, lanes);
            ZOO_NAME(load)(&shift, epilogue->shift + channel, lanes);
        }
        for (int row = 0; row < rows; row++) {
            for (int column = 0; column < columns; column++) {
                const long offset = row * row_stride + (long)column * channels + channel;
                VEC v = m[row * 6 + column] + added;
                if (epilogue) {
                    v = v * scale + shift;
                    if (epilogue->residual) {
                        ZOO_NAME(load)(&residual, epilogue->residual + offset, lanes);
                        v = v + residual;
                    }
                    ZOO_NAME(activate)(&v, epilogue->activation);
                }
                ZOO_NAME(store)(&v, y + offset, lanes);
            }
        }
    }
}

#undef VEC
#undef MASK
#undef ZOO_NAME
#undef ZOO_JOIN
#undef ZOO_JOIN_
