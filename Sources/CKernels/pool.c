// The kernels' persistent worker pool (see ck_pool.h). Written in C for C11 atomics with explicit
// orderings, the pause instruction and pthread condition variables, none of which Swift 6's
// standard library offers together (Synchronization has atomics and Mutex but no condition variable).
//
// Protocol. `seq` numbers the jobs: the caller publishes a job by making it odd (job fields written
// before, release) and closes it by making it even. A worker that sees a new odd value joins by
// incrementing `active` and re-reading `seq`; the caller closes the job and then waits for
// `active` to drop to 0. Both sides write one variable and then read the other (seq_cst), so
// either the worker sees the job closed and leaves, or the caller sees it active and waits: a
// worker never reads a job's fields once the caller may reuse them, and every chunk a worker
// claimed has finished when `active` is 0. Idle workers spin for CK_POOL_SPIN_NS, then sleep on
// `wake`; the caller broadcasts only when `sleepers` says someone sleeps (again write-then-read
// on both sides, the broadcast under the mutex, so no wake-up is lost).
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif
#include "ck_pool.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CK_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define CK_PAUSE() __asm__ __volatile__("yield")
#else
#define CK_PAUSE() ((void)0)
#endif

/// How long an idle worker polls for the next job before sleeping: longer than the serial gaps
/// between the parallel calls of a decode step (norms, RoPE, residuals: a few microseconds), short
/// enough that an idle process stops burning CPU at once. Measured on SmolLM2 Q4_0 tg128 at 2
/// threads: no polling (sleep after every job) ran 20-25% slower than 30 or 100 µs, which tied.
#define CK_POOL_SPIN_NS 50000
/// Pause instructions the caller polls for joined workers to finish before yielding its CPU
/// (about 10-50 µs: a chunk's length; longer means a worker lost its CPU to another process).
#define CK_POOL_WAIT_SPINS 1024
/// Most workers the pool creates (threads beyond this + 1 are ignored).
#define CK_POOL_MAX_WORKERS 255
/// Workers get a main-thread-sized stack: kernels keep scratch buffers on the stack.
#define CK_POOL_STACK_BYTES (8u << 20)

static pthread_mutex_t pool_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static pthread_t pool_threads[CK_POOL_MAX_WORKERS];
static int pool_size;                 // workers running (changed only by the busy owner)

static atomic_int pool_busy;          // 1 while a caller owns the pool
static _Atomic uint64_t pool_seq;     // odd: a job is open
static atomic_int pool_active;        // workers inside the current job
static atomic_int pool_sleepers;      // workers blocked on pool_wake
static atomic_int pool_stop;          // set while the pool shrinks: every worker exits
static atomic_long pool_next;         // next unclaimed chunk

// The open job (plain fields: written by the busy owner before publishing, read by joined workers).
static ck_pool_body job_body;
static void *job_context;
static long job_chunks;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/// Claims and runs chunks of the open job until none is left.
static void run_chunks(ck_pool_body body, void *context, long chunks) {
    for (;;) {
        const long i = atomic_fetch_add(&pool_next, 1);
        if (i >= chunks) return;
        body(context, i);
    }
}

/// Waits until pool_seq differs from `seen`: polls first, then sleeps.
static uint64_t wait_for_change(uint64_t seen) {
    uint64_t s;
    const uint64_t deadline = now_ns() + CK_POOL_SPIN_NS;
    for (;;) {
        for (int i = 0; i < 32; i++) {
            s = atomic_load_explicit(&pool_seq, memory_order_acquire);
            if (s != seen) return s;
            CK_PAUSE();
        }
        if (now_ns() > deadline) break;
    }
    pthread_mutex_lock(&pool_mutex);
    atomic_fetch_add(&pool_sleepers, 1);
    while ((s = atomic_load(&pool_seq)) == seen) pthread_cond_wait(&pool_wake, &pool_mutex);
    atomic_fetch_sub(&pool_sleepers, 1);
    pthread_mutex_unlock(&pool_mutex);
    return s;
}

static void *worker_main(void *arg) {
    uint64_t seen = (uint64_t)(uintptr_t)arg;
    for (;;) {
        const uint64_t s = wait_for_change(seen);
        seen = s;
        if (atomic_load(&pool_stop)) return NULL;
        if (!(s & 1)) continue;                 // that job closed before this worker saw it
        atomic_fetch_add(&pool_active, 1);
        if (atomic_load(&pool_seq) != s) {      // closed meanwhile: its fields may be reused
            atomic_fetch_sub(&pool_active, 1);
            continue;
        }
        run_chunks(job_body, job_context, job_chunks);
        atomic_fetch_sub(&pool_active, 1);
    }
}

/// Wakes every sleeping worker (after pool_seq changed).
static void wake_sleepers(void) {
    if (atomic_load(&pool_sleepers) == 0) return;
    pthread_mutex_lock(&pool_mutex);
    pthread_cond_broadcast(&pool_wake);
    pthread_mutex_unlock(&pool_mutex);
}

/// Stops every worker and starts `workers` new ones (the caller owns the pool; no job is open).
static void resize(int workers) {
    if (pool_size > 0) {
        atomic_store(&pool_stop, 1);
        atomic_store(&pool_seq, atomic_load(&pool_seq) + 2);  // a change that opens no job
        pthread_mutex_lock(&pool_mutex);
        pthread_cond_broadcast(&pool_wake);
        pthread_mutex_unlock(&pool_mutex);
        for (int i = 0; i < pool_size; i++) pthread_join(pool_threads[i], NULL);
        pool_size = 0;
        atomic_store(&pool_stop, 0);
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, CK_POOL_STACK_BYTES);
    const uint64_t seq = atomic_load(&pool_seq);
    while (pool_size < workers) {
        if (pthread_create(&pool_threads[pool_size], &attr, worker_main, (void *)(uintptr_t)seq) != 0) break;
#if defined(__linux__)
        pthread_setname_np(pool_threads[pool_size], "whittle-worker");
#endif
        pool_size++;
    }
    pthread_attr_destroy(&attr);
}

void ck_pool_run(int threads, ck_pool_body body, void *context, long chunks) {
    if (chunks <= 0) return;
    int expected = 0;
    if (threads <= 1 || chunks == 1 ||
        !atomic_compare_exchange_strong(&pool_busy, &expected, 1)) {
        // One thread wanted, one chunk, or the pool is busy (a nested or concurrent call).
        for (long i = 0; i < chunks; i++) body(context, i);
        return;
    }
    int workers = threads - 1;
    if (workers > CK_POOL_MAX_WORKERS) workers = CK_POOL_MAX_WORKERS;
    if (workers != pool_size) resize(workers);

    job_body = body;
    job_context = context;
    job_chunks = chunks;
    atomic_store(&pool_next, 0);
    const uint64_t s = atomic_load(&pool_seq) + 1;
    atomic_store(&pool_seq, s);                 // open
    wake_sleepers();
    run_chunks(body, context, chunks);
    atomic_store(&pool_seq, s + 1);             // close: no worker joins from here on
    // Joined workers finish at most one chunk each: poll, then yield in case one was preempted.
    for (int spins = 0; atomic_load(&pool_active) != 0; spins++) {
        if (spins < CK_POOL_WAIT_SPINS) CK_PAUSE();
        else sched_yield();
    }
    atomic_store(&pool_busy, 0);
}

int ck_pool_workers(void) {
    int expected = 0;
    if (!atomic_compare_exchange_strong(&pool_busy, &expected, 1)) return -1;
    const int n = pool_size;
    atomic_store(&pool_busy, 0);
    return n;
}
