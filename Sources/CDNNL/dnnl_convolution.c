#include "CDNNL.h"

#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// oneDNN is opened at run time, as ZooTensor opens OpenBLAS: without the library, Zoo runs its
// own kernels. Its OpenMP runtime (libgomp) keeps its default spin: Zoo's own parallel loops run
// on the same threads, so a thread still spinning after a convolution is the one the next loop
// wants. Only where Zoo's loops run on a pool of their own (`ZOO_POOL=dispatch`), whose threads
// the spinning ones would hold the cores from, is the spin cut to 2,000 iterations, as it was
// for every run before the pools were one (with one pool the short spin cost DenseNet121 and
// MobileNetV2 inference 10-20% on an Intel Xeon, docs/PERFORMANCE.md). The environment's own
// OMP_WAIT_POLICY or GOMP_SPINCOUNT always wins.
// Every oneDNN function used here is called through a pointer bound from the opened library.
#define ONEDNN_FUNCTIONS(X) \
    X(dnnl_dilated_convolution_backward_data_desc_init) \
    X(dnnl_dilated_convolution_backward_weights_desc_init) \
    X(dnnl_dilated_convolution_forward_desc_init) \
    X(dnnl_engine_create) \
    X(dnnl_get_effective_cpu_isa) \
    X(dnnl_memory_create) \
    X(dnnl_memory_desc_equal) \
    X(dnnl_memory_desc_get_size) \
    X(dnnl_memory_desc_init_by_tag) \
    X(dnnl_memory_destroy) \
    X(dnnl_post_ops_append_binary) \
    X(dnnl_post_ops_append_eltwise) \
    X(dnnl_post_ops_append_sum) \
    X(dnnl_post_ops_create) \
    X(dnnl_post_ops_destroy) \
    X(dnnl_primitive_attr_create) \
    X(dnnl_primitive_attr_destroy) \
    X(dnnl_primitive_attr_set_post_ops) \
    X(dnnl_primitive_attr_set_scratchpad_mode) \
    X(dnnl_primitive_create) \
    X(dnnl_primitive_desc_create) \
    X(dnnl_primitive_desc_destroy) \
    X(dnnl_primitive_desc_query) \
    X(dnnl_primitive_desc_query_md) \
    X(dnnl_primitive_destroy) \
    X(dnnl_primitive_execute) \
    X(dnnl_reorder_primitive_desc_create) \
    X(dnnl_stream_create) \
    X(dnnl_stream_wait) \
    X(dnnl_version)

