/// Batch normalization over the last (channel) axis, with Keras's conventions: moving
/// statistics follow `moving = moving * momentum + batch * (1 - momentum)`, and the moving
/// variance tracks the biased batch variance, as `keras.layers.BatchNormalization` does.

/// Running statistics of a batch-normalization layer, updated in place during training.
public struct BatchNormStatistics {
    public let movingMean: Tensor
    public let movingVariance: Tensor
    public init(movingMean: Tensor, movingVariance: Tensor) {
        self.movingMean = movingMean
        self.movingVariance = movingVariance
    }
}

/// Synchronized batch normalization (data-parallel training over several processes): while
/// `sum` is set, every training-mode batch normalization sums its per-channel statistics over
/// the processes, so that each normalizes with the mean and variance of the whole global batch
/// and propagates the gradient through them as one process would. The forward pass sums the
/// row count and each channel's sum and sum of squares; the backward pass sums `sum(dy)` and
/// `sum(dy * xhat)` for the input's gradient, while gamma's and beta's gradients stay this
/// process's own (the trainer sums those with every other gradient). Every process must run
/// the same layers in the same order.
public enum BatchNormSync {
    nonisolated(unsafe) public static var sum: ((UnsafeMutableBufferPointer<Double>) throws -> Void)?
}

/// Normalizes `x` per channel. In training the batch statistics normalize and the moving
/// statistics are updated; otherwise the moving statistics normalize and nothing changes.
/// `gamma` and `beta` are optional (Keras `scale=False`, `center=False`).
///
/// `activation` (ReLU or ReLU6) is applied in the same pass over the output: the graph's
/// inference rewrite of a normalization followed by its activation (a pre-activation block,
/// a depthwise convolution's), one pass over memory instead of two. Inference only: with
/// moving statistics and nothing recorded.
public func batchNorm(
    _ x: Tensor, gamma: Tensor?, beta: Tensor?, statistics: BatchNormStatistics, training: Bool,
    momentum: Float = 0.99, epsilon: Float = 1e-3, activation: OutputEpilogue.Activation = .linear
) throws -> Tensor {
    let op = "batchNorm"
    guard x.rank >= 2, let channels = x.shape.last else {
        throw TensorError(op, "expects (..., channels), got \(x.shape)")
    }
    if activation != .linear, training || GradMode.isEnabled && [x, gamma, beta].contains(where: { $0?.requiresGrad == true }) {
        throw TensorError(op, "an activation in the normalization's pass is for inference (moving statistics, no gradient recorded)")
    }
    for (name, tensor) in [("gamma", gamma), ("beta", beta), ("moving mean", statistics.movingMean),
                           ("moving variance", statistics.movingVariance)] {
        if let tensor, tensor.shape != [channels] {
            throw TensorError.shapes(op, "\(name) must have one value per channel; input and \(name)", x.shape, tensor.shape)
        }
    }
    let rows = x.count / channels
    let c = channels
    let mean = Storage(count: c)
    let inverseStd = Storage(count: c)
    // The rows the statistics were taken over: this batch's, or the global batch's when synced.
    var globalRows = rows
    let sync = training ? BatchNormSync.sum : nil
    if training {
        guard rows > 1 else {
            throw TensorError(op, "training needs more than one value per channel, got input \(x.shape)")
        }
        channelMoments(x.readData, rows: rows, channels: c, mean: mean.pointer, variance: inverseStd.pointer)
        if let sum = BatchNormSync.sum {
            // Count, sums and sums of squares in Double, summed over the processes.
            var totals = [Double](repeating: 0, count: 1 + 2 * c)
            totals[0] = Double(rows)
            for k in 0..<c {
                let (m, v) = (Double(mean.pointer[k]), Double(inverseStd.pointer[k]))
                totals[1 + k] = Double(rows) * m
                totals[1 + c + k] = Double(rows) * (v + m * m)
            }
            try totals.withUnsafeMutableBufferPointer { try sum($0) }
            globalRows = Int(totals[0].rounded())
            for k in 0..<c {
                let m = totals[1 + k] / totals[0]
                mean.pointer[k] = Float(m)
                inverseStd.pointer[k] = Float(Swift.max(totals[1 + c + k] / totals[0] - m * m, 0))
            }
        }
        let (movingMean, movingVariance) = (statistics.movingMean.data, statistics.movingVariance.data)
        for k in 0..<c {
            movingMean[k] = movingMean[k] * momentum + mean.pointer[k] * (1 - momentum)
            movingVariance[k] = movingVariance[k] * momentum + inverseStd.pointer[k] * (1 - momentum)
            inverseStd.pointer[k] = 1 / (inverseStd.pointer[k] + epsilon).squareRoot()
        }
    } else {
        for k in 0..<c {
            mean.pointer[k] = statistics.movingMean.data[k]
            inverseStd.pointer[k] = 1 / (statistics.movingVariance.data[k] + epsilon).squareRoot()
        }
    }
    let (scale, shift) = outputFactors(mean: mean.pointer, inverseStd: inverseStd.pointer, gamma: gamma, beta: beta, channels: c)
    let y = Tensor.uninitialized(x.shape)
    normalizeRows(of: [x], into: y, rows: rows, scale: scale, shift: shift, activation: activation)
    var inputs = [x]
    if let gamma { inputs.append(gamma) }
    if let beta { inputs.append(beta) }
    return Tensor.result(op, y, inputs: inputs) { dy in
        // Per channel: sum(dy) and sum(dy * xhat), where xhat = (x - mean) * inverseStd.
        let sums = Storage(zeros: 2 * c)
        channelGradientSums(dy.readData, x.readData, rows: rows, channels: c, mean: mean.pointer, inverseStd: inverseStd.pointer, into: sums.pointer)
        // gamma's and beta's gradients: this process's sums; the input's: the global batch's.
        let local = (0..<(2 * c)).map { sums.pointer[$0] }
        if let sync {
            var totals = local.map(Double.init)
            try totals.withUnsafeMutableBufferPointer { try sync($0) }
            for k in 0..<(2 * c) { sums.pointer[k] = Float(totals[k]) }
        }
        let (sumDy, sumDyXhat) = (sums.pointer, sums.pointer + c)
        var grads: [Tensor?] = []
        if x.requiresGrad {
            let dx = Tensor.uninitialized(x.shape)
            let (gp, xp, dp) = (dy.readData, x.readData, dx.data)
            let invRows = 1 / Float(globalRows)
            // The closure holds the per-channel storages; the loop reads them by pointer.
            let factors = UnsafePointer(scale.pointer)
            let (means, inverses) = (UnsafePointer(mean.pointer), UnsafePointer(inverseStd.pointer))
            let (sumsDy, sumsDyXhat) = (UnsafePointer(sumDy), UnsafePointer(sumDyXhat))
            withExtendedLifetime((scale, mean, inverseStd, sums)) {
                Parallel.ranges(rows, grain: Swift.max(1, elementGrain / c)) { range in
                    for row in range {
                        let (g, xv, d) = (gp + row * c, xp + row * c, dp + row * c)
                        var k = 0
                        if training {
                            let spread = SIMD8<Float>(repeating: invRows)
                            while k + 8 <= c {
                                let xhat = (load8(xv + k) - load8(means + k)) * load8(inverses + k)
                                let centred = load8(g + k) - spread * (load8(sumsDy + k) + xhat * load8(sumsDyXhat + k))
                                store8(load8(factors + k) * centred, d + k)
                                k += 8
                            }
                            while k < c {
                                let xhat = (xv[k] - means[k]) * inverses[k]
                                d[k] = factors[k] * (g[k] - invRows * (sumsDy[k] + xhat * sumsDyXhat[k]))
                                k += 1
                            }
                        } else {
                            while k + 8 <= c {
                                store8(load8(factors + k) * load8(g + k), d + k)
                                k += 8
                            }
                            while k < c {
                                d[k] = factors[k] * g[k]
                                k += 1
                            }
                        }
                    }
                }
            }
            grads.append(dx)
        } else {
            grads.append(nil)
        }
        if gamma != nil { grads.append(try Tensor(shape: [c], scalars: Array(local[c...]))) }
        if beta != nil { grads.append(try Tensor(shape: [c], scalars: Array(local[..<c]))) }
        return grads
    }
}

