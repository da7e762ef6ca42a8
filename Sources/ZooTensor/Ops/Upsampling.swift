import Foundation

/// Up-sampling by integer factors, 2D and 3D: nearest (Keras `UpSampling2D`, a repeat) and
/// linear (bilinear, trilinear) with half-pixel centres and edge clamping, as TensorFlow's
/// `image.resize` and PyTorch's `align_corners=False`.

/// How `upsample` fills new cells.
public enum Interpolation: String, Sendable {
    case nearest
    /// Bilinear in 2D, trilinear in 3D.
    case linear
}

/// For one axis: the two source cells each output cell blends and the weight of the second.
private struct AxisTaps {
    var low: [Int]
    var high: [Int]
    var weight: [Float]

    init(extent n: Int, factor: Int, interpolation: Interpolation) {
        let out = n * factor
        low = [Int](repeating: 0, count: out)
        high = low
        weight = [Float](repeating: 0, count: out)
        for o in 0..<out {
            switch interpolation {
            case .nearest:
                low[o] = o / factor
                high[o] = low[o]
            case .linear:
                let source = Swift.max((Float(o) + 0.5) / Float(factor) - 0.5, 0)
                let i0 = Swift.min(Int(source), n - 1)
                low[o] = i0
                high[o] = Swift.min(i0 + 1, n - 1)
                weight[o] = source - Float(i0)
            }
        }
    }
}

/// Scales the spatial axes of an NHWC or NDHWC tensor by `factors`.
public func upsample(_ x: Tensor, factors: [Int], interpolation: Interpolation = .nearest) throws -> Tensor {
    let spatialDims = x.rank - 2
    let op = "upsample"
    guard spatialDims == 2 || spatialDims == 3 else {
        throw TensorError(op, "expects an NHWC or NDHWC input, got shape \(x.shape)")
    }
    let (batch, spatial, c) = try spatialLayout(x.shape, spatialDims: spatialDims, op: op)
    let scale = try spatialTriple(factors, spatialDims: spatialDims, fill: 1, name: "factors", op: op)
    guard scale.allSatisfy({ $0 >= 1 }) else { throw TensorError(op, "factors must be positive, got \(factors)") }
    let taps = (0..<3).map { AxisTaps(extent: spatial[$0], factor: scale[$0], interpolation: interpolation) }
    let out = (0..<3).map { spatial[$0] * scale[$0] }
    let outShape = [batch] + (spatialDims == 2 ? Array(out.suffix(2)) : out) + [c]
    let y = Tensor.uninitialized(outShape)
    let (source, target) = (x.data, y.data)
    let (d, h, w) = (spatial[0], spatial[1], spatial[2])

    /// Calls `body(outputCell, inputCell, weight)` for the (up to 8) contributions of a cell.
    func contributions(_ n: Int, _ z: Int, _ yy: Int, _ xx: Int, _ body: (Int, Float) -> Void) {
        let (tz, ty, tx) = (taps[0], taps[1], taps[2])
        for sz in 0..<2 {
            let wz = sz == 0 ? 1 - tz.weight[z] : tz.weight[z]
            if wz == 0 { continue }
            let iz = sz == 0 ? tz.low[z] : tz.high[z]
            for sy in 0..<2 {
                let wy = sy == 0 ? 1 - ty.weight[yy] : ty.weight[yy]
                if wy == 0 { continue }
                let iy = sy == 0 ? ty.low[yy] : ty.high[yy]
                for sx in 0..<2 {
                    let wx = sx == 0 ? 1 - tx.weight[xx] : tx.weight[xx]
                    if wx == 0 { continue }
                    let ix = sx == 0 ? tx.low[xx] : tx.high[xx]
                    body(((n * d + iz) * h + iy) * w + ix, wz * wy * wx)
                }
            }
        }
    }

    let outRows = batch * out[0] * out[1]
    Parallel.ranges(outRows, grain: 4) { rows in
        for row in rows {
            let yy = row % out[1]
            let z = (row / out[1]) % out[0]
            let n = row / (out[1] * out[0])
            for xx in 0..<out[2] {
                let cell = target + (row * out[2] + xx) * c
                cell.update(repeating: 0, count: c)
                contributions(n, z, yy, xx) { inputCell, weight in
                    let pixel = source + inputCell * c
                    for k in 0..<c { cell[k] += weight * pixel[k] }
                }
            }
        }
    }
    return Tensor.result(op, y, inputs: [x]) { dy in
        let dx = Tensor(zeros: x.shape)
        let (gp, dp) = (dy.data, dx.data)
        // Cells of one image only feed that image: split the scatter by image.
        Parallel.forEach(batch) { n in
            for z in 0..<out[0] {
                for yy in 0..<out[1] {
                    let row = (n * out[0] + z) * out[1] + yy
                    for xx in 0..<out[2] {
                        let grad = gp + (row * out[2] + xx) * c
                        contributions(n, z, yy, xx) { inputCell, weight in
                            let cell = dp + inputCell * c
                            for k in 0..<c { cell[k] += weight * grad[k] }
                        }
                    }
                }
            }
        }
        return [dx]
    }
}
