/// Depthwise 2D convolution (Keras `DepthwiseConv2D`): each input channel is convolved with
/// its own `multiplier` filters, kernel (h, w, channels, multiplier), output channel
/// c * multiplier + j. Direct kernels, vectorized over channels, split over output rows (Zoo's
/// side of `ConvolutionAlgorithm`).

extension ConvGeometry {
    var multiplier: Int { outChannels / inChannels }

    /// The epilogue, when given, is applied to each output row as it is finished, in cache.
    func directDepthwiseForward(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
        epilogue: OutputEpilogue? = nil
    ) {
        let (ih, iw, oh, ow) = (input[1], input[2], output[1], output[2])
        let (kh, kw, sh, sw) = (kernel[1], kernel[2], strides[1], strides[2])
        let (dh, dw, ph, pw) = (dilations[1], dilations[2], padBefore[1], padBefore[2])
        let (c, m, co) = (inChannels, multiplier, outChannels)
        Parallel.ranges(batch * oh, grain: 1) { rows in
            for row in rows {
                let n = row / oh
                let oy = row % oh
                let out = y + row * ow * co
                if let bias {
                    for ox in 0..<ow { (out + ox * co).update(from: bias, count: co) }
                } else {
                    out.update(repeating: 0, count: ow * co)
                }
                for a in 0..<kh {
                    let iy = oy * sh - ph + a * dh
                    if iy < 0 || iy >= ih { continue }
                    let inRow = x + (n * ih + iy) * iw * c
                    for b in 0..<kw {
                        let taps = w + (a * kw + b) * co
                        for ox in 0..<ow {
                            let ix = ox * sw - pw + b * dw
                            if ix < 0 || ix >= iw { continue }
                            let pixel = inRow + ix * c
                            let target = out + ox * co
                            if m == 1 {
                                for k in 0..<c { target[k] += pixel[k] * taps[k] }
                            } else {
                                for k in 0..<co { target[k] += pixel[k / m] * taps[k] }
                            }
                        }
                    }
                }
                epilogue?.apply(y, rows: (row * ow)..<((row + 1) * ow), channels: co)
            }
        }
    }

