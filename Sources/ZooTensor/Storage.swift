import Foundation

/// A 64-byte aligned block of Float32, the memory behind one or more tensors.
///
/// Reference counted by Swift; freed when the last tensor that views it goes away.
final class Storage {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
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
