/// A Float32 tensor: contiguous, row-major, channels-last (images NHWC, volumes NDHWC).
///
/// Tensors have reference semantics, like PyTorch's: a parameter is one object that the
/// optimizer updates in place. Operations record themselves for reverse-mode differentiation
/// when any input requires a gradient and gradient recording is enabled (see `withoutGrad`).
public final class Tensor {
    /// The extent of each axis.
    public let shape: [Int]
    let storage: Storage
    /// Whether gradients flow to this tensor. Set it on leaves (parameters, inputs of
    /// interest); results of recorded operations carry it automatically.
    public var requiresGrad: Bool
    /// The accumulated gradient of a leaf, or of an intermediate tensor after `retainGrad()`.
    public var grad: Tensor?
    var node: GradNode?
    var retainsGrad = false

    init(shape: [Int], storage: Storage, requiresGrad: Bool = false) {
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// A tensor of the given shape holding `scalars` in row-major order.
    public convenience init(shape: [Int], scalars: [Float], requiresGrad: Bool = false) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError("Tensor", "negative extent in shape \(shape)")
        }
        guard shape.elementCount == scalars.count else {
            throw TensorError(
                "Tensor", "shape \(shape) holds \(shape.elementCount) elements, got \(scalars.count)")
        }
        let storage = Storage(count: scalars.count)
        scalars.withUnsafeBufferPointer { source in
            if let base = source.baseAddress {
                storage.pointer.update(from: base, count: scalars.count)
            }
        }
        self.init(shape: shape, storage: storage, requiresGrad: requiresGrad)
    }

    /// A tensor of the given shape with every element equal to `value`.
    public convenience init(repeating value: Float, shape: [Int], requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
        let storage = Storage(count: shape.elementCount)
        storage.pointer.initialize(repeating: value, count: shape.elementCount)
        self.init(shape: shape, storage: storage, requiresGrad: requiresGrad)
    }

    /// A tensor of zeros.
    public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.init(repeating: 0, shape: shape, requiresGrad: requiresGrad)
    }

    /// A rank-0 tensor holding one value.
    public convenience init(_ value: Float) {
        self.init(repeating: value, shape: [])
    }

    /// Uninitialized memory, for kernels that write every element.
    static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: Storage(count: shape.elementCount))
    }

    /// The number of elements.
    @inlinable public var count: Int { shape.reduce(1, *) }
    /// The number of axes.
    public var rank: Int { shape.count }
    /// The elements in row-major order (a copy).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The single element of a one-element tensor.
    public func item() throws -> Float {
        guard count == 1 else { throw TensorError("item", "tensor of shape \(shape) is not a scalar") }
        return storage.pointer[0]
    }

    /// Read access to the elements, without a copy.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Write access to the elements in place. The change is invisible to autograd: use it for
    /// parameter updates, initialization and loading, never inside a differentiated computation.
    public func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        storage.willWrite()
        defer { storage.willWrite() }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// Copies `source`'s elements into this tensor, in place (shapes must hold the same count).
    public func assign(_ source: Tensor) throws {
        guard source.shape == shape else {
            throw TensorError.shapes("assign", "shapes differ", shape, source.shape)
        }
        storage.willWrite()
        storage.pointer.update(from: source.storage.pointer, count: count)
    }

    /// The same values, cut from the graph: no gradient flows through the result.
    public func detached() -> Tensor { Tensor(view: storage, shape: shape) }

    /// A second tensor on `storage`'s memory, which marks the memory as viewed.
    convenience init(view storage: Storage, shape: [Int]) {
        storage.viewed.store(true, ordering: .relaxed)
        self.init(shape: shape, storage: storage)
    }

    /// Whether no other tensor was ever made on this tensor's memory (by `reshaped` or
    /// `detached`). With a uniquely referenced tensor object, nothing else reads the memory, so
    /// its holder may let an operation overwrite it (the graph does, for a residual it drops).
    public var ownsMemoryAlone: Bool { !storage.viewed.load(ordering: .relaxed) }

    /// A copy with its own memory, cut from the graph.
    public func copy() -> Tensor {
        let result = Tensor.uninitialized(shape)
        result.storage.pointer.update(from: storage.pointer, count: count)
        return result
    }

    /// Asks `backward` to keep this intermediate tensor's gradient in `grad`.
    public func retainGrad() { retainsGrad = true }

    /// The base address, for kernels that may write it: copies of the elements in another
    /// layout (`Storage.layout`) are dropped first.
    @inline(__always) var data: UnsafeMutablePointer<Float> {
        storage.willWrite()
        return storage.pointer
    }

    /// The base address, for kernels that only read it (a convolution's kernel).
    @inline(__always) var readData: UnsafePointer<Float> { UnsafePointer(storage.pointer) }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", ..." : "")])"
    }
}
