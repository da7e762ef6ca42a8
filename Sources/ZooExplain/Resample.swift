/// Resizing of single-channel maps to any size: bilinear (2D) and trilinear (3D) with
/// half-pixel centres and edge clamping, the rule of TensorFlow's `tf.image.resize(...,
/// "bilinear")` (no antialiasing) and PyTorch's `interpolate(align_corners=False)`.
public enum Resample {
    /// For one axis: the two source cells each output cell blends and the weight of the second.
    struct Taps {
        var low: [Int]
        var high: [Int]
        var weight: [Float]

        init(from n: Int, to m: Int) {
            low = [Int](repeating: 0, count: m)
            high = low
            weight = [Float](repeating: 0, count: m)
            let scale = Float(n) / Float(m)
            for o in 0..<m {
                let source = Swift.max((Float(o) + 0.5) * scale - 0.5, 0)
                let i0 = Swift.min(Int(source), n - 1)
                low[o] = i0
                high[o] = Swift.min(i0 + 1, n - 1)
                weight[o] = i0 == n - 1 ? 0 : source - Float(i0)
            }
        }
    }

    /// Resizes a map of spatial `shape` ([h, w] or [d, h, w], one value per cell, row-major)
    /// to `size` (same rank).
    public static func linear(_ values: [Float], shape: [Int], to size: [Int]) throws -> [Float] {
        guard shape.count == size.count, shape.count == 2 || shape.count == 3 else {
            throw ExplainError.invalidInput(what: "resize", reason: "shapes \(shape) and \(size) must both be 2D or 3D")
        }
        guard shape.allSatisfy({ $0 > 0 }), size.allSatisfy({ $0 > 0 }), values.count == shape.reduce(1, *) else {
            throw ExplainError.invalidInput(what: "resize", reason: "\(values.count) values do not fill \(shape) (or \(size) is empty)")
        }
        let from = shape.count == 2 ? [1] + shape : shape
        let to = size.count == 2 ? [1] + size : size
        let taps = (0..<3).map { Taps(from: from[$0], to: to[$0]) }
        var result = [Float](repeating: 0, count: to.reduce(1, *))
        let (fh, fw) = (from[1], from[2])
        var index = 0
        for z in 0..<to[0] {
            let (z0, z1, wz) = (taps[0].low[z], taps[0].high[z], taps[0].weight[z])
            for y in 0..<to[1] {
                let (y0, y1, wy) = (taps[1].low[y], taps[1].high[y], taps[1].weight[y])
                for x in 0..<to[2] {
                    let (x0, x1, wx) = (taps[2].low[x], taps[2].high[x], taps[2].weight[x])
                    func at(_ zz: Int, _ yy: Int, _ xx: Int) -> Float { values[(zz * fh + yy) * fw + xx] }
                    func plane(_ zz: Int) -> Float {
                        let top = at(zz, y0, x0) * (1 - wx) + at(zz, y0, x1) * wx
                        let bottom = at(zz, y1, x0) * (1 - wx) + at(zz, y1, x1) * wx
                        return top * (1 - wy) + bottom * wy
                    }
                    result[index] = wz == 0 ? plane(z0) : plane(z0) * (1 - wz) + plane(z1) * wz
                    index += 1
                }
            }
        }
        return result
    }
}