/// Inference normalization of the channel-wise join of `parts`, without making the join: equal,
/// bit for bit, to `batchNorm` (moving statistics) of `Tensor.concatenate(parts, axis: -1)`,
/// with `activation` in the same pass. The graph's deferred concatenation calls it where a
/// concatenation's output is read only by normalizations and further concatenations (a dense
/// block's): the parts are read where they lie, and the copy into the joined tensor, which the
/// normalization would read once more, is never made. Nothing is recorded for gradients.
public func batchNorm(
    joining parts: [Tensor], gamma: Tensor?, beta: Tensor?, statistics: BatchNormStatistics, epsilon: Float = 1e-3,
    activation: OutputEpilogue.Activation = .linear
) throws -> Tensor {
    let op = "batchNorm"
    guard let first = parts.first, first.rank >= 2 else {
        throw TensorError(op, "expects parts of shape (..., channels), got \(parts.map(\.shape))")
    }
    let leading = first.shape.dropLast()
    guard parts.allSatisfy({ $0.rank == first.rank && $0.shape.dropLast() == leading }) else {
        throw TensorError(op, "the parts of a channel join must agree on every axis but the last, got \(parts.map(\.shape))")
    }
    if GradMode.isEnabled, ([gamma, beta] + parts).contains(where: { $0?.requiresGrad == true }) {
        throw TensorError(op, "normalizing the parts of a join is for inference (moving statistics, no gradient recorded)")
    }
    let c = parts.reduce(0) { $0 + $1.shape[first.rank - 1] }
    for (name, tensor) in [("gamma", gamma), ("beta", beta), ("moving mean", statistics.movingMean),
                           ("moving variance", statistics.movingVariance)] {
        if let tensor, tensor.shape != [c] {
            throw TensorError.shapes(op, "\(name) must have one value per channel of the join; join and \(name)", Array(leading) + [c], tensor.shape)
        }
    }
    // The moving statistics' inverse deviations as `batchNorm` without training computes them.
    let inverseStd = Storage(count: c)
    let variances = statistics.movingVariance.readData
    for k in 0..<c { inverseStd.pointer[k] = 1 / (variances[k] + epsilon).squareRoot() }
    let (scale, shift) = outputFactors(
        mean: statistics.movingMean.readData, inverseStd: inverseStd.pointer, gamma: gamma, beta: beta, channels: c)
    let y = Tensor.uninitialized(Array(leading) + [c])
    normalizeRows(of: parts, into: y, rows: leading.reduce(1, *), scale: scale, shift: shift, activation: activation)
    return y
}

