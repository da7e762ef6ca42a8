/// Reshape, permute, concatenate, slice, pad and gather.
///
/// Slice, pad and gather are one kernel: every output coordinate along each axis reads a
/// source coordinate given by a per-axis table (-1 reads zero), and the gradient scatters back
/// through the same tables.

/// How `padded` fills the border.
public enum PaddingMode: Sendable {
    /// Zeros.
    case zero
    /// The mirror image without repeating the edge (NumPy `reflect`, PyTorch `ReflectionPad`).
    case reflect
}

extension Tensor {
    /// The same elements in a new shape; one extent may be -1 and is inferred.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var target = newShape
        let unknown = newShape.indices.filter { newShape[$0] == -1 }
        guard unknown.count <= 1, newShape.allSatisfy({ $0 >= -1 }) else {
            throw TensorError.shapes("reshape", "invalid target shape", shape, newShape)
        }
        if let axis = unknown.first {
            let known = newShape.filter { $0 != -1 }.reduce(1, *)
            guard known > 0, count % known == 0 else {
                throw TensorError.shapes("reshape", "cannot infer the extent", shape, newShape)
            }
            target[axis] = count / known
        }
        guard target.elementCount == count else {
            throw TensorError.shapes("reshape", "element counts differ", shape, newShape)
        }
        if target == shape { return self }
        let value = Tensor(view: storage, shape: target)
        return Tensor.result("reshape", value, inputs: [self]) { [shape] g in [try g.reshaped(shape)] }
    }

    /// Axes reordered: result axis i is input axis `axes[i]`.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.count == rank, Set(axes) == Set(0..<rank) else {
            throw TensorError("permute", "\(axes) is not a permutation of the axes of \(shape)")
        }
        if axes == Array(0..<rank) { return self }
        let outShape = axes.map { shape[$0] }
        let inStrides = shape.contiguousStrides
        let readStrides = axes.map { inStrides[$0] }
        let value = Tensor.uninitialized(outShape)
        let (source, target) = (data, value.data)
        walkBroadcast(outShape, readStrides, readStrides) { out, from, _ in target[out] = source[from] }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, axis) in axes.enumerated() { inverse[axis] = i }
        return Tensor.result("permute", value, inputs: [self]) { g in [try g.permuted(inverse)] }
    }

    /// The tensors joined along `axis`; all other extents must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError("concatenate", "no tensors given") }
        let axis = try normalizeAxis(axis, rank: first.rank, op: "concatenate")
        for tensor in tensors.dropFirst() {
            var a = first.shape
            var b = tensor.shape
            guard a.count == b.count else {
                throw TensorError.shapes("concatenate", "ranks differ", first.shape, tensor.shape)
            }
            a[axis] = 0
            b[axis] = 0
            guard a == b else {
                throw TensorError.shapes("concatenate", "extents differ off axis \(axis)", first.shape, tensor.shape)
            }
        }
        var outShape = first.shape
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let value = Tensor.uninitialized(outShape)
        let view = AxisView(outShape, axis: axis)
        let rowLength = view.extent * view.inner
        var offset = 0
        for tensor in tensors {
            let length = tensor.shape[axis] * view.inner
            let (source, target) = (tensor.data, value.data + offset)
            Parallel.ranges(view.outer, grain: Swift.max(1, elementGrain / Swift.max(length, 1))) { rows in
                for o in rows { (target + o * rowLength).update(from: source + o * length, count: length) }
            }
            offset += length
        }
        let extents = tensors.map { $0.shape[axis] }
        return result("concatenate", value, inputs: tensors) { g in
            var start = 0
            return try extents.map { extent in
                defer { start += extent }
                var ranges = outShape.map { 0..<$0 }
                ranges[axis] = start..<(start + extent)
                return try g.sliced(ranges)
            }
        }
    }

    /// The block `ranges[i]` along each axis i.
    public func sliced(_ ranges: [Range<Int>]) throws -> Tensor {
        guard ranges.count == rank else {
            throw TensorError("slice", "\(ranges.count) ranges for a tensor of shape \(shape)")
        }
        for (axis, range) in ranges.enumerated() where range.lowerBound < 0 || range.upperBound > shape[axis] {
            throw TensorError("slice", "range \(range) is outside axis \(axis) of shape \(shape)")
        }
        return remapped("slice", ranges.map { Array($0).map(Int32.init) })
    }

    /// Padding of `amounts[i] = (before, after)` along each axis i.
    public func padded(_ amounts: [(before: Int, after: Int)], mode: PaddingMode = .zero) throws -> Tensor {
        guard amounts.count == rank, amounts.allSatisfy({ $0.before >= 0 && $0.after >= 0 }) else {
            throw TensorError("pad", "\(amounts.map { [$0.before, $0.after] }) does not fit shape \(shape)")
        }
        var tables = [[Int32]]()
        for (axis, amount) in amounts.enumerated() {
            let n = shape[axis]
            if mode == .reflect, amount.before >= n || amount.after >= n, amount.before + amount.after > 0 {
                throw TensorError("pad", "reflect padding \(amount) needs more than \(n) elements on axis \(axis)")
            }
            tables.append((-amount.before..<(n + amount.after)).map { i in
                if i >= 0 && i < n { return Int32(i) }
                if mode == .zero { return -1 }
                return Int32(i < 0 ? -i : 2 * (n - 1) - i)
            })
        }
        return remapped("pad", tables)
    }

    /// The entries at `indices` along `axis` (PyTorch `index_select`, NumPy `take`).
    public func gathered(_ indices: [Int], axis: Int) throws -> Tensor {
        let axis = try normalizeAxis(axis, rank: rank, op: "gather")
        if let bad = indices.first(where: { $0 < 0 || $0 >= shape[axis] }) {
            throw TensorError("gather", "index \(bad) is outside axis \(axis) of shape \(shape)")
        }
        var tables = shape.map { (0..<$0).map(Int32.init) }
        tables[axis] = indices.map(Int32.init)
        return remapped("gather", tables)
    }

    /// out[i0, i1, ...] = self[t0[i0], t1[i1], ...], zero where a table holds -1.
    private func remapped(_ op: String, _ tables: [[Int32]]) -> Tensor {
        let outShape = tables.map(\.count)
        let value = Tensor.uninitialized(outShape)
        let inStrides = shape.contiguousStrides
        let source = readData
        let target = value.data
        let columns = outShape.last ?? 1
        let rows = rank == 0 ? 1 : outShape.dropLast().reduce(1, *)
        let lastTable = tables.last ?? [0]
        let lastStride = inStrides.last ?? 1
        // The last axis taken whole and in order (a padding or a slice of the other axes, as
        // of channels-last images): each output row is one contiguous input row.
        let wholeRows = rank > 0 && lastTable.count == shape[rank - 1] && lastTable.indices.allSatisfy { lastTable[$0] == Int32($0) }
        Parallel.ranges(rows, grain: Swift.max(1, elementGrain / Swift.max(columns, 1))) { range in
            for row in range {
                let base = Tensor.rowOffset(row, outShape: outShape, tables: tables, strides: inStrides)
                let out = target + row * columns
                guard let base else {
                    out.update(repeating: 0, count: columns)
                    continue
                }
                if wholeRows {
                    out.update(from: source + base, count: columns)
                    continue
                }
                for j in 0..<columns {
                    let k = lastTable[j]
                    out[j] = k < 0 ? 0 : source[base + Int(k) * lastStride]
                }
            }
        }
        return Tensor.result(op, value, inputs: [self]) { [shape] g in
            let grad = Tensor(zeros: shape)
            let (gp, dx) = (g.data, grad.data)
            for row in 0..<rows {
                guard let base = Tensor.rowOffset(row, outShape: outShape, tables: tables, strides: inStrides)
                else { continue }
                for j in 0..<columns where lastTable[j] >= 0 {
                    dx[base + Int(lastTable[j]) * lastStride] += gp[row * columns + j]
                }
            }
            return [grad]
        }
    }

    /// The source offset of output row `row` (all axes but the last), or nil if it reads padding.
    @inline(__always)
    private static func rowOffset(_ row: Int, outShape: [Int], tables: [[Int32]], strides: [Int]) -> Int? {
        var rest = row
        var offset = 0
        var axis = outShape.count - 2
        while axis >= 0 {
            let coordinate = rest % outShape[axis]
            rest /= outShape[axis]
            let k = tables[axis][coordinate]
            if k < 0 { return nil }
            offset += Int(k) * strides[axis]
            axis -= 1
        }
        return offset
    }
}
