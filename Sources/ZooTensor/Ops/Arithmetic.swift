/// Element-wise arithmetic with NumPy broadcasting, and with scalars.

struct AddZip: ElementZip { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
struct SubtractZip: ElementZip { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
struct MultiplyZip: ElementZip { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
struct DivideZip: ElementZip { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
struct MaximumZip: ElementZip {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a >= b ? a : b }
}
struct MinimumZip: ElementZip {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a <= b ? a : b }
}
/// 1 where the left operand wins a maximum (ties go left), else 0.
struct LeftWinsMaxZip: ElementZip {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a >= b ? 1 : 0 }
}
struct LeftWinsMinZip: ElementZip {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a <= b ? 1 : 0 }
}
struct AffineMap: ElementMap {
    let scale: Float
    let shift: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x * scale + shift }
}

extension Tensor {
    public static func + (a: Tensor, b: Tensor) throws -> Tensor {
        let value = try broadcastZip(a, b, AddZip(), op: "add")
        return result("add", value, inputs: [a, b]) { g in
            [try g.summed(toShape: a.shape), try g.summed(toShape: b.shape)]
        }
    }

    public static func - (a: Tensor, b: Tensor) throws -> Tensor {
        let value = try broadcastZip(a, b, SubtractZip(), op: "subtract")
        return result("subtract", value, inputs: [a, b]) { g in
            [try g.summed(toShape: a.shape), try (-g).summed(toShape: b.shape)]
        }
    }

    public static func * (a: Tensor, b: Tensor) throws -> Tensor {
        let value = try broadcastZip(a, b, MultiplyZip(), op: "multiply")
        return result("multiply", value, inputs: [a, b]) { g in
            [
                a.requiresGrad ? try broadcastZip(g, b, MultiplyZip(), op: "multiply").summed(toShape: a.shape) : nil,
                b.requiresGrad ? try broadcastZip(g, a, MultiplyZip(), op: "multiply").summed(toShape: b.shape) : nil,
            ]
        }
    }

    public static func / (a: Tensor, b: Tensor) throws -> Tensor {
        let value = try broadcastZip(a, b, DivideZip(), op: "divide")
        return result("divide", value, inputs: [a, b]) { g in
            let gOverB = try broadcastZip(g, b, DivideZip(), op: "divide")
            return [
                a.requiresGrad ? try gOverB.summed(toShape: a.shape) : nil,
                // d(a/b)/db = -(a/b)/b; recomputed from the operands, because capturing the
                // result would make it own itself through its node.
                b.requiresGrad
                    ? try (-broadcastZip(
                        broadcastZip(gOverB, a, MultiplyZip(), op: "divide"), b, DivideZip(), op: "divide")
                    ).summed(toShape: b.shape)
                    : nil,
            ]
        }
    }

    /// The larger of two tensors, element by element (ties send the gradient to `a`).
    public static func maximum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try selecting(a, b, MaximumZip(), LeftWinsMaxZip(), op: "maximum")
    }

    /// The smaller of two tensors, element by element (ties send the gradient to `a`).
    public static func minimum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try selecting(a, b, MinimumZip(), LeftWinsMinZip(), op: "minimum")
    }

    private static func selecting<F: ElementZip, W: ElementZip>(
        _ a: Tensor, _ b: Tensor, _ f: F, _ leftWins: W, op: String
    ) throws -> Tensor {
        let value = try broadcastZip(a, b, f, op: op)
        return result(op, value, inputs: [a, b]) { g in
            let mask = try broadcastZip(a, b, leftWins, op: op)
            let toA = zipElements(g, mask, MultiplyZip())
            let toB = zipElements(g, mask.affine(scale: -1, shift: 1), MultiplyZip())
            return [try toA.summed(toShape: a.shape), try toB.summed(toShape: b.shape)]
        }
    }

    /// `self * scale + shift`, one pass.
    public func affine(scale: Float, shift: Float) -> Tensor {
        let value = mapElements(self, AffineMap(scale: scale, shift: shift))
        return Tensor.result("affine", value, inputs: [self]) { g in
            [scale == 1 ? g : mapElements(g, AffineMap(scale: scale, shift: 0))]
        }
    }

    public static prefix func - (x: Tensor) -> Tensor { x.affine(scale: -1, shift: 0) }
    public static func + (x: Tensor, s: Float) -> Tensor { x.affine(scale: 1, shift: s) }
    public static func + (s: Float, x: Tensor) -> Tensor { x.affine(scale: 1, shift: s) }
    public static func - (x: Tensor, s: Float) -> Tensor { x.affine(scale: 1, shift: -s) }
    public static func - (s: Float, x: Tensor) -> Tensor { x.affine(scale: -1, shift: s) }
    public static func * (x: Tensor, s: Float) -> Tensor { x.affine(scale: s, shift: 0) }
    public static func * (s: Float, x: Tensor) -> Tensor { x.affine(scale: s, shift: 0) }
    public static func / (x: Tensor, s: Float) -> Tensor { x.affine(scale: 1 / s, shift: 0) }

    /// Adds `other` into this tensor's memory (same shape), outside the graph.
    func addInPlace(_ other: Tensor) throws {
        guard other.shape == shape else {
            throw TensorError.shapes("addInPlace", "shapes differ", shape, other.shape)
        }
        let (target, source) = (data, other.data)
        Parallel.ranges(count, grain: elementGrain) { range in
            for i in range { target[i] += source[i] }
        }
    }
}
