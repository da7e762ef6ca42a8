/// Convolution as im2col + SGEMM (one of the two algorithms `ConvolutionAlgorithm` chooses
/// between), in chunks of output rows that each thread carries from
/// im2col through its own GEMM to the output.
///
/// An output position is a row of the column matrix and a (tap, input channel) pair is a
/// column, so channels-last input rows copy as contiguous runs of `inChannels` floats, and the
/// DHWIO kernel is already the (taps * inChannels) x outChannels matrix. A thread's column
/// buffer holds one chunk (about 1 MiB), so memory stays bounded whatever the volume, and the
/// chunk is still in cache when the GEMM reads it. OpenBLAS runs single-threaded inside each
/// thread's call (see `Parallel`): on tall products with few output channels, which are most
/// of a CNN, that is twice as fast as OpenBLAS splitting one large call (docs/PERFORMANCE.md).

/// Floats of column matrix per chunk. A variable only so that tests can force many chunks.
var chunkBudget = 1 << 18

extension ConvGeometry {
    /// Output rows per chunk: at least 64 so that each GEMM stays efficient.
    var chunkRows: Int { Swift.min(rows, Swift.max(64, chunkBudget / Swift.max(columns, 1))) }

    /// Whether one input cell can be read by two output positions.
    var windowsOverlap: Bool { (0..<3).contains { effectiveKernel[$0] > strides[$0] } }

