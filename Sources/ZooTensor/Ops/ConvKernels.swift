/// Convolution as im2col + SGEMM, tiled so that the column buffer stays bounded.
///
/// An output position is a row of the column matrix and a (tap, input channel) pair is a
/// column, so channels-last input rows copy as contiguous runs of `inChannels` floats, and the
/// DHWIO kernel is already the (taps * inChannels) x outChannels matrix.

/// Upper bound on the im2col buffer, in floats (16 MiB): a tile of output rows is sized so
/// that its columns fit, which keeps a 128^3 volume from asking for gigabytes. A variable
/// only so that tests can force several tiles on small inputs.
var im2colBudget = 1 << 22

extension ConvGeometry {
    /// Output rows per tile.
    var tileRows: Int { Swift.max(1, Swift.min(rows, im2colBudget / Swift.max(columns, 1))) }

    /// Copies rows `first..<first+count` of the column matrix of `x` into `cols`.
    func im2col(_ x: UnsafePointer<Float>, rows first: Int, count: Int, into cols: UnsafeMutablePointer<Float>) {
        let (od, oh, ow) = (output[0], output[1], output[2])
        let (id, ih, iw) = (input[0], input[1], input[2])
        let (kd, kh, kw) = (kernel[0], kernel[1], kernel[2])
        let c = inChannels
        let columns = self.columns
        let (sd, sh, sw) = (strides[0], strides[1], strides[2])
        let (dd, dh, dw) = (dilations[0], dilations[1], dilations[2])
        let (pd, ph, pw) = (padBefore[0], padBefore[1], padBefore[2])
        Parallel.ranges(count, grain: Swift.max(1, 4096 / Swift.max(columns, 1))) { range in
            for local in range {
                var m = first + local
                let x0 = m % ow; m /= ow
                let y0 = m % oh; m /= oh
                let z0 = m % od
                let n = m / od
                var column = cols + local * columns
                let zStart = z0 * sd - pd
                let yStart = y0 * sh - ph
                let xStart = x0 * sw - pw
                for a in 0..<kd {
                    let z = zStart + a * dd
                    for b in 0..<kh {
                        let y = yStart + b * dh
                        let rowInside = z >= 0 && z < id && y >= 0 && y < ih
                        let rowBase = x + ((n * id + z) * ih + y) * iw * c
                        for e in 0..<kw {
                            let xx = xStart + e * dw
                            if rowInside && xx >= 0 && xx < iw {
                                column.update(from: rowBase + xx * c, count: c)
                            } else {
                                column.update(repeating: 0, count: c)
                            }
                            column += c
                        }
                    }
                }
            }
        }
    }

    /// Adds the column-matrix rows `first..<first+count` back into `dx` (the adjoint of im2col).
    func col2im(_ cols: UnsafePointer<Float>, rows first: Int, count: Int, into dx: UnsafeMutablePointer<Float>) {
        let (od, oh, ow) = (output[0], output[1], output[2])
        let (id, ih, iw) = (input[0], input[1], input[2])
        let (kd, kh, kw) = (kernel[0], kernel[1], kernel[2])
        let c = inChannels
        let columns = self.columns
        let perImage = od * oh * ow
        let (sd, sh, sw) = (strides[0], strides[1], strides[2])
        let (dd, dh, dw) = (dilations[0], dilations[1], dilations[2])
        let (pd, ph, pw) = (padBefore[0], padBefore[1], padBefore[2])
        func add(_ local: Int) {
            var m = first + local
            let x0 = m % ow; m /= ow
            let y0 = m % oh; m /= oh
            let z0 = m % od
            let n = m / od
            var column = cols + local * columns
            for a in 0..<kd {
                let z = z0 * sd - pd + a * dd
                for b in 0..<kh {
                    let y = y0 * sh - ph + b * dh
                    let rowInside = z >= 0 && z < id && y >= 0 && y < ih
                    let rowBase = dx + ((n * id + z) * ih + y) * iw * c
                    for e in 0..<kw {
                        let xx = x0 * sw - pw + e * dw
                        if rowInside && xx >= 0 && xx < iw {
                            let target = rowBase + xx * c
                            for j in 0..<c { target[j] += column[j] }
                        }
                        column += c
                    }
                }
            }
        }
        let windowsOverlap = (0..<3).contains { effectiveKernel[$0] > strides[$0] }
        if !windowsOverlap {
            // Each input cell receives from one output position at most: rows are independent.
            Parallel.ranges(count, grain: 64) { range in for local in range { add(local) } }
        } else {
            // Windows overlap within an image, never across images: split by image.
            let firstImage = first / perImage
            let lastImage = (first + count - 1) / perImage
            Parallel.forEach(lastImage - firstImage + 1) { i in
                let image = firstImage + i
                let start = Swift.max(first, image * perImage) - first
                let end = Swift.min(first + count, (image + 1) * perImage) - first
                for local in start..<end { add(local) }
            }
        }
    }

