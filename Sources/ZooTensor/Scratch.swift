import Foundation

/// Per-thread scratch memory for the buffers a kernel needs only while it runs (oneDNN's
/// reordered kernel and scratchpad, the Winograd transforms, im2col's column chunks).
///
/// Each thread keeps one buffer per nesting level (a call that takes scratch and then runs a
/// parallel loop whose bodies take scratch of their own on the same thread), grown to the
/// largest request seen at that level and never shrunk. So the memory is the largest request,
/// not the sum of every size: taken from the block cache, each distinct size stayed cached
/// (ResNet50 training's peak 35 MB higher), and from glibc, its heaps grew with them (60 MB).
/// The buffers are reused call after call, so they are not faulted in again.
final class Scratch {
    private var levels: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []
    private var depth = 0

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        // A thread that ends lets go of its buffers.
        pthread_key_create(&key) { pointer in pointer.map { Unmanaged<Scratch>.fromOpaque(UnsafeRawPointer($0)).release() } }
        return key
    }()

    private static var current: Scratch {
        if let existing = pthread_getspecific(key) { return Unmanaged<Scratch>.fromOpaque(existing).takeUnretainedValue() }
        let created = Scratch()
        pthread_setspecific(key, Unmanaged.passRetained(created).toOpaque())
        return created
    }

    /// Runs `body` with `count` floats (64-byte aligned, uninitialized) of this thread's scratch.
    static func with<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try current.take(Swift.max(count, 1), body)
    }

    private func take<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        if depth == levels.count {
            levels.append((Scratch.allocate(count), count))
        } else if levels[depth].capacity < count {
            free(levels[depth].pointer)
            levels[depth] = (Scratch.allocate(count), count)
        }
        let pointer = levels[depth].pointer
        depth += 1
        defer { depth -= 1 }
        return try body(pointer)
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, count * MemoryLayout<Float>.stride) == 0, let raw else {
            fatalError("ZooTensor: out of memory allocating \(count) floats of scratch")
        }
        return raw.bindMemory(to: Float.self, capacity: count)
    }

    deinit {
        for level in levels { free(level.pointer) }
    }
}