    /// Copies rows `first..<first+count` of the column matrix of `x` into `cols`.
    func im2col(_ x: UnsafePointer<Float>, rows first: Int, count: Int, into cols: UnsafeMutablePointer<Float>) {
        let (od, oh, ow) = (output[0], output[1], output[2])
        let (id, ih, iw) = (input[0], input[1], input[2])
        let (kd, kh, kw) = (kernel[0], kernel[1], kernel[2])
        let (sd, sh, sw) = (strides[0], strides[1], strides[2])
        let (dd, dh, dw) = (dilations[0], dilations[1], dilations[2])
        let (pd, ph, pw) = (padBefore[0], padBefore[1], padBefore[2])
        let c = inChannels
        var column = cols
        for m0 in first..<(first + count) {
            var m = m0
            let x0 = m % ow; m /= ow
            let y0 = m % oh; m /= oh
            let z0 = m % od
            let n = m / od
            let (zStart, yStart, xStart) = (z0 * sd - pd, y0 * sh - ph, x0 * sw - pw)
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

    /// Adds rows `first..<first+count` of a column matrix back into `dx` (im2col's adjoint).
    func col2im(_ cols: UnsafePointer<Float>, rows first: Int, count: Int, into dx: UnsafeMutablePointer<Float>) {
        let (od, oh, ow) = (output[0], output[1], output[2])
        let (id, ih, iw) = (input[0], input[1], input[2])
        let (kd, kh, kw) = (kernel[0], kernel[1], kernel[2])
        let (sd, sh, sw) = (strides[0], strides[1], strides[2])
        let (dd, dh, dw) = (dilations[0], dilations[1], dilations[2])
        let (pd, ph, pw) = (padBefore[0], padBefore[1], padBefore[2])
        let c = inChannels
        var column = cols
        for m0 in first..<(first + count) {
            var m = m0
            let x0 = m % ow; m /= ow
            let y0 = m % oh; m /= oh
            let z0 = m % od
            let n = m / od
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
    }

    /// Splits `0..<rows` into one contiguous range per thread, with range boundaries on
    /// multiples of `alignment`, and runs `body(piece, range, scratch)` with a private
    /// scratch buffer of `scratch` floats per piece.
    func forEachPiece(
        alignment: Int = 1, scratch: Int, _ body: (Int, Range<Int>, UnsafeMutablePointer<Float>) -> Void
    ) {
        let units = (rows + alignment - 1) / alignment
        let pieces = pieceCount(alignment: alignment)
        Parallel.forEach(pieces) { piece in
            let start = Swift.min(rows, units * piece / pieces * alignment)
            let end = Swift.min(rows, units * (piece + 1) / pieces * alignment)
            guard start < end else { return }
            Scratch.with(scratch) { body(piece, start..<end, $0) }
        }
    }

    /// How many pieces `forEachPiece` makes: one per thread, each at least 64 rows.
    func pieceCount(alignment: Int = 1) -> Int {
        let units = (rows + alignment - 1) / alignment
        return Swift.max(1, Swift.min(Parallel.threadCount, units, (rows + 63) / 64))
    }

    /// The rows `first..<first+count` of the column matrix: the input itself for a pointwise
    /// convolution, else im2col into `buffer`.
    @inline(__always)
    func columnRows(_ x: UnsafePointer<Float>, first: Int, count: Int, buffer: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        if isPointwise { return x + first * columns }
        im2col(x, rows: first, count: count, into: buffer)
        return UnsafePointer(buffer)
    }

    /// y = conv(x, w) (+ bias), y laid out (rows, outChannels); then, when given, the
    /// epilogue on each chunk of rows while it is still in cache.
    func im2colForward(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
        epilogue: OutputEpilogue? = nil
    ) {
        let (n, k, chunk) = (outChannels, columns, chunkRows)
        if pieceCount() < Parallel.threadCount, n >= 128, rows * k <= 4 * chunkBudget {
            forwardByColumns(x, w, bias: bias, into: y)
            if let epilogue {
                Parallel.ranges(rows, grain: 16) { range in epilogue.apply(y, rows: range, channels: n) }
            }
            return
        }
        forEachPiece(scratch: isPointwise ? 0 : chunk * k) { _, range, cols in
            var first = range.lowerBound
            while first < range.upperBound {
                let count = Swift.min(chunk, range.upperBound - first)
                let a = columnRows(x, first: first, count: count, buffer: cols)
                let out = y + first * n
                if let bias {
                    for row in 0..<count { (out + row * n).update(from: bias, count: n) }
                }
                BLAS.sgemm(
                    transA: false, transB: false, m: count, n: n, k: k, a: a, lda: k, b: w, ldb: n,
                    beta: bias == nil ? 0 : 1, c: out, ldc: n)
                epilogue?.apply(y, rows: first..<(first + count), channels: n)
                first += count
            }
        }
    }

    /// The forward pass of a layer with too few output positions to give every thread its 64
    /// rows (the 7x7 and 14x14 stages of a network at batch 1): the column matrix once, then
    /// each thread multiplies it by its own block of output channels, so no thread idles and
    /// each packs only its share of the weights.
    func forwardByColumns(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
        let (n, k) = (outChannels, columns)
        Scratch.with(isPointwise ? 1 : rows * k) { buffer in
            multiplyColumns(x, w, bias: bias, into: y, buffer: buffer)
        }
    }

    private func multiplyColumns(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
        buffer: UnsafeMutablePointer<Float>
    ) {
        let (n, k) = (outChannels, columns)
        let a = columnRows(x, first: 0, count: rows, buffer: buffer)
        if let bias {
            for row in 0..<rows { (y + row * n).update(from: bias, count: n) }
        }
        // Blocks of whole multiples of 16 channels keep the kernel's full-width tiles.
        let blocks = (n + 15) / 16
        let pieces = Swift.min(Parallel.threadCount, blocks)
        Parallel.forEach(pieces) { piece in
            let start = Swift.min(n, blocks * piece / pieces * 16)
            let end = Swift.min(n, blocks * (piece + 1) / pieces * 16)
            guard start < end else { return }
            BLAS.sgemm(
                transA: false, transB: false, m: rows, n: end - start, k: k, a: a, lda: k, b: w + start, ldb: n,
                beta: bias == nil ? 0 : 1, c: y + start, ldc: n)
        }
    }

    /// dw = im2col(x)^T * dy: each thread sums its rows into a private copy, then the copies add.
    func im2colBackwardFilter(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, into dw: UnsafeMutablePointer<Float>) {
        let (n, k) = (outChannels, columns)
        // Longer chunks than the forward pass: here the chunk is the GEMM's inner dimension.
        let chunk = Swift.min(rows, 4 * chunkRows)
        let pieces = pieceCount()
        let partial = Storage(zeros: (pieces - 1) * k * n)
        forEachPiece(scratch: isPointwise ? 0 : chunk * k) { piece, range, cols in
            let target = piece == 0 ? dw : partial.pointer + (piece - 1) * k * n
            var first = range.lowerBound
            while first < range.upperBound {
                let count = Swift.min(chunk, range.upperBound - first)
                let a = columnRows(x, first: first, count: count, buffer: cols)
                BLAS.sgemm(
                    transA: true, transB: false, m: k, n: n, k: count, a: a, lda: k, b: dy + first * n, ldb: n,
                    beta: first == range.lowerBound ? 0 : 1, c: target, ldc: n)
                first += count
            }
        }
        if pieces > 1 {
            Parallel.ranges(k * n, grain: elementGrain) { range in
                for piece in 0..<(pieces - 1) {
                    let part = partial.pointer + piece * k * n
                    for i in range { dw[i] += part[i] }
                }
            }
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
        // A geometry that does not validate means this shortcut does not apply; the caller
        // then takes the general path, so the error carries nothing to report.
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
    func im2colBackwardData(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        let (n, k, chunk) = (outChannels, columns, chunkRows)
        if isPointwise {
            forEachPiece(scratch: 0) { _, range, _ in
                BLAS.sgemm(
                    transA: false, transB: true, m: range.count, n: k, k: n, a: dy + range.lowerBound * n, lda: n,
                    b: w, ldb: n, beta: 0, c: dx + range.lowerBound * k, ldc: k)
            }
            return
        }
        if let transposed = dataGradientAsConvolution {
            let flipped = flippedKernel(w)
            transposed.im2colForward(dy, flipped.pointer, bias: nil, into: dx)
            return
        }
        // dy * w^T gives the column matrix of dx; col2im adds it up. Threads must not add into
        // the same cells: without overlapping windows any split is safe; windows never overlap
        // across images, so whole images per thread; otherwise each thread adds into a copy.
        let perImage = rows / batch
        let pieces = pieceCount()
        let privateCopies = windowsOverlap && batch < pieces
        let copies = Storage(count: privateCopies ? (pieces - 1) * inputCount : 1)
        dx.update(repeating: 0, count: inputCount)
        if privateCopies { copies.pointer.update(repeating: 0, count: (pieces - 1) * inputCount) }
        forEachPiece(alignment: windowsOverlap && !privateCopies ? perImage : 1, scratch: chunk * k) { piece, range, cols in
            let target = privateCopies && piece > 0 ? copies.pointer + (piece - 1) * inputCount : dx
            var first = range.lowerBound
            while first < range.upperBound {
                let count = Swift.min(chunk, range.upperBound - first)
                BLAS.sgemm(
                    transA: false, transB: true, m: count, n: k, k: n, a: dy + first * n, lda: n, b: w, ldb: n,
                    beta: 0, c: cols, ldc: k)
                col2im(cols, rows: first, count: count, into: target)
                first += count
            }
        }
        if privateCopies {
            Parallel.ranges(inputCount, grain: elementGrain) { range in
                for piece in 0..<(pieces - 1) {
                    let part = copies.pointer + piece * inputCount
                    for i in range { dx[i] += part[i] }
                }
            }
        }
    }
}
