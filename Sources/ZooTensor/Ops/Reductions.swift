/// Reductions over axes: sum, mean, max and argmax, each a sequence of single-axis passes.

/// A tensor seen as (outer, extent, inner) around one axis.
struct AxisView {
    let outer: Int
    let extent: Int
    let inner: Int

    init(_ shape: [Int], axis: Int) {
        outer = shape[..<axis].reduce(1, *)
        extent = shape[axis]
        inner = shape[(axis + 1)...].reduce(1, *)
    }
}

extension Tensor {
    /// Sum over one axis, keeping it with extent 1.
    func sumKeepingAxis(_ axis: Int) -> Tensor {
        var reduced = shape
        reduced[axis] = 1
        let view = AxisView(shape, axis: axis)
        let result = Tensor(zeros: reduced)
        let (source, target) = (data, result.data)
        let (outer, extent, inner) = (view.outer, view.extent, view.inner)
        if inner == 1 {
            Parallel.ranges(outer, grain: Swift.max(1, elementGrain / Swift.max(extent, 1))) { rows in
                for o in rows {
                    var total: Float = 0
                    let row = source + o * extent
                    for j in 0..<extent { total += row[j] }
                    target[o] = total
                }
            }
        } else if outer >= Parallel.threadCount || extent < 2 * Parallel.threadCount {
            Parallel.ranges(outer, grain: 1) { blocks in
                for o in blocks {
                    let out = target + o * inner
                    for j in 0..<extent {
                        let row = source + (o * extent + j) * inner
                        for i in 0..<inner { out[i] += row[i] }
                    }
                }
            }
        } else {
            // Few outer blocks and a long axis (a bias gradient over N*H*W rows): each thread
            // sums a share of the rows, then the partial sums are added.
            let pieces = Parallel.threadCount
            let partial = Storage(zeros: pieces * outer * inner)
            Parallel.forEach(pieces) { piece in
                let start = extent * piece / pieces
                let end = extent * (piece + 1) / pieces
                for o in 0..<outer {
                    let out = partial.pointer + (piece * outer + o) * inner
                    for j in start..<end {
                        let row = source + (o * extent + j) * inner
                        for i in 0..<inner { out[i] += row[i] }
                    }
                }
            }
            for piece in 0..<pieces {
                let part = partial.pointer + piece * outer * inner
                for i in 0..<(outer * inner) { target[i] += part[i] }
            }
        }
        return Tensor.result("sum", result, inputs: [self]) { [shape] g in
            [g.expandingAxis(axis, to: shape)]
        }
    }

    /// Repeats a tensor whose `axis` has extent 1 along that axis, to `shape`.
    func expandingAxis(_ axis: Int, to shape: [Int]) -> Tensor {
        let view = AxisView(shape, axis: axis)
        let result = Tensor.uninitialized(shape)
        let (source, target) = (data, result.data)
        Parallel.ranges(view.outer, grain: Swift.max(1, elementGrain / Swift.max(view.extent * view.inner, 1))) { rows in
            for o in rows {
                let from = source + o * view.inner
                for j in 0..<view.extent {
                    (target + (o * view.extent + j) * view.inner).update(from: from, count: view.inner)
                }
            }
        }
        return Tensor.result("expand", result, inputs: [self]) { g in [g.sumKeepingAxis(axis)] }
    }

    private func resolvedAxes(_ axes: [Int]?, op: String) throws -> [Int] {
        guard let axes else { return Array(0..<rank) }
        let resolved = try axes.map { try normalizeAxis($0, rank: rank, op: op) }
        guard Set(resolved).count == resolved.count else {
            throw TensorError(op, "repeated axis in \(axes) for shape \(shape)")
        }
        return resolved.sorted()
    }

