// A persistent worker pool for the kernels' parallel loops (KernelThreads.parallelFor).
// A decode step makes hundreds of parallel calls of a few tens of microseconds each, so waking
// threads per call (as DispatchQueue.concurrentPerform does) costs as much as the work itself.
// The workers here are created once, spin briefly between calls and then sleep on a condition
// variable; chunks are handed out by an atomic counter and the calling thread takes chunks too.
#ifndef WHITTLE_CK_POOL_H
#define WHITTLE_CK_POOL_H

/// A loop body: runs chunk `chunk` of the job whose state `context` points to.
typedef void (*ck_pool_body)(void *context, long chunk);

/// Runs body(context, i) for i in 0..<chunks on up to `threads` threads (the caller plus threads-1
/// pool workers) and returns when every chunk has run. A call made while the pool is busy (from a
/// body, i.e. nested, or concurrently from another thread) runs its chunks inline on its own
/// thread. Changing `threads` between calls resizes the pool.
void ck_pool_run(int threads, ck_pool_body body, void *context, long chunks);

/// Workers the pool holds now (0 before the first parallel call); for tests.
int ck_pool_workers(void);

#endif
