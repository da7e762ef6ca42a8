// Ends one instruction set's pass of for_each_isa.h.
#undef VEC
#undef MASK
#undef ZOO_NAME
#undef ZOO_JOIN
#undef ZOO_JOIN_
#undef ZOO_ISA
#undef ZOO_TARGET
#undef ZOO_WIDTH