    /// y = conv(x, w) (+ bias), y laid out (rows, outChannels).
    func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
        let n = outChannels
        if let bias {
            Parallel.ranges(rows, grain: Swift.max(1, elementGrain / Swift.max(n, 1))) { range in
                for row in range { (y + row * n).update(from: bias, count: n) }
            }
        }
        let beta: Float = bias == nil ? 0 : 1
        if isPointwise {
            BLAS.sgemm(
                transA: false, transB: false, m: rows, n: n, k: columns, a: x, lda: columns, b: w, ldb: n,
                beta: beta, c: y, ldc: n)
            return
        }
        let tile = tileRows
        let cols = Storage(count: tile * columns)
        var first = 0
        while first < rows {
            let count = Swift.min(tile, rows - first)
            im2col(x, rows: first, count: count, into: cols.pointer)
            BLAS.sgemm(
                transA: false, transB: false, m: count, n: n, k: columns, a: cols.pointer, lda: columns,
                b: w, ldb: n, beta: beta, c: y + first * n, ldc: n)
            first += count
        }
    }

    /// dw = sum over rows of im2col(x)^T * dy.
    func backwardFilter(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, into dw: UnsafeMutablePointer<Float>) {
        let n = outChannels
        if isPointwise {
            BLAS.sgemm(
                transA: true, transB: false, m: columns, n: n, k: rows, a: x, lda: columns, b: dy, ldb: n,
                beta: 0, c: dw, ldc: n)
            return
        }
        let tile = tileRows
        let cols = Storage(count: tile * columns)
        var first = 0
        while first < rows {
            let count = Swift.min(tile, rows - first)
            im2col(x, rows: first, count: count, into: cols.pointer)
            BLAS.sgemm(
                transA: true, transB: false, m: columns, n: n, k: count, a: cols.pointer, lda: columns,
                b: dy + first * n, ldb: n, beta: first == 0 ? 0 : 1, c: dw, ldc: n)
            first += count
        }
    }

    /// The geometry of the data gradient as a stride-1 convolution of dy with the flipped
    /// kernel, when one exists (stride 1 and padding no wider than the kernel).
    var dataGradientAsConvolution: ConvGeometry? {
        guard strides == [1, 1, 1] else { return nil }
        let effective = effectiveKernel
        var before = [0, 0, 0]
        var after = [0, 0, 0]
        for axis in 0..<3 {
            before[axis] = effective[axis] - 1 - padBefore[axis]
            after[axis] = input[axis] - output[axis] - before[axis] + effective[axis] - 1
            if before[axis] < 0 || after[axis] < 0 { return nil }
        }
        guard
            let geometry = try? ConvGeometry(
                op: "conv backward", batch: batch, input: output, inChannels: outChannels,
                outChannels: inChannels, kernel: kernel, strides: strides, dilations: dilations,
                padding: .explicit(before: before, after: after)),
            geometry.output == input
        else { return nil }
        return geometry
    }

    /// The kernel of `dataGradientAsConvolution`: taps reversed, in and out channels swapped.
    func flippedKernel(_ w: UnsafePointer<Float>) -> Storage {
        let flipped = Storage(count: taps * inChannels * outChannels)
        let (ci, co) = (inChannels, outChannels)
        for tap in 0..<taps {
            let source = w + tap * ci * co
            let target = flipped.pointer + (taps - 1 - tap) * co * ci
            for i in 0..<ci {
                for o in 0..<co { target[o * ci + i] = source[i * co + o] }
            }
        }
        return flipped
    }

    /// dx = the adjoint of the convolution applied to dy.
    func backwardData(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        let n = outChannels
        if isPointwise {
            BLAS.sgemm(
                transA: false, transB: true, m: rows, n: columns, k: n, a: dy, lda: n, b: w, ldb: n,
                beta: 0, c: dx, ldc: columns)
            return
        }
        if let transposed = dataGradientAsConvolution {
            let flipped = flippedKernel(w)
            transposed.forward(dy, flipped.pointer, bias: nil, into: dx)
            return
        }
        dx.update(repeating: 0, count: inputCount)
        let tile = tileRows
        let cols = Storage(count: tile * columns)
        var first = 0
        while first < rows {
            let count = Swift.min(tile, rows - first)
            BLAS.sgemm(
                transA: false, transB: true, m: count, n: columns, k: n, a: dy + first * n, lda: n, b: w,
                ldb: n, beta: 0, c: cols.pointer, ldc: columns)
            col2im(cols.pointer, rows: first, count: count, into: dx)
            first += count
        }
    }
}
