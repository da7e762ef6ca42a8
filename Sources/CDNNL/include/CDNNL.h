// A C shim around oneDNN's convolutions for ZooTensor: one handle per (pass, geometry) holds
// the primitive oneDNN chose for channels-last activations and Zoo's (D)HWIO kernels, and the
// reorder between Zoo's kernel layout and the blocked layout the primitive wants. Swift sees
// plain ints and pointers; oneDNN's descriptor structs stay on this side.
#pragma once
#include <stddef.h>

/// Which product a handle computes.
typedef enum {
    ZOO_DNNL_FORWARD = 0,          // y = conv(x, w) (+ bias)
    ZOO_DNNL_BACKWARD_DATA = 1,    // dx = conv's adjoint applied to dy
    ZOO_DNNL_BACKWARD_WEIGHTS = 2  // dw = the kernel gradient from x and dy
} zoo_dnnl_pass;

/// The geometry of a convolution: `spatial_dims` 2 (the depth entries are then 1 and 0) or 3;
/// extents and offsets per axis in the order depth, height, width.
typedef struct {
    int spatial_dims;
    int batch;
    int input[3];
    int in_channels;
    int output[3];
    int out_channels;
    int kernel[3];
    int strides[3];
    int dilations[3];
    int pad_before[3];
    int with_bias;
    /// 1, or in_channels for a depthwise convolution, whose kernel is then (spatial..., in,
    /// multiplier) and whose output channel c * multiplier + j is input channel c's filter j.
    int groups;
    /// Forward only: what the output pass adds, inside oneDNN's kernel (post-ops):
    /// y = activation(acc * scale + shift + y_before), with `post_scale_shift` a per-channel
    /// scale and shift, `post_sum` adding what `out` held before the call (the caller copies
    /// the residual there), `post_activation` 0 none, 1 ReLU, 2 ReLU6.
    int post_scale_shift;
    int post_sum;
    int post_activation;
} zoo_dnnl_geometry;

typedef struct zoo_dnnl_convolution zoo_dnnl_convolution;

/// Whether oneDNN could be loaded and an engine created (0 or 1).
int zoo_dnnl_available(void);

/// A symbol of the loaded oneDNN library or of the libraries it loaded (its OpenMP runtime),
/// or NULL when oneDNN is not there.
void *zoo_dnnl_symbol(const char *name);

/// Whether Zoo set libgomp's spin (GOMP_SPINCOUNT) before oneDNN loaded (0 or 1): only for
/// ZOO_POOL=dispatch, and only where the environment set neither it nor OMP_WAIT_POLICY.
int zoo_openmp_spin_set_by_zoo(void);

/// Whether libgomp's threads can run Zoo's loops (oneDNN, and with it libgomp, is loaded).
int zoo_parallel_available(void);

/// Runs body(context, i) for every i in 0..<count on `threads` of libgomp's threads (the
/// caller among them), each taking the next index; returns 0, running nothing, when oneDNN and
/// with it libgomp is not there.
int zoo_parallel_for(long count, int threads, void (*body)(void *, long), void *context);

/// oneDNN's version numbers.
void zoo_dnnl_version(int *major, int *minor, int *patch);

/// The widest instruction set oneDNN dispatches to in this process (`avx512_core`, `avx2`, ...),
/// after any cap the environment sets (ONEDNN_MAX_CPU_ISA); "none" without oneDNN.
const char *zoo_dnnl_isa(void);

/// Creates the primitive for `pass` on `geometry`, or returns NULL with the reason in `error`.
zoo_dnnl_convolution *zoo_dnnl_create(
    zoo_dnnl_pass pass, const zoo_dnnl_geometry *geometry, char *error, size_t error_size);

/// The implementation oneDNN chose, e.g. "brgconv:avx512_core".
const char *zoo_dnnl_implementation(const zoo_dnnl_convolution *convolution);

/// Bytes of the kernel in the layout the primitive reads (forward and backward data), 0 when it
/// reads Zoo's layout as is or is a backward-weights pass.
size_t zoo_dnnl_prepared_weights_bytes(const zoo_dnnl_convolution *convolution);

/// Whether two primitives read the kernel in the same prepared layout (1) or not (0).
int zoo_dnnl_same_weights_layout(const zoo_dnnl_convolution *a, const zoo_dnnl_convolution *b);

/// Writes `weights` (Zoo's layout) into `prepared` (64-byte aligned, of the size above) in the
/// primitive's layout, so that calls on an unchanged kernel skip the reorder.
int zoo_dnnl_prepare_weights(
    zoo_dnnl_convolution *convolution, int threads, const float *weights, void *prepared, char *error,
    size_t error_size);

/// Bytes of the workspace a call needs (64-byte aligned): the reordered kernel, unless
/// `prepared` (a call given prepared_b; backward weights always reorders), and oneDNN's
/// scratchpad.
size_t zoo_dnnl_workspace_bytes(const zoo_dnnl_convolution *convolution, int prepared);

/// Runs the pass on `threads` threads. Pointers by pass:
///   forward:          a = x, b = w, bias (or NULL), scale and shift (with post_scale_shift,
///                     else NULL), out = y
///   backward data:    a = dy, b = w, bias unused,   out = dx
///   backward weights: a = x, b = dy, bias unused,   out = dw
/// `prepared_b` (forward and backward data; NULL otherwise) is w as zoo_dnnl_prepare_weights
/// wrote it, which the call then reads instead of reordering b. `workspace` holds the bytes
/// zoo_dnnl_workspace_bytes asks for (NULL when it asks for none).
/// Activations are channels-last, kernels (spatial..., in, out) as Keras stores them.
/// Returns 0, or a oneDNN status with the failing step in `error`.
int zoo_dnnl_execute(
    zoo_dnnl_convolution *convolution, int threads, const float *a, const float *b, const void *prepared_b,
    const float *bias, const float *scale, const float *shift, float *out, void *workspace, char *error,
    size_t error_size);

void zoo_dnnl_destroy(zoo_dnnl_convolution *convolution);
