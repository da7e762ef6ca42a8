import CVectorKernels

/// Winograd's minimal filtering F(4x4, 3x3) (Lavin and Gray, "Fast Algorithms for
/// Convolutional Neural Networks", 2016), the third algorithm `ConvolutionAlgorithm` times for
/// stride-1, undilated 3x3 2D convolutions.
///
/// Each 4x4 block of outputs (a tile) of each output channel is computed from the 6x6 input
/// patch under it as `Y = Aᵀ [ Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B) ] A`: 36 products per tile, channel
/// pair and tap position instead of the direct 144. The sum over input channels of the 36
/// element-wise products is 36 matrix products, (tiles × in) by (in × out), which OpenBLAS runs.
///
/// Stages, for a block of tiles at a time so that the transformed input and products stay in
/// cache:
/// 1. the kernel transform `U = G g Gᵀ`, (3x3, in, out) to (36, in, out). It holds four times
///    the kernel's memory, so it is kept with a constant kernel (as oneDNN's blocked layout is,
///    `ConvKernel`) only up to 128 x 128 channels (2.25 MiB): ResNet50's 64- and 128-channel
///    layers add 11 MB in all, where keeping every candidate's raised inference at batch 8 from
///    366 to 489 MB, above PyTorch's peak. A larger or trained kernel is transformed on each
///    call, and the per-shape timing counts that in (measured: the per-call transform was 2.8%
///    of ResNet50's inference at batch 1 on a Zen 3, where a layer has few tiles to spread it);
/// 2. the input transform `V = Bᵀ d B` of each tile, eight channels at a time;
/// 3. the 36 products `M[p] = V[p] U[p]`;
/// 4. the output transform `Aᵀ M A`, with the bias or the inference epilogue, written where the
///    tile lies inside the output.
///
/// Stages 2 and 4 are C (`CVectorKernels`), compiled for SSE2, AVX2 and AVX-512 and run on the
/// widest the CPU has (`VectorKernels`): in Swift, built for the x86-64 baseline, they were 8.5%
/// of InceptionV3's inference on an AVX-512 Xeon (docs/PERFORMANCE.md). They do the Swift code's
/// operations in its order, and every variant gives the same bits (VectorKernelsTests).
///
/// The transforms multiply by up to 8 and divide by 24, so the result carries a few more bits of
/// rounding than the direct sum (measured against the float64 definition in the tests); the
/// per-shape timing offers it beside im2col and oneDNN, and it is taken only where it is faster.

/// The owner of the transformed kernels kept with their kernels' storage.
private final class WinogradKernel {
    static let consumer = WinogradKernel()
}

extension ConvGeometry {
    /// Whether F(4x4, 3x3) is a candidate for this convolution: 2D, a 3x3 kernel, stride 1, no
    /// dilation, and at most 256 x 256 channels. Its transformed kernel is four times the
    /// kernel and the products read it once per block of tiles: at 512 x 512 channels (36 MiB)
    /// it ran ResNet's 7x7 stage slower than oneDNN (9.2 against 7.2 ms at batch 8) and its
    /// buffers raised the training peak.
    var winogradApplies: Bool {
        input[0] == 1 && kernel == [1, 3, 3] && strides == [1, 1, 1] && dilations == [1, 1, 1]
            && inChannels * outChannels <= 256 * 256
    }

    /// The most (in x out) channel pairs whose transformed kernel is kept with a constant kernel.
    static let keptWinogradPairs = 128 * 128

    /// y = conv(x, w) (+ bias, or the epilogue) by F(4x4, 3x3), with the transformed kernel kept
    /// while `w` stays constant and is small enough; `winogradApplies` must hold.
    func winogradForward(
        _ x: UnsafePointer<Float>, _ w: ConvKernel, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
        epilogue: OutputEpilogue? = nil
    ) {
        let (c, k) = (inChannels, outChannels)
        guard w.isConstant, c * k <= Self.keptWinogradPairs else {
            winogradForward(x, w.pointer, bias: bias, into: y, epilogue: epilogue)
            return
        }
        // Every forward geometry transforms a kernel the same way: one kept copy serves them all.
        let kept = w.tensor.storage.layout(
            for: WinogradKernel.consumer, matching: { $0 === WinogradKernel.consumer }, bytes: 36 * c * k * MemoryLayout<Float>.stride
        ) { destination in
            transformKernel(w.pointer, flip: false, into: destination.bindMemory(to: Float.self, capacity: 36 * c * k))
        }
        withExtendedLifetime(kept) {
            multiplyTiles(x, UnsafePointer(kept.pointer.assumingMemoryBound(to: Float.self)), bias: bias, into: y, epilogue: epilogue)
        }
    }