#define DECLARE_POINTER(name) static __typeof__(&name) p_##name;
ONEDNN_FUNCTIONS(DECLARE_POINTER)
#define BIND_POINTER(name) \
    if (!(p_##name = (__typeof__(&name))dlsym(library, #name))) return 0;

static const char *library_names[] = {"libdnnl.so.2", "libdnnl.so", "libdnnl.so.3"};

struct zoo_dnnl_convolution {
    zoo_dnnl_pass pass;
    int with_bias;
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t activation_in_md;  // x (forward, backward weights) or dy (backward data)
    dnnl_memory_desc_t weights_md;        // the primitive's (blocked) kernel layout
    dnnl_memory_desc_t user_weights_md;   // Zoo's (D)HWIO kernel layout
    dnnl_memory_desc_t second_md;         // dy for backward weights
    dnnl_memory_desc_t result_md;         // y, dx, or (backward weights) the primitive's dw
    dnnl_memory_desc_t bias_md;
    int post_scale_shift;
    dnnl_memory_desc_t per_channel_md;    // the scale and shift post-ops' inputs
    dnnl_primitive_t weights_reorder;     // user -> primitive (forward, backward data) or back
    size_t weights_bytes;
    size_t scratchpad_bytes;
    dnnl_memory_desc_t scratchpad_md;
    char implementation[64];
};

static dnnl_engine_t engine;
static int engine_ready;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
// oneDNN runs on OpenMP; its thread count is set per call so that it matches Zoo's pool.
static void (*set_omp_threads)(int);
static __thread dnnl_stream_t thread_stream;
// The library, once loaded with an engine, for the symbols of its OpenMP runtime.
static void *loaded;

static int bind(void *library) {
    ONEDNN_FUNCTIONS(BIND_POINTER)
    return 1;
}

static int spin_set_by_zoo;

static void create_engine(void) {
    const char *pool = getenv("ZOO_POOL");
    if (pool && strcmp(pool, "dispatch") == 0 && !getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT")) {
        spin_set_by_zoo = setenv("GOMP_SPINCOUNT", "2000", 0) == 0;
    }
    void *library = NULL;
    for (size_t i = 0; i < sizeof library_names / sizeof *library_names && !library; i++) {
        library = dlopen(library_names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (!library || !bind(library)) return;
    engine_ready = p_dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success;
    set_omp_threads = (void (*)(int))dlsym(library, "omp_set_num_threads");
    loaded = library;
}

int zoo_dnnl_available(void) {
    pthread_once(&engine_once, create_engine);
    return engine_ready;
}

void *zoo_dnnl_symbol(const char *name) { return zoo_dnnl_available() ? dlsym(loaded, name) : NULL; }

int zoo_openmp_spin_set_by_zoo(void) {
    pthread_once(&engine_once, create_engine);
    return spin_set_by_zoo;
}

void zoo_dnnl_version(int *major, int *minor, int *patch) {
    *major = *minor = *patch = 0;
    if (!zoo_dnnl_available()) return;
    const dnnl_version_t *version = p_dnnl_version();
    *major = version->major;
    *minor = version->minor;
    *patch = version->patch;
}

const char *zoo_dnnl_isa(void) {
    if (!zoo_dnnl_available()) return "none";
    switch (p_dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
    }
}

static void fail(char *error, size_t size, const char *step, dnnl_status_t status) {
    snprintf(error, size, "oneDNN %s failed (status %d)", step, (int)status);
}

#define TRY(step, call)                                                  \
    do {                                                                 \
        dnnl_status_t status_ = (call);                                  \
        if (status_ != dnnl_success) {                                   \
            fail(error, error_size, step, status_);                      \
            goto failure;                                                \
        }                                                                \
    } while (0)

zoo_dnnl_convolution *zoo_dnnl_create(
    zoo_dnnl_pass pass, const zoo_dnnl_geometry *g, char *error, size_t error_size) {
    if (!zoo_dnnl_available()) {
        snprintf(error, error_size, "oneDNN has no CPU engine");
        return NULL;
    }
    zoo_dnnl_convolution *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->pass = pass;
    c->with_bias = g->with_bias && pass == ZOO_DNNL_FORWARD;
    dnnl_primitive_desc_t hint = NULL, pd = NULL, reorder_pd = NULL;
    dnnl_primitive_attr_t attributes = NULL;
    dnnl_post_ops_t post_ops = NULL;

    // oneDNN orders dimensions N, C, spatial... and kernels O, I, spatial...; the tags say how
    // memory is laid out, so Zoo's channels-last tensors and (D)HWIO kernels are read in place.
    // A depthwise kernel is oneDNN's grouped one: (groups, out per group, in per group, spatial...),
    // which Keras's (spatial..., in, multiplier) lays out as the tag (d)hwigo with i = 1.
    const int first = g->spatial_dims == 2 ? 1 : 0;
    const int ndims = g->spatial_dims + 2;
    const int grouped = g->groups > 1;
    const int weight_ndims = ndims + grouped;
    const int weight_spatial = 2 + grouped;
    dnnl_dims_t src_dims = {g->batch, g->in_channels}, dst_dims = {g->batch, g->out_channels},
                weight_dims = {g->out_channels, g->in_channels}, bias_dims = {g->out_channels};
    if (grouped) {
        weight_dims[0] = g->groups;
        weight_dims[1] = g->out_channels / g->groups;
        weight_dims[2] = g->in_channels / g->groups;
    }
    dnnl_dims_t strides, dilations, pad_left, pad_right;
    for (int axis = first, i = 0; axis < 3; axis++, i++) {
        src_dims[2 + i] = g->input[axis];
        dst_dims[2 + i] = g->output[axis];
        weight_dims[weight_spatial + i] = g->kernel[axis];
        strides[i] = g->strides[axis];
        dilations[i] = g->dilations[axis] - 1;  // oneDNN counts the gaps between taps
        pad_left[i] = g->pad_before[axis];
        int effective = (g->kernel[axis] - 1) * g->dilations[axis] + 1;
        int right = (g->output[axis] - 1) * g->strides[axis] + effective - g->input[axis] - g->pad_before[axis];
        pad_right[i] = right > 0 ? right : 0;
    }
    const dnnl_format_tag_t activation_tag = g->spatial_dims == 2 ? dnnl_nhwc : dnnl_ndhwc;
    const dnnl_format_tag_t kernel_tag =
        grouped ? (g->spatial_dims == 2 ? dnnl_hwigo : dnnl_dhwigo) : (g->spatial_dims == 2 ? dnnl_hwio : dnnl_dhwio);
    dnnl_memory_desc_t src, dst, any_weights, bias;
    TRY("source descriptor", p_dnnl_memory_desc_init_by_tag(&src, ndims, src_dims, dnnl_f32, activation_tag));
    TRY("destination descriptor", p_dnnl_memory_desc_init_by_tag(&dst, ndims, dst_dims, dnnl_f32, activation_tag));
    // The kernel layout is left to oneDNN: with Zoo's own layout it falls back to its GEMM
    // path, with its blocked layout it takes the direct (brgemm/JIT) kernels.
    TRY("weights descriptor", p_dnnl_memory_desc_init_by_tag(&any_weights, weight_ndims, weight_dims, dnnl_f32, dnnl_format_tag_any));
    TRY("user weights descriptor", p_dnnl_memory_desc_init_by_tag(&c->user_weights_md, weight_ndims, weight_dims, dnnl_f32, kernel_tag));
    TRY("bias descriptor", p_dnnl_memory_desc_init_by_tag(&bias, 1, bias_dims, dnnl_f32, dnnl_a));

    TRY("attributes", p_dnnl_primitive_attr_create(&attributes));
    // The scratchpad is passed in by each call, so one primitive can run on several threads.
    TRY("scratchpad mode", p_dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user));
    if (pass == ZOO_DNNL_FORWARD && (g->post_scale_shift || g->post_sum || g->post_activation)) {
        // In the order of Zoo's OutputEpilogue. A residual as a full-size binary input would
        // push oneDNN 2.6 off its brgemm kernels; the sum post-op keeps them.
        dnnl_dims_t channel_dims = {1, g->out_channels, 1, 1, 1};
        TRY("per-channel descriptor",
            p_dnnl_memory_desc_init_by_tag(&c->per_channel_md, ndims, channel_dims, dnnl_f32, activation_tag));
        TRY("post-ops", p_dnnl_post_ops_create(&post_ops));
        if (g->post_scale_shift) {
            c->post_scale_shift = 1;
            TRY("scale post-op", p_dnnl_post_ops_append_binary(post_ops, dnnl_binary_mul, &c->per_channel_md));
            TRY("shift post-op", p_dnnl_post_ops_append_binary(post_ops, dnnl_binary_add, &c->per_channel_md));
        }
        if (g->post_sum) TRY("sum post-op", p_dnnl_post_ops_append_sum(post_ops, 1.0f));
        if (g->post_activation == 1) TRY("ReLU post-op", p_dnnl_post_ops_append_eltwise(post_ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
        if (g->post_activation == 2) TRY("ReLU6 post-op", p_dnnl_post_ops_append_eltwise(post_ops, 1.0f, dnnl_eltwise_clip, 0.0f, 6.0f));
        TRY("post-ops attribute", p_dnnl_primitive_attr_set_post_ops(attributes, post_ops));
    }

    dnnl_convolution_desc_t forward;
    TRY("forward descriptor",
        p_dnnl_dilated_convolution_forward_desc_init(
            &forward, dnnl_forward_training, dnnl_convolution_direct, &src, &any_weights, c->with_bias ? &bias : NULL,
            &dst, strides, dilations, pad_left, pad_right));
    if (pass == ZOO_DNNL_FORWARD) {
        TRY("forward primitive descriptor", p_dnnl_primitive_desc_create(&pd, &forward, attributes, engine, NULL));
    } else {
        TRY("forward hint", p_dnnl_primitive_desc_create(&hint, &forward, NULL, engine, NULL));
        dnnl_convolution_desc_t backward;
        if (pass == ZOO_DNNL_BACKWARD_DATA) {
            TRY("backward data descriptor",
                p_dnnl_dilated_convolution_backward_data_desc_init(
                    &backward, dnnl_convolution_direct, &src, &any_weights, &dst, strides, dilations, pad_left, pad_right));
        } else {
            TRY("backward weights descriptor",
                p_dnnl_dilated_convolution_backward_weights_desc_init(
                    &backward, dnnl_convolution_direct, &src, &any_weights, NULL, &dst, strides, dilations, pad_left,
                    pad_right));
        }
        TRY("backward primitive descriptor", p_dnnl_primitive_desc_create(&pd, &backward, attributes, engine, hint));
    }

    const char *implementation = "unknown";
    p_dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &implementation);
    snprintf(c->implementation, sizeof c->implementation, "%s", implementation);
    switch (pass) {
    case ZOO_DNNL_FORWARD:
        c->activation_in_md = *p_dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
        c->weights_md = *p_dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        c->result_md = *p_dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
        c->bias_md = bias;
        break;
    case ZOO_DNNL_BACKWARD_DATA:
        c->activation_in_md = *p_dnnl_primitive_desc_query_md(pd, dnnl_query_diff_dst_md, 0);
        c->weights_md = *p_dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        c->result_md = *p_dnnl_primitive_desc_query_md(pd, dnnl_query_diff_src_md, 0);
        break;
    case ZOO_DNNL_BACKWARD_WEIGHTS:
        c->activation_in_md = *p_dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
        c->second_md = *p_dnnl_primitive_desc_query_md(pd, dnnl_query_diff_dst_md, 0);
        c->weights_md = *p_dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md, 0);
        break;
    }
    c->scratchpad_md = *p_dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    c->scratchpad_bytes = p_dnnl_memory_desc_get_size(&c->scratchpad_md);
    c->weights_bytes = p_dnnl_memory_desc_get_size(&c->weights_md);
    TRY("primitive", p_dnnl_primitive_create(&c->primitive, pd));

    if (!p_dnnl_memory_desc_equal(&c->weights_md, &c->user_weights_md)) {
        const int back = pass == ZOO_DNNL_BACKWARD_WEIGHTS;
        TRY("weights reorder descriptor",
            p_dnnl_reorder_primitive_desc_create(
                &reorder_pd, back ? &c->weights_md : &c->user_weights_md, engine,
                back ? &c->user_weights_md : &c->weights_md, engine, NULL));
        TRY("weights reorder", p_dnnl_primitive_create(&c->weights_reorder, reorder_pd));
    }
    p_dnnl_primitive_desc_destroy(pd);
    if (hint) p_dnnl_primitive_desc_destroy(hint);
    if (reorder_pd) p_dnnl_primitive_desc_destroy(reorder_pd);
    if (post_ops) p_dnnl_post_ops_destroy(post_ops);
    p_dnnl_primitive_attr_destroy(attributes);
    return c;

failure:
    if (pd) p_dnnl_primitive_desc_destroy(pd);
    if (hint) p_dnnl_primitive_desc_destroy(hint);
    if (reorder_pd) p_dnnl_primitive_desc_destroy(reorder_pd);
    if (attributes) p_dnnl_primitive_attr_destroy(attributes);
    if (post_ops) p_dnnl_post_ops_destroy(post_ops);
    zoo_dnnl_destroy(c);
    return NULL;
}

const char *zoo_dnnl_implementation(const zoo_dnnl_convolution *c) { return c->implementation; }

/// Wraps `pointer` as memory laid out as `md`, owned by `owned` until the call ends.
static dnnl_status_t wrap(
    dnnl_memory_t *memory, const dnnl_memory_desc_t *md, const void *pointer, dnnl_memory_t *owned, int *count) {
    dnnl_status_t status = p_dnnl_memory_create(memory, md, engine, (void *)pointer);
    if (status == dnnl_success) owned[(*count)++] = *memory;
    return status;
}

size_t zoo_dnnl_prepared_weights_bytes(const zoo_dnnl_convolution *c) {
    return c->pass != ZOO_DNNL_BACKWARD_WEIGHTS && c->weights_reorder ? c->weights_bytes : 0;
}

int zoo_dnnl_same_weights_layout(const zoo_dnnl_convolution *a, const zoo_dnnl_convolution *b) {
    return zoo_dnnl_prepared_weights_bytes(a) && zoo_dnnl_prepared_weights_bytes(b) &&
           p_dnnl_memory_desc_equal(&a->weights_md, &b->weights_md) &&
           p_dnnl_memory_desc_equal(&a->user_weights_md, &b->user_weights_md);
}

int zoo_dnnl_prepare_weights(
    zoo_dnnl_convolution *c, int threads, const float *weights, void *prepared, char *error, size_t error_size) {
    dnnl_memory_t memories[2] = {NULL};
    int count = 0;
    dnnl_status_t status = dnnl_success;
    if (zoo_dnnl_prepared_weights_bytes(c) == 0) {
        snprintf(error, error_size, "oneDNN: this primitive reads the kernel in Zoo's layout; there is nothing to prepare");
        return -1;
    }
    if (set_omp_threads) set_omp_threads(threads);
    if (!thread_stream) TRY("stream", p_dnnl_stream_create(&thread_stream, engine, dnnl_stream_default_flags));
    dnnl_memory_t user_weights, blocked;
    TRY("memory", wrap(&user_weights, &c->user_weights_md, weights, memories, &count));
    TRY("memory", wrap(&blocked, &c->weights_md, prepared, memories, &count));
    dnnl_exec_arg_t reorder_args[2] = {{DNNL_ARG_FROM, user_weights}, {DNNL_ARG_TO, blocked}};
    TRY("weights reorder", p_dnnl_primitive_execute(c->weights_reorder, thread_stream, 2, reorder_args));
    TRY("stream wait", p_dnnl_stream_wait(thread_stream));
    goto done;
failure:
    status = dnnl_runtime_error;
done:
    for (int i = 0; i < count; i++) p_dnnl_memory_destroy(memories[i]);
    return (int)status;
}

static size_t round_up_64(size_t bytes) { return (bytes + 63) / 64 * 64; }

/// Whether a call reorders the kernel itself: a prepared kernel is read where it is, and the
/// backward-weights pass always reorders its result back into Zoo's layout.
static int reorders_in_call(const zoo_dnnl_convolution *c, int prepared) {
    return c->weights_reorder && !(prepared && c->pass != ZOO_DNNL_BACKWARD_WEIGHTS);
}

size_t zoo_dnnl_workspace_bytes(const zoo_dnnl_convolution *c, int prepared) {
    return (reorders_in_call(c, prepared) ? round_up_64(c->weights_bytes) : 0) + c->scratchpad_bytes;
}

int zoo_dnnl_execute(
    zoo_dnnl_convolution *c, int threads, const float *a, const float *b, const void *prepared_b, const float *bias,
    const float *scale, const float *shift, float *out, void *workspace, char *error, size_t error_size) {
    dnnl_memory_t memories[8] = {NULL};
    int count = 0;
    dnnl_status_t status = dnnl_success;
    if (set_omp_threads) set_omp_threads(threads);
    if (!thread_stream) TRY("stream", p_dnnl_stream_create(&thread_stream, engine, dnnl_stream_default_flags));
    const int reorder_now = reorders_in_call(c, prepared_b != NULL);
    // The caller's workspace (zoo_dnnl_workspace_bytes) holds the reordered kernel, then the
    // scratchpad: Zoo's block cache hands out the same blocks call after call, where buffers
    // of glibc's grew its heaps (measured: 60 MB more at the peak of ResNet50 training).
    if (zoo_dnnl_workspace_bytes(c, prepared_b != NULL) && !workspace) {
        snprintf(error, error_size, "oneDNN: no workspace given");
        return -1;
    }
    void *blocked_weights = reorder_now ? workspace : NULL;
    void *scratchpad = c->scratchpad_bytes ? (char *)workspace + (reorder_now ? round_up_64(c->weights_bytes) : 0) : NULL;
    dnnl_memory_t first, user_weights, weights, result = NULL, extra = NULL, pad = NULL, bias_memory = NULL;
    TRY("memory", wrap(&first, &c->activation_in_md, a, memories, &count));
    void *user_weights_pointer = c->pass == ZOO_DNNL_BACKWARD_WEIGHTS ? (void *)out : (void *)b;
    TRY("memory", wrap(&user_weights, &c->user_weights_md, user_weights_pointer, memories, &count));
    weights = user_weights;
    if (reorder_now) TRY("memory", wrap(&weights, &c->weights_md, blocked_weights, memories, &count));
    else if (c->weights_reorder) TRY("memory", wrap(&weights, &c->weights_md, prepared_b, memories, &count));
    if (c->scratchpad_bytes) TRY("memory", wrap(&pad, &c->scratchpad_md, scratchpad, memories, &count));

    if (c->pass != ZOO_DNNL_BACKWARD_WEIGHTS && reorder_now) {
        dnnl_exec_arg_t reorder_args[2] = {{DNNL_ARG_FROM, user_weights}, {DNNL_ARG_TO, weights}};
        TRY("weights reorder", p_dnnl_primitive_execute(c->weights_reorder, thread_stream, 2, reorder_args));
    }
    dnnl_exec_arg_t args[7];
    int nargs = 0;
    switch (c->pass) {
    case ZOO_DNNL_FORWARD:
        TRY("memory", wrap(&result, &c->result_md, out, memories, &count));
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, first};
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, weights};
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_DST, result};
        if (c->with_bias) {
            TRY("memory", wrap(&bias_memory, &c->bias_md, bias, memories, &count));
            args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, bias_memory};
        }
        if (c->post_scale_shift) {
            dnnl_memory_t scale_memory, shift_memory;
            TRY("memory", wrap(&scale_memory, &c->per_channel_md, scale, memories, &count));
            TRY("memory", wrap(&shift_memory, &c->per_channel_md, shift, memories, &count));
            args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, scale_memory};
            args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1, shift_memory};
        }
        break;
    case ZOO_DNNL_BACKWARD_DATA:
        TRY("memory", wrap(&result, &c->result_md, out, memories, &count));
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, first};
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, weights};
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC, result};
        break;
    case ZOO_DNNL_BACKWARD_WEIGHTS:
        TRY("memory", wrap(&extra, &c->second_md, b, memories, &count));
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, first};
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, extra};
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS, weights};
        break;
    }
    if (pad) args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, pad};
    TRY("convolution", p_dnnl_primitive_execute(c->primitive, thread_stream, nargs, args));
    if (c->pass == ZOO_DNNL_BACKWARD_WEIGHTS && c->weights_reorder) {
        dnnl_exec_arg_t reorder_args[2] = {{DNNL_ARG_FROM, weights}, {DNNL_ARG_TO, user_weights}};
        TRY("weights reorder", p_dnnl_primitive_execute(c->weights_reorder, thread_stream, 2, reorder_args));
    }
    TRY("stream wait", p_dnnl_stream_wait(thread_stream));
    goto done;
failure:
    status = dnnl_runtime_error;
done:
    for (int i = 0; i < count; i++) p_dnnl_memory_destroy(memories[i]);
    return (int)status;
}

void zoo_dnnl_destroy(zoo_dnnl_convolution *c) {
    if (!c) return;
    if (c->primitive) p_dnnl_primitive_destroy(c->primitive);
    if (c->weights_reorder) p_dnnl_primitive_destroy(c->weights_reorder);
    free(c);
}
