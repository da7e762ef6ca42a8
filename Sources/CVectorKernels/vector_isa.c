#include "CVectorKernels.h"

#include <stdatomic.h>

// Set once by Swift (VectorKernels) before the first kernel runs, and by tests that compare
// the variants; read by every call.
static _Atomic int selected = ZOO_VECTOR_BASELINE;

void zoo_vector_select(zoo_vector_isa isa) { atomic_store_explicit(&selected, (int)isa, memory_order_relaxed); }

zoo_vector_isa zoo_vector_selected(void) { return (zoo_vector_isa)atomic_load_explicit(&selected, memory_order_relaxed); }