    /// y = conv(x, w) (+ bias, or the epilogue) by F(4x4, 3x3), the kernel transformed for this
    /// call; `winogradApplies` must hold.
    func winogradForward(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, flip: Bool = false,
        bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, epilogue: OutputEpilogue? = nil
    ) {
        let (c, k) = (inChannels, outChannels)
        Scratch.with(36 * c * k) { transformed in
            transformKernel(w, flip: flip, into: transformed)
            multiplyTiles(x, UnsafePointer(transformed), bias: bias, into: y, epilogue: epilogue)
        }
    }

    /// Stages 2 to 4 with the transformed kernel `u`.
    private func multiplyTiles(
        _ x: UnsafePointer<Float>, _ u: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
        epilogue: OutputEpilogue?
    ) {
        VectorKernels.prepare()
        let (c, k) = (inChannels, outChannels)
        let (tilesHigh, tilesWide) = ((output[1] + 3) / 4, (output[2] + 3) / 4)
        let tiles = batch * tilesHigh * tilesWide
        // Tiles per block: the block's transformed input and products in about 1 MiB; with a
        // large transformed kernel (it is read once per block), one block per thread instead.
        let perThread = (tiles + Parallel.threadCount - 1) / Parallel.threadCount
        let cached = Swift.max(8, (1 << 18) / (36 * (c + k)))
        let blockTiles = 36 * c * k > 1 << 20 ? perThread : Swift.min(perThread, cached)
        let blocks = (tiles + blockTiles - 1) / blockTiles
        let pieces = Swift.min(Parallel.threadCount, blocks)
        Parallel.forEach(pieces) { piece in
            Scratch.with(36 * blockTiles * (c + k)) { scratch in
                let (transformedInput, products) = (scratch, scratch + 36 * blockTiles * c)
                for block in stride(from: blocks * piece / pieces, to: blocks * (piece + 1) / pieces, by: 1) {
                    let first = block * blockTiles
                    let count = Swift.min(blockTiles, tiles - first)
                    for tile in 0..<count {
                        transformInputTile(x, tile: first + tile, tilesHigh: tilesHigh, tilesWide: tilesWide, into: transformedInput + tile * c, stride: count * c)
                    }
                    for position in 0..<36 {
                        BLAS.sgemm(
                            transA: false, transB: false, m: count, n: k, k: c, a: transformedInput + position * count * c, lda: c,
                            b: u + position * c * k, ldb: k, beta: 0, c: products + position * count * k, ldc: k)
                    }
                    for tile in 0..<count {
                        transformOutputTile(
                            products + tile * k, stride: count * k, tile: first + tile, tilesHigh: tilesHigh, tilesWide: tilesWide,
                            bias: bias, into: y, epilogue: epilogue)
                    }
                }
            }
        }
    }

    /// dx = the adjoint applied to dy, as the forward F(4x4, 3x3) of `dataGradientAsConvolution`
    /// with the kernel's taps flipped and its channels swapped; `winogradBackwardDataApplies`
    /// must hold.
    func winogradBackwardData(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        guard let transposed = dataGradientAsConvolution, transposed.winogradApplies else {
            preconditionFailure("F(4x4, 3x3) does not compute the data gradient of \(self)")
        }
        transposed.winogradForward(dy, w, flip: true, bias: nil, into: dx)
    }

    /// Whether `winogradBackwardData` computes this convolution's data gradient.
    var winogradBackwardDataApplies: Bool { winogradApplies && dataGradientAsConvolution?.winogradApplies == true }

