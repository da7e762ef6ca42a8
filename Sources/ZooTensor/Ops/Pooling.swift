/// Max and average pooling, 2D and 3D, and global pooling. Windows follow the convolution
/// geometry, so 'same' pooling pads as TensorFlow does; padded cells never win a maximum and,
/// as in Keras, are left out of an average unless `countIncludesPadding` asks otherwise
/// (PyTorch's `count_include_pad=True`).

private enum PoolKind { case max, average(countIncludesPadding: Bool) }

extension ConvGeometry {
    /// Visits the valid input offsets (in units of pixels) of output position `row`'s window.
    @inline(__always)
    func forEachWindowCell(_ row: Int, _ body: (Int) -> Void) -> Int {
        var m = row
        let x0 = m % output[2]; m /= output[2]
        let y0 = m % output[1]; m /= output[1]
        let z0 = m % output[0]
        let n = m / output[0]
        var cells = 0
        for a in 0..<kernel[0] {
            let z = z0 * strides[0] - padBefore[0] + a
            if z < 0 || z >= input[0] { continue }
            for b in 0..<kernel[1] {
                let y = y0 * strides[1] - padBefore[1] + b
                if y < 0 || y >= input[1] { continue }
                for e in 0..<kernel[2] {
                    let x = x0 * strides[2] - padBefore[2] + e
                    if x < 0 || x >= input[2] { continue }
                    body(((n * input[0] + z) * input[1] + y) * input[2] + x)
                    cells += 1
                }
            }
        }
        return cells
    }
}

