import ZooCore

/// Geometry kernels on DHWC grids (a 2D image is a grid of depth 1), on raw pointers.
/// Every function returns a new array; the caller decides what follows the image (masks
/// take nearest interpolation).
enum Grid {
    /// (depth, height, width, channels) of an HWC or DHWC array.
    @inline(__always) static func dims(_ shape: [Int]) -> (d: Int, h: Int, w: Int, c: Int) {
        shape.count == 4 ? (shape[0], shape[1], shape[2], shape[3]) : (1, shape[0], shape[1], shape[2])
    }

    /// The shape with new spatial extents ([h, w] or [d, h, w]) and the same channels.
    static func shape(_ spatial: [Int], channels: Int) -> [Int] { spatial + [channels] }

    /// Source taps for resizing `input` cells to `output` cells with half-pixel centres
    /// (`align_corners=False`, TensorFlow 2's and PyTorch's default): lower index, upper
    /// index and the upper weight; nearest takes the cell whose centre is closest.
    static func taps(input: Int, output: Int, linear: Bool) -> (low: [Int], high: [Int], weight: [Float]) {
        var low = [Int](repeating: 0, count: output), high = low
        var weight = [Float](repeating: 0, count: output)
        let scale = Double(input) / Double(output)
        for i in 0..<output {
            let centre = (Double(i) + 0.5) * scale - 0.5
            if linear {
                let clamped = Swift.max(0, Swift.min(Double(input - 1), centre))
                let base = Int(clamped.rounded(.down))
                low[i] = base
                high[i] = Swift.min(base + 1, input - 1)
                weight[i] = Float(clamped - Double(base))
            } else {
                let index = Swift.min(input - 1, Int(((Double(i) + 0.5) * scale).rounded(.down)))
                low[i] = index
                high[i] = index
            }
        }
        return (low, high, weight)
    }

    /// Resizes spatial extents to `size` ([h, w] or [d, h, w]) by (tri/bi)linear or nearest
    /// interpolation.
    static func resize(_ image: ImageArray, to size: [Int], linear: Bool) -> ImageArray {
        let (d, h, w, c) = dims(image.shape)
        let (od, oh, ow) = size.count == 3 ? (size[0], size[1], size[2]) : (1, size[0], size[1])
        let tz = taps(input: d, output: od, linear: linear)
        let ty = taps(input: h, output: oh, linear: linear)
        let tx = taps(input: w, output: ow, linear: linear)
        var out = [Float](repeating: 0, count: od * oh * ow * c)
        image.values.withUnsafeBufferPointer { sourceBuffer in
            out.withUnsafeMutableBufferPointer { targetBuffer in
                let source = sourceBuffer.baseAddress!, target = targetBuffer.baseAddress!
                var o = 0
                for z in 0..<od {
                    let z0 = tz.low[z] * h, z1 = tz.high[z] * h, fz = tz.weight[z]
                    for y in 0..<oh {
                        let y0 = ty.low[y], y1 = ty.high[y], fy = ty.weight[y]
                        let r00 = (z0 + y0) * w, r01 = (z0 + y1) * w, r10 = (z1 + y0) * w, r11 = (z1 + y1) * w
                        for x in 0..<ow {
                            let x0 = tx.low[x], x1 = tx.high[x], fx = tx.weight[x]
                            if !linear {
                                let s = (r00 + x0) * c
                                for k in 0..<c { target[o + k] = source[s + k] }
                            } else {
                                let a = (r00 + x0) * c, b = (r00 + x1) * c, e = (r01 + x0) * c, f = (r01 + x1) * c
                                let g = (r10 + x0) * c, hh = (r10 + x1) * c, i = (r11 + x0) * c, j = (r11 + x1) * c
                                for k in 0..<c {
                                    let top0 = source[a + k] + (source[b + k] - source[a + k]) * fx
                                    let bottom0 = source[e + k] + (source[f + k] - source[e + k]) * fx
                                    let plane0 = top0 + (bottom0 - top0) * fy
                                    let top1 = source[g + k] + (source[hh + k] - source[g + k]) * fx
                                    let bottom1 = source[i + k] + (source[j + k] - source[i + k]) * fx
                                    let plane1 = top1 + (bottom1 - top1) * fy
                                    target[o + k] = plane0 + (plane1 - plane0) * fz
                                }
                            }
                            o += c
                        }
                    }
                }
            }
        }
        return ImageArray(shape: shape(size, channels: c), values: out)
    }

