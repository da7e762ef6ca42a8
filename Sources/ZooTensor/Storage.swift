import Foundation

/// A 64-byte aligned block of Float32, the memory behind one or more tensors.
///
/// Reference counted by Swift; when the last tensor that views it goes away, a large block goes
/// back to `BlockCache` for the next request of the same size.
final class Storage {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        pointer = BlockCache.shared.take(bytes).bindMemory(to: Float.self, capacity: max(count, 1))
    }

    convenience init(zeros count: Int) {
        self.init(count: count)
        pointer.initialize(repeating: 0, count: count)
    }

    deinit { BlockCache.shared.give(UnsafeMutableRawPointer(pointer), bytes: max(count, 1) * MemoryLayout<Float>.stride) }
}

/// Freed tensor blocks of 64 kB and more, kept by exact size for the next request of that size.
///
/// A training step allocates the same sizes in the same order every time. From the system
/// allocator, each large block came from mmap and went back on free, so every step page-faulted
/// its activations in anew (a quarter of the small CNN's step in perf). Keeping glibc's heap
/// instead (mallopt) removed the faults but fragmented it: ResNet50 inference at batch 8 grew to
/// 2.1 GB. Reuse by exact size has neither cost; at most `limit` bytes wait in the cache, and a
/// block beyond that is freed.
final class BlockCache: @unchecked Sendable {
    static let shared = BlockCache(limit: BlockCache.limitFromEnvironment)

    /// `ZOO_BLOCK_CACHE_MB` (default 1024).
    static var limitFromEnvironment: Int {
        let megabytes = ProcessInfo.processInfo.environment["ZOO_BLOCK_CACHE_MB"].flatMap { Int($0) } ?? 1024
        return max(0, megabytes) << 20
    }

    static let minimumBytes = 1 << 16
    let limit: Int
    private var free = [Int: [UnsafeMutableRawPointer]]()
    private var cachedBytes = 0
    private var lock = pthread_mutex_t()

    init(limit: Int) {
        self.limit = limit
        pthread_mutex_init(&lock, nil)
    }

    func take(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes >= BlockCache.minimumBytes {
            pthread_mutex_lock(&lock)
            let reused = free[bytes]?.popLast()
            if reused != nil { cachedBytes -= bytes }
            pthread_mutex_unlock(&lock)
            if let reused { return reused }
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("ZooTensor: out of memory allocating \(bytes) bytes")
        }
        return raw
    }

    func give(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        if bytes >= BlockCache.minimumBytes {
            pthread_mutex_lock(&lock)
            let kept = cachedBytes + bytes <= limit
            if kept {
                free[bytes, default: []].append(pointer)
                cachedBytes += bytes
            }
            pthread_mutex_unlock(&lock)
            if kept { return }
        }
        Foundation.free(pointer)
    }
}