private func pool(
    _ op: String, _ x: Tensor, kind: PoolKind, spatialDims: Int, poolSize: [Int], strides: [Int]?, padding: Padding
) throws -> Tensor {
    let (batch, spatial, channels) = try spatialLayout(x.shape, spatialDims: spatialDims, op: op)
    let window = try spatialTriple(poolSize, spatialDims: spatialDims, fill: 1, name: "pool size", op: op)
    let g = try ConvGeometry(
        op: op, batch: batch, input: spatial, inChannels: channels, outChannels: channels, kernel: window,
        strides: try spatialTriple(strides ?? poolSize, spatialDims: spatialDims, fill: 1, name: "strides", op: op),
        dilations: [1, 1, 1], padding: try spatialPadding(padding, spatialDims: spatialDims, op: op))
    let outShape = [batch] + (spatialDims == 2 ? Array(g.output.suffix(2)) : g.output) + [channels]
    let y = Tensor.uninitialized(outShape)
    let (source, target, c) = (x.readData, y.data, channels)
    switch kind {
    case .max where !(GradMode.isEnabled && x.requiresGrad):
        // Nothing records the gradient: the maximum alone, without each winner's cell.
        Parallel.ranges(g.rows, grain: 16) { rows in
            for row in rows {
                let out = target + row * c
                var first = true
                _ = g.forEachWindowCell(row) { cell in
                    let pixel = source + cell * c
                    if first {
                        out.update(from: pixel, count: c)
                        first = false
                    } else {
                        // As the recorded path compares: a later cell wins only when greater.
                        combine(out, pixel, count: c, simd: { $0.replacing(with: $1, where: $1 .> $0) }, scalar: { $1 > $0 ? $1 : $0 })
                    }
                }
                if first { out.update(repeating: 0, count: c) }  // a window wholly in explicit padding
            }
        }
        return y
    case .max:
        var winners = [Int32](repeating: 0, count: g.rows * c)
        winners.withUnsafeMutableBufferPointer { buffer in
            let winner = buffer.baseAddress!
            Parallel.ranges(g.rows, grain: 16) { rows in
                for row in rows {
                    let out = target + row * c
                    let best = winner + row * c
                    var first = true
                    _ = g.forEachWindowCell(row) { cell in
                        let pixel = source + cell * c
                        if first {
                            out.update(from: pixel, count: c)
                            best.update(repeating: Int32(cell), count: c)
                            first = false
                            return
                        }
                        // Eight channels at a time: the branch-free maximum and the
                        // winner's cell by a lane mask (a scalar branch per channel was
                        // most of this op's time).
                        var k = 0
                        let candidate = SIMD8<Int32>(repeating: Int32(cell))
                        while k + 8 <= c {
                            let value = UnsafeRawPointer(pixel + k).loadUnaligned(as: SIMD8<Float>.self)
                            let current = UnsafeRawPointer(out + k).loadUnaligned(as: SIMD8<Float>.self)
                            let wins = value .> current
                            var winners = UnsafeRawPointer(best + k).loadUnaligned(as: SIMD8<Int32>.self)
                            winners.replace(with: candidate, where: wins)
                            UnsafeMutableRawPointer(out + k).storeBytes(of: current.replacing(with: value, where: wins), as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(best + k).storeBytes(of: winners, as: SIMD8<Int32>.self)
                            k += 8
                        }
                        while k < c {
                            if pixel[k] > out[k] {
                                out[k] = pixel[k]
                                best[k] = Int32(cell)
                            }
                            k += 1
                        }
                    }
                    if first {  // a window wholly in explicit padding
                        out.update(repeating: 0, count: c)
                        best.update(repeating: -1, count: c)
                    }
                }
            }
        }
        return Tensor.result(op, y, inputs: [x]) { dy in
            let dx = Tensor(zeros: x.shape)
            let (gp, dp) = (dy.data, dx.data)
            // Windows never reach across images, so images scatter in parallel.
            let rowsPerImage = g.rows / Swift.max(batch, 1)
            winners.withUnsafeBufferPointer { buffer in
                let winner = buffer.baseAddress!
                Parallel.ranges(batch, grain: 1) { images in
                    for row in (images.lowerBound * rowsPerImage)..<(images.upperBound * rowsPerImage) {
                        for k in 0..<c where winner[row * c + k] >= 0 {
                            dp[Int(winner[row * c + k]) * c + k] += gp[row * c + k]
                        }
                    }
                }
            }
            return [dx]
        }
    case .average(let countIncludesPadding):
        let fullWindow = Float(window.reduce(1, *))
        var divisors = [Float](repeating: 1, count: g.rows)
        divisors.withUnsafeMutableBufferPointer { buffer in
            let divisor = buffer.baseAddress!
            Parallel.ranges(g.rows, grain: 16) { rows in
                for row in rows {
                    let out = target + row * c
                    out.update(repeating: 0, count: c)
                    let cells = g.forEachWindowCell(row) { cell in
                        combine(out, source + cell * c, count: c, simd: { $0 + $1 }, scalar: { $0 + $1 })
                    }
                    divisor[row] = countIncludesPadding ? fullWindow : Float(Swift.max(cells, 1))
                    let scale = 1 / divisor[row]
                    for k in 0..<c { out[k] *= scale }
                }
            }
        }
        return Tensor.result(op, y, inputs: [x]) { dy in
            let dx = Tensor(zeros: x.shape)
            let (gp, dp) = (dy.data, dx.data)
            for row in 0..<g.rows {
                let scale = 1 / divisors[row]
                let grad = gp + row * c
                _ = g.forEachWindowCell(row) { cell in
                    let target = dp + cell * c
                    for k in 0..<c { target[k] += grad[k] * scale }
                }
            }
            return [dx]
        }
    }
}

/// 2D max pooling over an NHWC input; strides default to the pool size, as in Keras.
public func maxPool2d(_ x: Tensor, poolSize: [Int], strides: [Int]? = nil, padding: Padding = .valid) throws -> Tensor {
    try pool("maxPool2d", x, kind: .max, spatialDims: 2, poolSize: poolSize, strides: strides, padding: padding)
}

/// 3D max pooling over an NDHWC input.
public func maxPool3d(_ x: Tensor, poolSize: [Int], strides: [Int]? = nil, padding: Padding = .valid) throws -> Tensor {
    try pool("maxPool3d", x, kind: .max, spatialDims: 3, poolSize: poolSize, strides: strides, padding: padding)
}

/// 2D average pooling over an NHWC input.
public func avgPool2d(
    _ x: Tensor, poolSize: [Int], strides: [Int]? = nil, padding: Padding = .valid, countIncludesPadding: Bool = false
) throws -> Tensor {
    try pool(
        "avgPool2d", x, kind: .average(countIncludesPadding: countIncludesPadding), spatialDims: 2, poolSize: poolSize,
        strides: strides, padding: padding)
}

/// 3D average pooling over an NDHWC input.
public func avgPool3d(
    _ x: Tensor, poolSize: [Int], strides: [Int]? = nil, padding: Padding = .valid, countIncludesPadding: Bool = false
) throws -> Tensor {
    try pool(
        "avgPool3d", x, kind: .average(countIncludesPadding: countIncludesPadding), spatialDims: 3, poolSize: poolSize,
        strides: strides, padding: padding)
}

/// The mean over every spatial axis of a channels-last tensor: (N, ..., C) -> (N, C).
public func globalAvgPool(_ x: Tensor) throws -> Tensor {
    guard x.rank >= 3 else { throw TensorError("globalAvgPool", "expects (N, spatial..., C), got \(x.shape)") }
    return try x.reshaped([x.shape[0], -1, x.shape[x.rank - 1]]).mean(axes: [1])
}

/// The maximum over every spatial axis of a channels-last tensor: (N, ..., C) -> (N, C).
public func globalMaxPool(_ x: Tensor) throws -> Tensor {
    guard x.rank >= 3 else { throw TensorError("globalMaxPool", "expects (N, spatial..., C), got \(x.shape)") }
    return try x.reshaped([x.shape[0], -1, x.shape[x.rank - 1]]).max(axes: [1])
}

/// `out[k] = f(out[k], pixel[k])` for `count` channels, eight at a time: the compiler cannot
/// prove the two rows apart, and left to itself keeps such a loop scalar.
@inline(__always)
private func combine(
    _ out: UnsafeMutablePointer<Float>, _ pixel: UnsafePointer<Float>, count: Int,
    simd: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>, scalar: (Float, Float) -> Float
) {
    var k = 0
    while k + 8 <= count {
        let current = UnsafeRawPointer(out + k).loadUnaligned(as: SIMD8<Float>.self)
        let value = UnsafeRawPointer(pixel + k).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + k).storeBytes(of: simd(current, value), as: SIMD8<Float>.self)
        k += 8
    }
    while k < count {
        out[k] = scalar(out[k], pixel[k])
        k += 1
    }
}