    /// The window of spatial extents `size` starting at `origin` (which may be negative or
    /// run past the end: cells outside the image take `fill`). Crop and pad in one.
    static func window(_ image: ImageArray, origin: [Int], size: [Int], fill: Float) -> ImageArray {
        let (d, h, w, c) = dims(image.shape)
        let (oz, oy, ox) = origin.count == 3 ? (origin[0], origin[1], origin[2]) : (0, origin[0], origin[1])
        let (sd, sh, sw) = size.count == 3 ? (size[0], size[1], size[2]) : (1, size[0], size[1])
        var out = [Float](repeating: fill, count: sd * sh * sw * c)
        image.values.withUnsafeBufferPointer { sourceBuffer in
            out.withUnsafeMutableBufferPointer { targetBuffer in
                let source = sourceBuffer.baseAddress!, target = targetBuffer.baseAddress!
                let x0 = Swift.max(0, -ox), x1 = Swift.min(sw, w - ox)
                guard x1 > x0 else { return }
                for z in 0..<sd where z + oz >= 0 && z + oz < d {
                    for y in 0..<sh where y + oy >= 0 && y + oy < h {
                        let s = (((z + oz) * h + y + oy) * w + ox + x0) * c
                        let t = ((z * sh + y) * sw + x0) * c
                        (target + t).update(from: source + s, count: (x1 - x0) * c)
                    }
                }
            }
        }
        return ImageArray(shape: shape(size, channels: c), values: out)
    }

    /// Reverses spatial axis `axis` (0 = first spatial axis).
    static func flip(_ image: ImageArray, axis: Int) -> ImageArray {
        let spatial = image.spatialShape
        let extent = spatial[axis]
        let inner = spatial[(axis + 1)...].reduce(1, *) * image.channels
        let outer = spatial[..<axis].reduce(1, *)
        var out = image.values
        image.values.withUnsafeBufferPointer { sourceBuffer in
            out.withUnsafeMutableBufferPointer { targetBuffer in
                let source = sourceBuffer.baseAddress!, target = targetBuffer.baseAddress!
                for o in 0..<outer {
                    for i in 0..<extent {
                        let s = (o * extent + i) * inner, t = (o * extent + extent - 1 - i) * inner
                        (target + t).update(from: source + s, count: inner)
                    }
                }
            }
        }
        return ImageArray(shape: image.shape, values: out)
    }

    /// Rotates a volume (or image) by `quarterTurns` x 90 degrees in the plane of spatial axes
    /// `a` and `b` (numpy's `rot90` with `axes=(a, b)`).
    static func rotate90(_ image: ImageArray, quarterTurns: Int, axes a: Int, _ b: Int) -> ImageArray {
        let turns = ((quarterTurns % 4) + 4) % 4
        guard turns != 0 else { return image }
        if turns == 2 { return flip(flip(image, axis: a), axis: b) }
        // One quarter turn = transpose the two axes, then flip axis a (numpy: flip then swap).
        let swapped = transpose(image, a, b)
        return turns == 1 ? flip(swapped, axis: a) : flip(swapped, axis: b)
    }

    /// Swaps spatial axes `a` and `b`.
    static func transpose(_ image: ImageArray, _ a: Int, _ b: Int) -> ImageArray {
        var spatial = image.spatialShape
        let rank = spatial.count
        let c = image.channels
        var strides = [Int](repeating: 0, count: rank)
        var running = c
        for axis in stride(from: rank - 1, through: 0, by: -1) { strides[axis] = running; running *= spatial[axis] }
        spatial.swapAt(a, b)
        strides.swapAt(a, b)
        let padded = [Int](repeating: 1, count: 3 - rank) + spatial
        let paddedStrides = [Int](repeating: 0, count: 3 - rank) + strides
        var out = [Float](repeating: 0, count: image.values.count)
        image.values.withUnsafeBufferPointer { sourceBuffer in
            out.withUnsafeMutableBufferPointer { targetBuffer in
                let source = sourceBuffer.baseAddress!, target = targetBuffer.baseAddress!
                var t = 0
                for z in 0..<padded[0] {
                    for y in 0..<padded[1] {
                        for x in 0..<padded[2] {
                            let s = z * paddedStrides[0] + y * paddedStrides[1] + x * paddedStrides[2]
                            for k in 0..<c { target[t + k] = source[s + k] }
                            t += c
                        }
                    }
                }
            }
        }
        return ImageArray(shape: spatial + [c], values: out)
    }

