// The vector type and its helpers for one instruction set: for_each_isa.h includes this file
// before each kernel body, with ZOO_ISA (the names' suffix), ZOO_TARGET (the function
// attribute) and ZOO_WIDTH (floats per vector) defined.

#define ZOO_JOIN_(name, isa) name##_##isa
#define ZOO_JOIN(name, isa) ZOO_JOIN_(name, isa)
#define ZOO_NAME(name) ZOO_JOIN(name, ZOO_ISA)
#define VEC ZOO_NAME(vec)
#define MASK ZOO_NAME(mask)

typedef float VEC __attribute__((vector_size(ZOO_WIDTH * sizeof(float))));
typedef int MASK __attribute__((vector_size(ZOO_WIDTH * sizeof(float))));

// Vectors go by pointer, never by value: a by-value vector wider than the baseline's registers
// would take a different calling convention in the baseline variant.

/// `*v` = the first `lanes` floats at `p`, the rest zero.
ZOO_TARGET static inline void ZOO_NAME(load)(VEC *v, const float *p, int lanes) {
    const VEC zero = {0};
    *v = zero;
    if (lanes == ZOO_WIDTH) memcpy(v, p, sizeof *v);
    else memcpy(v, p, (size_t)lanes * sizeof(float));
}

ZOO_TARGET static inline void ZOO_NAME(store)(const VEC *v, float *p, int lanes) {
    if (lanes == ZOO_WIDTH) memcpy(p, v, sizeof *v);
    else memcpy(p, v, (size_t)lanes * sizeof(float));
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

