/// Element-wise loops, specialized at compile time for each function so that the inner loop
/// is a plain (vectorizable) loop over contiguous memory with no closure call per element.

/// A function of one element.
protocol ElementMap {
    func callAsFunction(_ x: Float) -> Float
}

/// A function of two elements.
protocol ElementZip {
    func callAsFunction(_ a: Float, _ b: Float) -> Float
}

/// Below this many elements a loop runs on the calling thread.
let elementGrain = 1 << 15

@inline(__always)
func mapElements<F: ElementMap>(_ x: Tensor, _ f: F) -> Tensor {
    let result = Tensor.uninitialized(x.shape)
    let source = x.data
    let target = result.data
    Parallel.ranges(x.count, grain: elementGrain) { range in
        for i in range { target[i] = f(source[i]) }
    }
    return result
}

/// Applies `f` to equal-shaped tensors.
@inline(__always)
func zipElements<F: ElementZip>(_ a: Tensor, _ b: Tensor, _ f: F) -> Tensor {
    let result = Tensor.uninitialized(a.shape)
    let left = a.data
    let right = b.data
    let target = result.data
    Parallel.ranges(a.count, grain: elementGrain) { range in
        for i in range { target[i] = f(left[i], right[i]) }
    }
    return result
}

/// The shape of `a op b` under NumPy broadcasting, or an error naming the op and both shapes.
func broadcastShape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
    let rank = Swift.max(a.count, b.count)
    var shape = [Int](repeating: 1, count: rank)
    for axis in 0..<rank {
        let da = axis < rank - a.count ? 1 : a[axis - (rank - a.count)]
        let db = axis < rank - b.count ? 1 : b[axis - (rank - b.count)]
        guard da == db || da == 1 || db == 1 else {
            throw TensorError.shapes(op, "shapes cannot be broadcast together", a, b)
        }
        shape[axis] = da == 1 ? db : da
    }
    return shape
}

/// Applies `f` with NumPy broadcasting. Equal shapes, a scalar operand and a trailing-axes
/// operand (a bias over channels) take direct loops; other patterns walk strides.
func broadcastZip<F: ElementZip>(_ a: Tensor, _ b: Tensor, _ f: F, op: String) throws -> Tensor {
    if a.shape == b.shape { return zipElements(a, b, f) }
    let shape = try broadcastShape(a.shape, b.shape, op: op)
    let result = Tensor.uninitialized(shape)
    let (left, right, target) = (a.data, b.data, result.data)
    let total = result.count
    if b.count == 1, a.shape == shape {
        let value = right[0]
        Parallel.ranges(total, grain: elementGrain) { range in
            for i in range { target[i] = f(left[i], value) }
        }
    } else if a.count == 1, b.shape == shape {
        let value = left[0]
        Parallel.ranges(total, grain: elementGrain) { range in
            for i in range { target[i] = f(value, right[i]) }
        }
    } else if a.shape == shape, isTrailing(b.shape, of: shape) {
        let inner = b.count
        Parallel.ranges(total / inner, grain: Swift.max(1, elementGrain / inner)) { rows in
            for row in rows {
                let base = row * inner
                for j in 0..<inner { target[base + j] = f(left[base + j], right[j]) }
            }
        }
    } else if b.shape == shape, isTrailing(a.shape, of: shape) {
        let inner = a.count
        Parallel.ranges(total / inner, grain: Swift.max(1, elementGrain / inner)) { rows in
            for row in rows {
                let base = row * inner
                for j in 0..<inner { target[base + j] = f(left[j], right[base + j]) }
            }
        }
    } else {
        let stridesA = broadcastStrides(a.shape, to: shape)
        let stridesB = broadcastStrides(b.shape, to: shape)
        walkBroadcast(shape, stridesA, stridesB) { out, ia, ib in target[out] = f(left[ia], right[ib]) }
    }
    return result
}

/// True when `small` equals the last axes of `shape` (leading ones allowed).
func isTrailing(_ small: [Int], of shape: [Int]) -> Bool {
    var trimmed = small[...]
    while trimmed.first == 1 && trimmed.count > 0 { trimmed = trimmed.dropFirst() }
    guard trimmed.count <= shape.count else { return false }
    return Array(shape.suffix(trimmed.count)) == Array(trimmed)
}

/// Strides that read `shape` as if broadcast to `target` (0 along broadcast axes).
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let offset = target.count - shape.count
    let own = shape.contiguousStrides
    return (0..<target.count).map { axis in
        axis < offset || shape[axis - offset] == 1 ? 0 : own[axis - offset]
    }
}

/// Visits every element of `shape` in row-major order with its offsets in two strided operands.
@inline(__always)
func walkBroadcast(_ shape: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int) -> Void) {
    let rank = shape.count
    let total = shape.elementCount
    guard total > 0 else { return }
    if rank == 0 {
        body(0, 0, 0)
        return
    }
    var index = [Int](repeating: 0, count: rank)
    var ia = 0
    var ib = 0
    let last = rank - 1
    let (lastExtent, lastA, lastB) = (shape[last], sa[last], sb[last])
    var out = 0
    while out < total {
        for j in 0..<lastExtent { body(out + j, ia + j * lastA, ib + j * lastB) }
        out += lastExtent
        var axis = last - 1
        while axis >= 0 {
            index[axis] += 1
            ia += sa[axis]
            ib += sb[axis]
            if index[axis] < shape[axis] { break }
            ia -= sa[axis] * shape[axis]
            ib -= sb[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}