    /// dx gathered per input row: each input cell sums the output cells whose windows hold it.
    func directDepthwiseBackwardData(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        let (ih, iw, oh, ow) = (input[1], input[2], output[1], output[2])
        let (kh, kw, sh, sw) = (kernel[1], kernel[2], strides[1], strides[2])
        let (dh, dw, ph, pw) = (dilations[1], dilations[2], padBefore[1], padBefore[2])
        let (c, m, co) = (inChannels, multiplier, outChannels)
        Parallel.ranges(batch * ih, grain: 1) { rows in
            for row in rows {
                let n = row / ih
                let iy = row % ih
                let target = dx + row * iw * c
                target.update(repeating: 0, count: iw * c)
                for a in 0..<kh {
                    let t = iy + ph - a * dh
                    if t < 0 || t % sh != 0 || t / sh >= oh { continue }
                    let outRow = dy + (n * oh + t / sh) * ow * co
                    for b in 0..<kw {
                        let taps = w + (a * kw + b) * co
                        for ix in 0..<iw {
                            let u = ix + pw - b * dw
                            if u < 0 || u % sw != 0 || u / sw >= ow { continue }
                            let source = outRow + (u / sw) * co
                            let cell = target + ix * c
                            if m == 1 {
                                for k in 0..<c { cell[k] += source[k] * taps[k] }
                            } else {
                                for k in 0..<co { cell[k / m] += source[k] * taps[k] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// dw summed over output rows, one partial sum per thread.
    func directDepthwiseBackwardFilter(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, into dwOut: UnsafeMutablePointer<Float>) {
        let (ih, iw, oh, ow) = (input[1], input[2], output[1], output[2])
        let (kh, kw, sh, sw) = (kernel[1], kernel[2], strides[1], strides[2])
        let (dh, dw, ph, pw) = (dilations[1], dilations[2], padBefore[1], padBefore[2])
        let (c, m, co) = (inChannels, multiplier, outChannels)
        let size = kh * kw * co
        let pieces = Swift.max(1, Swift.min(Parallel.threadCount, batch * oh))
        let partial = Storage(zeros: pieces * size)
        Parallel.forEach(pieces) { piece in
            let acc = partial.pointer + piece * size
            let rows = batch * oh
            for row in (rows * piece / pieces)..<(rows * (piece + 1) / pieces) {
                let n = row / oh
                let oy = row % oh
                let outRow = dy + row * ow * co
                for a in 0..<kh {
                    let iy = oy * sh - ph + a * dh
                    if iy < 0 || iy >= ih { continue }
                    let inRow = x + (n * ih + iy) * iw * c
                    for b in 0..<kw {
                        let taps = acc + (a * kw + b) * co
                        for ox in 0..<ow {
                            let ix = ox * sw - pw + b * dw
                            if ix < 0 || ix >= iw { continue }
                            let pixel = inRow + ix * c
                            let grad = outRow + ox * co
                            if m == 1 {
                                for k in 0..<c { taps[k] += pixel[k] * grad[k] }
                            } else {
                                for k in 0..<co { taps[k] += pixel[k / m] * grad[k] }
                            }
                        }
                    }
                }
            }
        }
        dwOut.update(from: partial.pointer, count: size)
        for piece in 1..<pieces {
            let part = partial.pointer + piece * size
            for i in 0..<size { dwOut[i] += part[i] }
        }
    }
}

/// Depthwise 2D convolution of an NHWC input with a (h, w, channels, multiplier) kernel.
public func depthwiseConv2d(
    _ x: Tensor, kernel: Tensor, bias: Tensor? = nil, strides: [Int] = [1], padding: Padding = .valid,
    dilations: [Int] = [1]
) throws -> Tensor {
    let op = "depthwiseConv2d"
    let g = try depthwiseGeometry(op, x, kernel: kernel, strides: strides, padding: padding, dilations: dilations)
    let outChannels = g.outChannels
    if let bias, bias.shape != [outChannels] {
        throw TensorError.shapes(op, "bias must have one value per output channel; bias and [channels]", bias.shape, [outChannels])
    }
    let y = Tensor.uninitialized([g.batch, g.output[1], g.output[2], outChannels])
    let weights = ConvKernel(kernel)
    g.depthwiseForward(x.readData, weights, bias: bias?.readData, into: y.data)
    let inputs = bias.map { [x, kernel, $0] } ?? [x, kernel]
    return Tensor.result(op, y, inputs: inputs) { dy in
        var grads: [Tensor?] = [nil, nil, nil]
        if x.requiresGrad {
            let dx = Tensor.uninitialized(x.shape)
            g.depthwiseBackwardData(dy.data, weights, into: dx.data)
            grads[0] = dx
        }
        if kernel.requiresGrad {
            let dw = Tensor.uninitialized(kernel.shape)
            g.depthwiseBackwardFilter(x.data, dy.data, into: dw.data)
            grads[1] = dw
        }
        if let bias, bias.requiresGrad {
            grads[2] = try dy.reshaped([-1, outChannels]).sumKeepingAxis(0).reshaped([outChannels])
        }
        return Array(grads.prefix(inputs.count))
    }
}

/// Inference only (no gradient is recorded): the depthwise convolution of `x` with `kernel`,
/// each output channel then scaled by `scale` and shifted by `shift` (nil for 1 and 0: a batch
/// normalization folded in, the bias with it) and `activation` applied, in the convolution's
/// own output pass (`fusedConvolution`'s epilogue, without a residual).
public func fusedDepthwiseConvolution(
    _ x: Tensor, kernel: Tensor, strides: [Int], padding: Padding, dilations: [Int], scale: Tensor?, shift: Tensor?,
    activation: OutputEpilogue.Activation
) throws -> Tensor {
    let op = "fusedDepthwiseConvolution"
    let g = try depthwiseGeometry(op, x, kernel: kernel, strides: strides, padding: padding, dilations: dilations)
    let (factors, offsets) = try OutputEpilogue.vectors(op, scale: scale, shift: shift, channels: g.outChannels)
    let y = Tensor.uninitialized([g.batch, g.output[1], g.output[2], g.outChannels])
    let epilogue = OutputEpilogue(
        scale: factors.readData, shift: offsets.readData, residual: nil, activation: activation)
    // The tensors the epilogue points into live until this call returns.
    withExtendedLifetime((factors, offsets)) {
        g.depthwiseForward(x.readData, ConvKernel(kernel), bias: nil, into: y.data, epilogue: epilogue)
    }
    return y
}

/// The geometry of a depthwise convolution of `x` (NHWC) with `kernel` (h, w, channels, multiplier).
private func depthwiseGeometry(
    _ op: String, _ x: Tensor, kernel: Tensor, strides: [Int], padding: Padding, dilations: [Int]
) throws -> ConvGeometry {
    let (batch, spatial, channels) = try spatialLayout(x.shape, spatialDims: 2, op: op)
    guard kernel.rank == 4, kernel.shape[2] == channels else {
        throw TensorError.shapes(op, "kernel must be (h, w, channels, multiplier); input and kernel", x.shape, kernel.shape)
    }
    return try ConvGeometry(
        op: op, batch: batch, input: spatial, inChannels: channels, outChannels: channels * kernel.shape[3],
        kernel: [1, kernel.shape[0], kernel.shape[1]],
        strides: try spatialTriple(strides, spatialDims: 2, fill: 1, name: "strides", op: op),
        dilations: try spatialTriple(dilations, spatialDims: 2, fill: 1, name: "dilations", op: op),
        padding: try spatialPadding(padding, spatialDims: 2, op: op))
}