    /// `U = G g Gᵀ` for every (in, out) pair, laid out (36, in, out); `flip` reads the kernel of the
    /// data gradient (taps reversed, in and out swapped) from the forward kernel (3, 3, out, in)
    /// of this geometry's transposed one.
    private func transformKernel(_ w: UnsafePointer<Float>, flip: Bool, into u: UnsafeMutablePointer<Float>) {
        let (c, k) = (inChannels, outChannels)
        Parallel.ranges(c, grain: Swift.max(1, 2048 / Swift.max(k, 1))) { channels in
            withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 36) { buffer in
                let t = buffer.baseAddress!
                for i in channels {
                    var o = 0
                    while o < k {
                        let lanes = Swift.min(8, k - o)
                        // The 3x3 taps of input channel i, output channels o..<o+8; flipped, the
                        // stored kernel is the forward one, (3, 3, k, c): taps reversed, in and out
                        // swapped.
                        for row in 0..<3 {
                            for column in 0..<3 {
                                if flip {
                                    var value = SIMD8<Float>()
                                    let tap = w + ((2 - row) * 3 + 2 - column) * c * k + i
                                    for lane in 0..<lanes { value[lane] = tap[(o + lane) * c] }
                                    t[row * 6 + column] = value
                                } else {
                                    t[row * 6 + column] = load(w + (row * 3 + column) * c * k + i * k + o, lanes)
                                }
                            }
                        }
                        // G g (columns: 3 rows to 6), then (G g) Gᵀ (rows: 3 columns to 6).
                        for column in 0..<3 { kernelTransform(t + column, step: 6) }
                        for row in 0..<6 { kernelTransform(t + row * 6, step: 1) }
                        for position in 0..<36 { store(t[position], u + (position * c + i) * k + o, lanes) }
                        o += 8
                    }
                }
            }
        }
    }

    /// Writes `Bᵀ d B` of one tile's 6x6 input patch (zeros outside the input) for every channel:
    /// element p of the 36 at `target + p * stride` (CVectorKernels, on `VectorKernels.active`).
    @inline(__always)
    private func transformInputTile(
        _ x: UnsafePointer<Float>, tile: Int, tilesHigh: Int, tilesWide: Int, into target: UnsafeMutablePointer<Float>, stride: Int
    ) {
        let c = inChannels
        let (ih, iw) = (input[1], input[2])
        let column0 = (tile % tilesWide) * 4 - padBefore[2]
        let row0 = (tile / tilesWide % tilesHigh) * 4 - padBefore[1]
        let image = x + (tile / (tilesWide * tilesHigh)) * ih * iw * c
        zoo_winograd_input_tile(image, Int32(ih), Int32(iw), Int32(c), Int32(row0), Int32(column0), target, stride)
    }

    /// `Aᵀ m A` of one tile for every output channel (element p of m at `products + p * stride`),
    /// plus the bias or the epilogue, written to the outputs the tile covers (CVectorKernels).
    @inline(__always)
    private func transformOutputTile(
        _ products: UnsafePointer<Float>, stride: Int, tile: Int, tilesHigh: Int, tilesWide: Int, bias: UnsafePointer<Float>?,
        into y: UnsafeMutablePointer<Float>, epilogue: OutputEpilogue?
    ) {
        let k = outChannels
        let (oh, ow) = (output[1], output[2])
        let column0 = (tile % tilesWide) * 4
        let row0 = (tile / tilesWide % tilesHigh) * 4
        let first = (tile / (tilesWide * tilesHigh)) * oh * ow + row0 * ow + column0
        let (rows, columns) = (Int32(Swift.min(4, oh - row0)), Int32(Swift.min(4, ow - column0)))
        guard let epilogue else {
            zoo_winograd_output_tile(products, stride, Int32(k), rows, columns, bias, nil, y + first * k, ow * k)
            return
        }
        var tail = zoo_tile_epilogue(
            scale: epilogue.scale, shift: epilogue.shift, residual: epilogue.residual.map { $0 + first * k },
            activation: epilogue.activation.code)
        zoo_winograd_output_tile(products, stride, Int32(k), rows, columns, bias, &tail, y + first * k, ow * k)
    }
}

/// `G g` in place: three vectors `step` apart become six, G = [1/4 0 0; -1/6 -1/6 -1/6;
/// -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1].
@inline(__always)
private func kernelTransform(_ g: UnsafeMutablePointer<SIMD8<Float>>, step: Int) {
    let (g0, g1, g2) = (g[0], g[step], g[2 * step])
    let outer = (g0 + g2) * SIMD8<Float>(repeating: -1.0 / 6)
    let middle = g1 * SIMD8<Float>(repeating: 1.0 / 6)
    let scaledOuter = g0 * SIMD8<Float>(repeating: 1.0 / 24) + g2 * SIMD8<Float>(repeating: 1.0 / 6)
    let scaledMiddle = g1 * SIMD8<Float>(repeating: 1.0 / 12)
    g[0] = g0 * SIMD8<Float>(repeating: 0.25)
    g[step] = outer - middle
    g[2 * step] = outer + middle
    g[3 * step] = scaledOuter + scaledMiddle
    g[4 * step] = scaledOuter - scaledMiddle
    g[5 * step] = g2
}

/// The first `lanes` floats at `pointer`, the rest zero.
@inline(__always)
private func load(_ pointer: UnsafePointer<Float>, _ lanes: Int) -> SIMD8<Float> {
    if lanes == 8 { return UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self) }
    var value = SIMD8<Float>()
    for lane in 0..<lanes { value[lane] = pointer[lane] }
    return value
}

@inline(__always)
private func load(_ pointer: UnsafeMutablePointer<Float>, _ lanes: Int) -> SIMD8<Float> { load(UnsafePointer(pointer), lanes) }

@inline(__always)
private func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>, _ lanes: Int) {
    if lanes == 8 {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
        return
    }
    for lane in 0..<lanes { pointer[lane] = value[lane] }
}
