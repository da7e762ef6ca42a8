import Foundation

#if canImport(Glibc)
    import CMalloc
#endif

/// A 64-byte aligned block of Float32, the memory behind one or more tensors.
///
/// Reference counted by Swift; freed when the last tensor that views it goes away.
final class Storage {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// glibc hands blocks above 32 MB (and, before its threshold adapts, above 128 kB) to mmap
    /// and returns them on free, so every training step page-faulted its activations in anew
    /// (a quarter of the small CNN's step in perf). Kept in the heap, freed blocks are reused
    /// by the next step's identical requests.
    private static let allocatorConfigured: Bool = {
        #if canImport(Glibc)
            mallopt(M_MMAP_THRESHOLD, 1 << 30)
            mallopt(M_TRIM_THRESHOLD, 1 << 30)
        #endif
        return true
    }()

    init(count: Int) {
        _ = Storage.allocatorConfigured
        self.count = count
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("ZooTensor: out of memory allocating \(bytes) bytes")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    convenience init(zeros count: Int) {
        self.init(count: count)
        pointer.initialize(repeating: 0, count: count)
    }

    deinit { free(pointer) }
}
