import CKernels
import Foundation

/// The kernels' thread count, set from Lua by `whittle.threads(n)`.
public enum KernelThreads {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var current = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Threads the kernels may use (at least 1).
    public static var count: Int {
        get { lock.lock(); defer { lock.unlock() }; return current }
        set { lock.lock(); current = max(1, newValue); lock.unlock() }
    }

    /// Runs `body(chunk)` for chunk in 0..<chunks on up to `count` threads: the caller and the
    /// persistent workers of ck_pool (Sources/CKernels/pool.c), which take chunks one at a time.
    /// A call from inside a body, or made while another thread's call runs, runs inline.
    /// The one audited place where kernels hand unsafe pointers to other threads.
    public static func parallelFor(_ chunks: Int, _ body: (Int) -> Void) {
        if chunks <= 0 { return }
        let threads = count
        if chunks == 1 || threads == 1 {
            for i in 0..<chunks { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var work = body
            withUnsafeMutablePointer(to: &work) { context in
                ck_pool_run(Int32(clamping: threads), { context, chunk in
                    // context is the `work` closure above, alive until ck_pool_run returns.
                    context.unsafelyUnwrapped.assumingMemoryBound(to: ((Int) -> Void).self).pointee(chunk)
                }, context, chunks)
            }
        }
    }

    /// Worker threads the pool holds now (count - 1 after a parallel call; -1 while a call runs).
    public static var poolWorkers: Int { Int(ck_pool_workers()) }
}
