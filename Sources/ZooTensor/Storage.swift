import Foundation
import Synchronization

/// A 64-byte aligned block of Float32, the memory behind one or more tensors.
///
/// Reference counted by Swift; when the last tensor that views it goes away, a large block goes
/// back to `BlockCache` for the next request of the same size.
final class Storage {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    /// The elements in other layouts (a oneDNN primitive's blocked kernel), each with the
    /// consumer that made it. Dropped whenever the elements may be written (`willWrite`), so a
    /// copy is never older than its elements.
    private let layouts = Mutex<[(consumer: AnyObject, copy: AlignedBlock)]>([])
    /// Whether `layouts` holds any, read on every write access without taking the lock.
    private let hasLayouts = Atomic<Bool>(false)
    /// Whether a second tensor was ever made on this memory (`reshaped`, `detached`): then no
    /// holder of one of them may take the memory over as its own (`Tensor.ownsMemoryAlone`).
    let viewed = Atomic<Bool>(false)

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

    /// Called by every path that hands out the elements for writing, before the write.
    @inline(__always) func willWrite() { dropLayouts() }

    /// Lets go of every copy in another layout (without a lock when there is none).
    @inline(__always) func dropLayouts() {
        guard hasLayouts.load(ordering: .acquiring) else { return }
        layouts.withLock { copies in
            copies.removeAll()
            hasLayouts.store(false, ordering: .releasing)
        }
    }

    /// The copy of the elements that a consumer `matching` made, or a new one of `bytes` that
    /// `make` fills from the elements and that `consumer` then owns. The caller keeps the
    /// returned block alive while it reads it.
    func layout(
        for consumer: AnyObject, matching: (AnyObject) -> Bool, bytes: Int, make: (UnsafeMutableRawPointer) -> Void
    ) -> AlignedBlock {
        if let known = layouts.withLock({ copies in copies.first { matching($0.consumer) }?.copy }) { return known }
        let copy = AlignedBlock(bytes: bytes)
        make(copy.pointer)
        layouts.withLock { copies in
            copies.append((consumer, copy))
            hasLayouts.store(true, ordering: .releasing)
        }
        return copy
    }

    /// How many copies in other layouts the storage holds (for tests).
    var layoutCount: Int { layouts.withLock { $0.count } }
}

/// 64-byte aligned raw memory owned by Swift, freed with the object.
final class AlignedBlock: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer

    init(bytes: Int) {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(bytes, 1)) == 0, let raw else {
            fatalError("ZooTensor: out of memory allocating \(bytes) bytes")
        }
        pointer = raw
    }

    deinit { free(pointer) }
}

/// Freed tensor blocks of 64 kB and more, kept by exact size for the next request of that size.
///
/// A training step allocates the same sizes in the same order every time. From the system
/// allocator, each large block came from mmap and went back on free, so every step page-faulted
/// its activations in anew (a quarter of the small CNN's step in perf). Keeping glibc's heap
/// instead (mallopt) removed the faults but fragmented it: ResNet50 inference at batch 8 grew to
/// 2.1 GB. Reuse by exact size has neither cost.
///
/// What is bounded is the footprint, the blocks in use and in the cache together: a freed block
/// is kept while that stays within `limit`, or twice the most bytes the process once had in use
/// at the same time if that is more. A step needs more than its peak in use, since blocks of one
/// size freed early (the forward pass's) cannot serve later requests of another (the backward
/// pass's): with the cache itself bounded by that peak, the 3D U-Net at 96^3 (1.5 GB) gave
/// 233 MB back every step and faulted it in again, 1.42-1.74 s a step against 1.33-1.36 with
/// it kept, at the same peak resident memory (docs/PERFORMANCE.md). Freeing never raises the
/// footprint; a process whose sizes keep changing (inference on images of every size) stays
/// within twice its peak. With a fixed 1 GiB, ResNet50 training at batch 16 (3 GB of
/// activations) had given most of its blocks back each step: 3.4-3.7 s a step against 2.3.
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
    private(set) var cachedBytes = 0
    /// Bytes of blocks of `minimumBytes` and more handed out and not yet given back, and the
    /// most there ever were.
    private var liveBytes = 0
    private(set) var peakLiveBytes = 0
    private var lock = pthread_mutex_t()

    init(limit: Int) {
        self.limit = limit
        pthread_mutex_init(&lock, nil)
    }

    func take(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes >= BlockCache.minimumBytes {
            pthread_mutex_lock(&lock)
            liveBytes += bytes
            peakLiveBytes = max(peakLiveBytes, liveBytes)
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
            liveBytes -= bytes
            // The footprint before this block is freed: keeping it does not raise it.
            let kept = liveBytes + cachedBytes + bytes <= max(limit, 2 * peakLiveBytes)
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
