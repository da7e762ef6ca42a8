// MPI's handles are macros (in Open MPI, addresses of globals of incomplete type; MPI_IN_PLACE
// is (void *)1), which Swift cannot import: these functions return them.
#pragma once
#include <mpi.h>

static inline MPI_Comm zoo_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype zoo_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype zoo_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype zoo_mpi_char(void) { return MPI_CHAR; }
static inline MPI_Op zoo_mpi_sum(void) { return MPI_SUM; }
static inline void *zoo_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int zoo_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline MPI_Status *zoo_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Request zoo_mpi_request_null(void) { return MPI_REQUEST_NULL; }
