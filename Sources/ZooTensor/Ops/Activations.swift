import Foundation

/// Activation functions. Softmax and log-softmax work over the last axis (channels).

struct LeakyReluMap: ElementMap {
    let slope: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : x * slope }
}
struct LeakyReluGradZip: ElementZip {
    let slope: Float
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float { x > 0 ? g : g * slope }
}
struct SigmoidMap: ElementMap {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
}
struct SigmoidGradZip: ElementZip {
    @inline(__always) func callAsFunction(_ g: Float, _ y: Float) -> Float { g * y * (1 - y) }
}
struct TanhMap: ElementMap { @inline(__always) func callAsFunction(_ x: Float) -> Float { tanhf(x) } }
struct TanhGradZip: ElementZip {
    @inline(__always) func callAsFunction(_ g: Float, _ y: Float) -> Float { g * (1 - y * y) }
}

extension Tensor {
    /// Swift.max(x, 0).
    public func relu() -> Tensor { leakyRelu(slope: 0) }

    /// Swift.min(Swift.max(x, 0), 6), as MobileNetV2 uses.
    public func relu6() -> Tensor {
        let value = mapElements(self, ClampMap(low: 0, high: 6))
        return Tensor.result("relu6", value, inputs: [self]) { [self] g in
            // The derivative is 1 strictly inside (0, 6), as in TensorFlow and PyTorch.
            [zipElements(g, self, ClampGradZip(low: Float(0).nextUp, high: Float(6).nextDown))]
        }
    }

    /// x for x > 0, slope * x otherwise.
    public func leakyRelu(slope: Float = 0.2) -> Tensor {
        let value = mapElements(self, LeakyReluMap(slope: slope))
        return Tensor.result(slope == 0 ? "relu" : "leakyRelu", value, inputs: [self]) { [self] g in
            [zipElements(g, self, LeakyReluGradZip(slope: slope))]
        }
    }

    /// 1 / (1 + e^-x).
    public func sigmoid() -> Tensor {
        let value = mapElements(self, SigmoidMap())
        let saved = value.detached()
        return Tensor.result("sigmoid", value, inputs: [self]) { g in [zipElements(g, saved, SigmoidGradZip())] }
    }

    /// The hyperbolic tangent.
    public func tanh() -> Tensor {
        let value = mapElements(self, TanhMap())
        let saved = value.detached()
        return Tensor.result("tanh", value, inputs: [self]) { g in [zipElements(g, saved, TanhGradZip())] }
    }

    /// x * sigmoid(x) (Keras `swish`, PyTorch `SiLU`).
    public func swish() throws -> Tensor { try self * sigmoid() }

    /// Softmax over the last axis, computed from the maximum-shifted values.
    public func softmax() throws -> Tensor {
        let (value, _) = try softmaxRows(logarithm: false)
        let saved = value.detached()
        return Tensor.result("softmax", value, inputs: [self]) { g in
            // dx = y * (g - sum(g * y)) per row.
            let columns = saved.shape.last ?? 1
            let dx = Tensor.uninitialized(saved.shape)
            let (y, gp, out) = (saved.data, g.data, dx.data)
            Parallel.ranges(saved.count / Swift.max(columns, 1), grain: 64) { rows in
                for row in rows {
                    let base = row * columns
                    var dot: Float = 0
                    for j in 0..<columns { dot += gp[base + j] * y[base + j] }
                    for j in 0..<columns { out[base + j] = y[base + j] * (gp[base + j] - dot) }
                }
            }
            return [dx]
        }
    }

    /// log(softmax(x)) over the last axis, by the log-sum-exp identity.
    public func logSoftmax() throws -> Tensor {
        let (value, _) = try softmaxRows(logarithm: true)
        let saved = value.detached()
        return Tensor.result("logSoftmax", value, inputs: [self]) { g in
            // dx = g - softmax(x) * sum(g) per row.
            let columns = saved.shape.last ?? 1
            let dx = Tensor.uninitialized(saved.shape)
            let (logY, gp, out) = (saved.data, g.data, dx.data)
            Parallel.ranges(saved.count / Swift.max(columns, 1), grain: 64) { rows in
                for row in rows {
                    let base = row * columns
                    var total: Float = 0
                    for j in 0..<columns { total += gp[base + j] }
                    for j in 0..<columns { out[base + j] = gp[base + j] - expf(logY[base + j]) * total }
                }
            }
            return [dx]
        }
    }

    private func softmaxRows(logarithm: Bool) throws -> (Tensor, Int) {
        guard rank >= 1, let columns = shape.last, columns > 0 else {
            throw TensorError(logarithm ? "logSoftmax" : "softmax", "needs a non-empty last axis, got \(shape)")
        }
        let value = Tensor.uninitialized(shape)
        let (x, y) = (data, value.data)
        Parallel.ranges(count / columns, grain: 64) { rows in
            for row in rows {
                let base = row * columns
                var largest = -Float.infinity
                for j in 0..<columns { largest = Swift.max(largest, x[base + j]) }
                var total: Float = 0
                for j in 0..<columns {
                    let e = expf(x[base + j] - largest)
                    y[base + j] = e
                    total += e
                }
                if logarithm {
                    let logTotal = logf(total) + largest
                    for j in 0..<columns { y[base + j] = x[base + j] - logTotal }
                } else {
                    let inverse = 1 / total
                    for j in 0..<columns { y[base + j] *= inverse }
                }
            }
        }
        return (value, columns)
    }
}