/// The per-channel `scale` and `shift` of a normalization's output pass, `y = x * scale + shift`:
/// gamma times the inverse deviation, and beta less the mean times that scale.
private func outputFactors(
    mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>, gamma: Tensor?, beta: Tensor?, channels c: Int
) -> (scale: Storage, shift: Storage) {
    let scale = Storage(count: c)
    let shift = Storage(count: c)
    for k in 0..<c {
        let g = gamma?.readData[k] ?? 1
        scale.pointer[k] = g * inverseStd[k]
        shift.pointer[k] = (beta?.readData[k] ?? 0) - mean[k] * scale.pointer[k]
    }
    return (scale, shift)
}

/// The output pass of a normalization: `y = x * scale + shift` per channel, then `activation`,
/// where `x` is the channel-wise join of `parts` (one part: the tensor itself) and `y` holds
/// `rows` rows of all their channels.
private func normalizeRows(
    of parts: [Tensor], into y: Tensor, rows: Int, scale: Storage, shift: Storage, activation: OutputEpilogue.Activation
) {
    let c = y.shape.last!
    let target = y.data
    let sources = parts.map { (data: $0.readData, channels: $0.shape.last!) }
    withExtendedLifetime((scale, shift, parts)) {
        Parallel.ranges(rows, grain: Swift.max(1, elementGrain / c)) { range in
            for row in range {
                var first = 0
                for source in sources {
                    let width = source.channels
                    let (input, output) = (source.data + row * width, target + row * c + first)
                    let (factors, offsets) = (UnsafePointer(scale.pointer + first), UnsafePointer(shift.pointer + first))
                    var k = 0
                    while k + 8 <= width {
                        store8(load8(input + k) * load8(factors + k) + load8(offsets + k), output + k)
                        k += 8
                    }
                    while k < width {
                        output[k] = input[k] * factors[k] + offsets[k]
                        k += 1
                    }
                    first += width
                }
            }
            activation.apply(target + range.lowerBound * c, count: range.count * c)
        }
    }
}