    /// How samples outside the image are filled by warps.


    /// Resamples a 2D image (or each slice of a volume) at source positions given per output
    /// pixel by `position(y, x) -> (sy, sx)`, precomputed into two coordinate planes.
    static func remap(_ image: ImageArray, sourceY: [Float], sourceX: [Float], linear: Bool, fill: FillMode, value: Float) -> ImageArray {
        let (d, h, w, c) = dims(image.shape)
        var out = [Float](repeating: value, count: image.values.count)
        image.values.withUnsafeBufferPointer { sourceBuffer in
            out.withUnsafeMutableBufferPointer { targetBuffer in
                let source = sourceBuffer.baseAddress!, target = targetBuffer.baseAddress!
                for z in 0..<d {
                    let plane = z * h * w
                    for p in 0..<(h * w) {
                        var sy = sourceY[p], sx = sourceX[p]
                        if fill != .constant {
                            sy = resolve(sy, h, fill)
                            sx = resolve(sx, w, fill)
                        }
                        let t = (plane + p) * c
                        if linear {
                            guard sy > -1, sy < Float(h), sx > -1, sx < Float(w) else { continue }
                            let y0 = Int(sy.rounded(.down)), x0 = Int(sx.rounded(.down))
                            let fy = sy - Float(y0), fx = sx - Float(x0)
                            let ya = y0 >= 0 && y0 < h, yb = y0 + 1 >= 0 && y0 + 1 < h
                            let xa = x0 >= 0 && x0 < w, xb = x0 + 1 >= 0 && x0 + 1 < w
                            let w00: Float = ya && xa ? (1 - fy) * (1 - fx) : 0
                            let w01: Float = ya && xb ? (1 - fy) * fx : 0
                            let w10: Float = yb && xa ? fy * (1 - fx) : 0
                            let w11: Float = yb && xb ? fy * fx : 0
                            // Cells beyond the border count as the constant value.
                            let outside = 1 - (w00 + w01 + w10 + w11)
                            let s00 = ((plane + y0 * w + x0) * c)
                            for k in 0..<c {
                                var acc = outside * value
                                if w00 > 0 { acc += w00 * source[s00 + k] }
                                if w01 > 0 { acc += w01 * source[s00 + c + k] }
                                if w10 > 0 { acc += w10 * source[s00 + w * c + k] }
                                if w11 > 0 { acc += w11 * source[s00 + w * c + c + k] }
                                target[t + k] = acc
                            }
                        } else {
                            let yy = Int((sy + 0.5).rounded(.down)), xx = Int((sx + 0.5).rounded(.down))
                            guard yy >= 0, yy < h, xx >= 0, xx < w else { continue }
                            let s = (plane + yy * w + xx) * c
                            for k in 0..<c { target[t + k] = source[s + k] }
                        }
                    }
                }
            }
        }
        return ImageArray(shape: image.shape, values: out)
    }

    /// A coordinate brought inside [0, n-1] by clamping (`nearest`) or mirroring (`reflect`).
    @inline(__always) static func resolve(_ v: Float, _ n: Int, _ fill: FillMode) -> Float {
        let top = Float(n - 1)
        if fill == .nearest || n == 1 { return Swift.max(0, Swift.min(top, v)) }
        let period = 2 * top
        var m = v.truncatingRemainder(dividingBy: period)
        if m < 0 { m += period }
        return m > top ? period - m : m
    }

    /// Source coordinates of an affine map about the image centre: output (y, x) reads
    /// source `centre + inverse * (p - centre)`, where `inverse` is [[a, b], [c, d]] in (y, x).
    static func affineCoordinates(height h: Int, width w: Int, inverse: (Float, Float, Float, Float)) -> (y: [Float], x: [Float]) {
        let cy = Float(h - 1) / 2, cx = Float(w - 1) / 2
        var ys = [Float](repeating: 0, count: h * w), xs = ys
        for y in 0..<h {
            let dy = Float(y) - cy
            for x in 0..<w {
                let dx = Float(x) - cx
                ys[y * w + x] = cy + inverse.0 * dy + inverse.1 * dx
                xs[y * w + x] = cx + inverse.2 * dy + inverse.3 * dx
            }
        }
        return (ys, xs)
    }
}
