#include "CDNNL.h"

#include <pthread.h>
#include <stdatomic.h>

// Zoo's parallel loops on the OpenMP threads that oneDNN runs on, so that one pool does all the
// work: with libdispatch's threads beside libgomp's, every change from a oneDNN convolution to
// one of Zoo's loops woke the other pool's thread while the first one spun (DenseNet121 and
// MobileNetV2 inference 14% slower, docs/PERFORMANCE.md).

struct parallel_items {
    void (*body)(void *, long);
    void *context;
    long count;
    _Atomic long next;
};

// Each thread of the region takes the next index until none is left.
static void run_items(void *data) {
    struct parallel_items *items = data;
    for (long index; (index = atomic_fetch_add(&items->next, 1)) < items->count;) items->body(items->context, index);
}

// libgomp's entry for a parallel region: fn(data) on `threads` threads, the caller among them;
// inside another region it runs on the caller alone.
static void (*gomp_parallel)(void (*)(void *), void *, unsigned, unsigned);
static pthread_once_t gomp_once = PTHREAD_ONCE_INIT;

static void find_gomp_parallel(void) {
    gomp_parallel = (void (*)(void (*)(void *), void *, unsigned, unsigned))zoo_dnnl_symbol("GOMP_parallel");
}

int zoo_parallel_available(void) {
    pthread_once(&gomp_once, find_gomp_parallel);
    return gomp_parallel != NULL;
}

int zoo_parallel_for(long count, int threads, void (*body)(void *, long), void *context) {
    if (!zoo_parallel_available()) return 0;
    struct parallel_items items = {body, context, count, 0};
    gomp_parallel(run_items, &items, (unsigned)threads, 0);
    return 1;
}
