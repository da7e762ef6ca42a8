import Foundation

/// Element-wise functions and their derivatives.

struct ExpMap: ElementMap { @inline(__always) func callAsFunction(_ x: Float) -> Float { expf(x) } }
struct LogMap: ElementMap { @inline(__always) func callAsFunction(_ x: Float) -> Float { logf(x) } }
struct SqrtMap: ElementMap { @inline(__always) func callAsFunction(_ x: Float) -> Float { x.squareRoot() } }
struct AbsMap: ElementMap { @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.abs(x) } }
struct PowMap: ElementMap {
    let exponent: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { powf(x, exponent) }
}
struct ClampMap: ElementMap {
    let low: Float
    let high: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.min(Swift.max(x, low), high) }
}
/// g where low < x < high (and at the bounds, as PyTorch's clamp), else 0.
struct ClampGradZip: ElementZip {
    let low: Float
    let high: Float
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float { x >= low && x <= high ? g : 0 }
}
struct SignTimesZip: ElementZip {
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float { x > 0 ? g : (x < 0 ? -g : 0) }
}
struct PowGradZip: ElementZip {
    let exponent: Float
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float {
        g * exponent * powf(x, exponent - 1)
    }
}
struct HalfOverZip: ElementZip {
    @inline(__always) func callAsFunction(_ g: Float, _ y: Float) -> Float { 0.5 * g / y }
}

extension Tensor {
    /// e to the power of each element.
    public func exp() -> Tensor {
        let value = mapElements(self, ExpMap())
        let saved = value.detached()
        return Tensor.result("exp", value, inputs: [self]) { g in [zipElements(g, saved, MultiplyZip())] }
    }

    /// The natural logarithm of each element.
    public func log() -> Tensor {
        let value = mapElements(self, LogMap())
        return Tensor.result("log", value, inputs: [self]) { [self] g in [zipElements(g, self, DivideZip())] }
    }

    /// The square root of each element.
    public func sqrt() -> Tensor {
        let value = mapElements(self, SqrtMap())
        let saved = value.detached()
        return Tensor.result("sqrt", value, inputs: [self]) { g in [zipElements(g, saved, HalfOverZip())] }
    }

    /// Each element raised to `exponent`.
    public func pow(_ exponent: Float) -> Tensor {
        let value = mapElements(self, PowMap(exponent: exponent))
        return Tensor.result("pow", value, inputs: [self]) { [self] g in
            [zipElements(g, self, PowGradZip(exponent: exponent))]
        }
    }

    /// The absolute value of each element (gradient 0 at 0).
    public func abs() -> Tensor {
        let value = mapElements(self, AbsMap())
        return Tensor.result("abs", value, inputs: [self]) { [self] g in [zipElements(g, self, SignTimesZip())] }
    }

    /// Each element limited to `low...high`.
    public func clamped(_ low: Float, _ high: Float) throws -> Tensor {
        guard low <= high else { throw TensorError("clamp", "lower bound \(low) exceeds upper bound \(high)") }
        let value = mapElements(self, ClampMap(low: low, high: high))
        return Tensor.result("clamp", value, inputs: [self]) { [self] g in
            [zipElements(g, self, ClampGradZip(low: low, high: high))]
        }
    }
}