/// Per-channel mean and biased variance, accumulated in Double per thread.
private func channelMoments(
    _ x: UnsafePointer<Float>, rows: Int, channels c: Int, mean: UnsafeMutablePointer<Float>,
    variance: UnsafeMutablePointer<Float>
) {
    let pieces = Swift.max(1, Swift.min(Parallel.threadCount, rows / 64))
    var partial = [Double](repeating: 0, count: pieces * 2 * c)
    partial.withUnsafeMutableBufferPointer { buffer in
        let base = buffer.baseAddress!
        Parallel.forEach(pieces) { piece in
            // Shifted by the first row so that large offsets do not cancel.
            let sums = UnsafeMutablePointer<Float>.allocate(capacity: 2 * c)
            defer { sums.deallocate() }
            sums.initialize(repeating: 0, count: 2 * c)
            let start = rows * piece / pieces
            let end = rows * (piece + 1) / pieces
            for row in start..<end {
                let values = x + row * c
                var k = 0
                while k + 8 <= c {
                    let d = load8(values + k) - load8(x + k)
                    store8(load8(sums + k) + d, sums + k)
                    store8(load8(sums + c + k) + d * d, sums + c + k)
                    k += 8
                }
                while k < c {
                    let d = values[k] - x[k]
                    sums[k] += d
                    sums[c + k] += d * d
                    k += 1
                }
            }
            for k in 0..<(2 * c) { base[piece * 2 * c + k] = Double(sums[k]) }
        }
    }
    for k in 0..<c {
        var sum = 0.0
        var squares = 0.0
        for piece in 0..<pieces {
            sum += partial[piece * 2 * c + k]
            squares += partial[piece * 2 * c + c + k]
        }
        let shiftedMean = sum / Double(rows)
        mean[k] = Float(shiftedMean + Double(x[k]))
        variance[k] = Float(Swift.max(squares / Double(rows) - shiftedMean * shiftedMean, 0))
    }
}

/// Per-channel sum(dy) and sum(dy * xhat).
private func channelGradientSums(
    _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, channels c: Int,
    mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
) {
    let pieces = Swift.max(1, Swift.min(Parallel.threadCount, rows / 64))
    let partial = Storage(zeros: pieces * 2 * c)
    Parallel.forEach(pieces) { piece in
        let sums = partial.pointer + piece * 2 * c
        for row in (rows * piece / pieces)..<(rows * (piece + 1) / pieces) {
            let (g, xv) = (dy + row * c, x + row * c)
            var k = 0
            while k + 8 <= c {
                let gradient = load8(g + k)
                store8(load8(sums + k) + gradient, sums + k)
                store8(load8(sums + c + k) + gradient * (load8(xv + k) - load8(mean + k)), sums + c + k)
                k += 8
            }
            while k < c {
                sums[k] += g[k]
                sums[c + k] += g[k] * (xv[k] - mean[k])
                k += 1
            }
        }
    }
    for piece in 0..<pieces {
        for k in 0..<(2 * c) { out[k] += partial.pointer[piece * 2 * c + k] }
    }
    for k in 0..<c { out[c + k] *= inverseStd[k] }
}

// The loops over a row's channels go eight channels at a time: the per-channel vectors (scale,
// shift, the sums) are read through pointers that the compiler cannot prove apart from the row,
// so its own loops stayed scalar (measured: the forward's affine pass took 3.5 times as long as
// a ReLU pass over the same memory). Each channel's arithmetic and summation order is the
// scalar loop's, so the results are the same to the bit.
@inline(__always) private func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always) private func load8(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always) private func store8(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
}
