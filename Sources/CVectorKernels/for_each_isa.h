// Includes the kernel body ZOO_BODY names once per instruction set, each time after the vector
// helpers of that set (isa_vectors.h): SSE2 with 8 floats a step (the x86-64 baseline, as
// Swift's SIMD8), AVX2 with 8, AVX-512 (F, VL, BW, DQ) with 16. The file that includes this one
// turns contraction off first, so that the three give the same bits.

#define ZOO_ISA baseline
#define ZOO_TARGET
#define ZOO_WIDTH 8
#include "isa_vectors.h"
#include ZOO_BODY
#include "isa_vectors_end.h"

#define ZOO_ISA avx2
#define ZOO_TARGET __attribute__((target("avx2")))
#define ZOO_WIDTH 8
#include "isa_vectors.h"
#include ZOO_BODY
#include "isa_vectors_end.h"

#define ZOO_ISA avx512
#define ZOO_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))
#define ZOO_WIDTH 16
#include "isa_vectors.h"
#include ZOO_BODY
#include "isa_vectors_end.h"