    private func dropping(_ axes: [Int]) -> [Int] {
        shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    /// The sum over `axes` (all axes when nil).
    public func sum(axes: [Int]? = nil, keepingDims: Bool = false) throws -> Tensor {
        let axes = try resolvedAxes(axes, op: "sum")
        var result = self
        for axis in axes.reversed() { result = result.sumKeepingAxis(axis) }
        return keepingDims ? result : try result.reshaped(dropping(axes))
    }

    /// The mean over `axes` (all axes when nil).
    public func mean(axes: [Int]? = nil, keepingDims: Bool = false) throws -> Tensor {
        let resolved = try resolvedAxes(axes, op: "mean")
        let n = resolved.reduce(1) { $0 * shape[$1] }
        guard n > 0 else { throw TensorError("mean", "mean over empty axes of shape \(shape)") }
        return try sum(axes: resolved, keepingDims: keepingDims) * (1 / Float(n))
    }

    /// The largest element along one axis and its first index.
    private func maxAlongAxis(_ axis: Int) -> (values: Tensor, indices: [Int32]) {
        var reduced = shape
        reduced[axis] = 1
        let view = AxisView(shape, axis: axis)
        let result = Tensor.uninitialized(reduced)
        var indices = [Int32](repeating: 0, count: view.outer * view.inner)
        let (source, target) = (data, result.data)
        indices.withUnsafeMutableBufferPointer { where_ in
            let where_ = where_.baseAddress!
            Parallel.ranges(view.outer, grain: 1) { rows in
                for o in rows {
                    for i in 0..<view.inner {
                        var best = -Float.infinity
                        var bestIndex: Int32 = 0
                        var first = true
                        for j in 0..<view.extent {
                            let value = source[(o * view.extent + j) * view.inner + i]
                            if first || value > best || value.isNaN {
                                best = value
                                bestIndex = Int32(j)
                                first = false
                                if value.isNaN { break }
                            }
                        }
                        target[o * view.inner + i] = best
                        where_[o * view.inner + i] = bestIndex
                    }
                }
            }
        }
        return (result, indices)
    }

    /// The maximum over `axes` (all axes when nil). The gradient flows to the first maximal
    /// element of each reduced group, as PyTorch's `Swift.max(dim)`.
    public func max(axes: [Int]? = nil, keepingDims: Bool = false) throws -> Tensor {
        let axes = try resolvedAxes(axes, op: "max")
        guard axes.allSatisfy({ shape[$0] > 0 }) else {
            throw TensorError("max", "maximum over an empty axis of shape \(shape)")
        }
        var result = self
        for axis in axes.reversed() {
            let input = result
            let (values, indices) = input.maxAlongAxis(axis)
            result = Tensor.result("max", values, inputs: [input]) { g in
                let grad = Tensor(zeros: input.shape)
                let view = AxisView(input.shape, axis: axis)
                for o in 0..<view.outer {
                    for i in 0..<view.inner {
                        let j = Int(indices[o * view.inner + i])
                        grad.data[(o * view.extent + j) * view.inner + i] = g.data[o * view.inner + i]
                    }
                }
                return [grad]
            }
        }
        return keepingDims ? result : try result.reshaped(dropping(axes))
    }

    /// The index of the first maximum along `axis` (not differentiable).
    public func argmax(axis: Int) throws -> [Int] {
        let axis = try normalizeAxis(axis, rank: rank, op: "argmax")
        guard shape[axis] > 0 else { throw TensorError("argmax", "empty axis \(axis) of shape \(shape)") }
        return maxAlongAxis(axis).indices.map(Int.init)
    }

    /// Sums a broadcast gradient back to `target`, the shape of the operand it came from.
    func summed(toShape target: [Int]) throws -> Tensor {
        if shape == target { return self }
        var result = self
        let offset = rank - target.count
        for axis in stride(from: rank - 1, through: 0, by: -1)
        where axis < offset || (target[axis - offset] == 1 && shape[axis] != 1) {
            result = result.sumKeepingAxis(axis)
        }
        return try result.reshaped(target)
    }
}
