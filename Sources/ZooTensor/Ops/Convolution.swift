/// Convolutions and transposed convolutions, 2D (NHWC, HWIO kernels) and 3D (NDHWC, DHWIO
/// kernels), with Keras's kernel layouts so that Keras weights load without a transpose.

/// Builds the geometry of a convolution of `x` with a kernel of shape (spatial..., in, out).
func convolutionGeometry(
    _ op: String, _ x: Tensor, kernelShape: [Int], spatialDims: Int, strides: [Int], dilations: [Int],
    padding: Padding
) throws -> ConvGeometry {
    let (batch, spatial, channels) = try spatialLayout(x.shape, spatialDims: spatialDims, op: op)
    guard kernelShape.count == spatialDims + 2 else {
        throw TensorError.shapes(op, "kernel must have rank \(spatialDims + 2); input and kernel", x.shape, kernelShape)
    }
    guard kernelShape[spatialDims] == channels else {
        throw TensorError.shapes(op, "input channels differ from the kernel's; input and kernel", x.shape, kernelShape)
    }
    return try ConvGeometry(
        op: op, batch: batch, input: spatial, inChannels: channels, outChannels: kernelShape[spatialDims + 1],
        kernel: try spatialTriple(Array(kernelShape.prefix(spatialDims)), spatialDims: spatialDims, fill: 1, name: "kernel", op: op),
        strides: try spatialTriple(strides, spatialDims: spatialDims, fill: 1, name: "strides", op: op),
        dilations: try spatialTriple(dilations, spatialDims: spatialDims, fill: 1, name: "dilations", op: op),
        padding: try spatialPadding(padding, spatialDims: spatialDims, op: op))
}

func outputShape(_ g: ConvGeometry, spatialDims: Int, channels: Int, spatial: [Int]) -> [Int] {
    [g.batch] + (spatialDims == 2 ? Array(spatial.suffix(2)) : spatial) + [channels]
}

private func checkBias(_ op: String, _ bias: Tensor?, channels: Int) throws {
    if let bias, bias.shape != [channels] {
        throw TensorError.shapes(op, "bias must have one value per output channel; bias and [channels]", bias.shape, [channels])
    }
}

private func convolution(
    _ op: String, _ x: Tensor, _ kernel: Tensor, bias: Tensor?, spatialDims: Int, strides: [Int],
    dilations: [Int], padding: Padding
) throws -> Tensor {
    let g = try convolutionGeometry(
        op, x, kernelShape: kernel.shape, spatialDims: spatialDims, strides: strides, dilations: dilations,
        padding: padding)
    try checkBias(op, bias, channels: g.outChannels)
    let weights = ConvKernel(kernel)
    let y = Tensor.uninitialized(outputShape(g, spatialDims: spatialDims, channels: g.outChannels, spatial: g.output))
    g.forward(x.data, weights, bias: bias?.data, into: y.data)
    let inputs = bias.map { [x, kernel, $0] } ?? [x, kernel]
    return Tensor.result(op, y, inputs: inputs) { dy in
        var grads: [Tensor?] = [nil, nil, nil]
        if x.requiresGrad {
            let dx = Tensor.uninitialized(x.shape)
            g.backwardData(dy.data, weights, into: dx.data)
            grads[0] = dx
        }
        if kernel.requiresGrad {
            let dw = Tensor.uninitialized(kernel.shape)
            g.backwardFilter(x.data, dy.data, into: dw.data)
            grads[1] = dw
        }
        if let bias, bias.requiresGrad {
            grads[2] = try dy.reshaped([-1, g.outChannels]).sumKeepingAxis(0).reshaped([g.outChannels])
        }
        return Array(grads.prefix(inputs.count))
    }
}

private func transposedConvolution(
    _ op: String, _ x: Tensor, _ kernel: Tensor, bias: Tensor?, spatialDims: Int, strides: [Int],
    dilations: [Int], padding: Padding
) throws -> Tensor {
    // Keras's transposed kernel is (spatial..., out, in): read as a forward kernel it maps the
    // transposed convolution's output (out channels) back to its input (in channels).
    let (batch, spatial, channels) = try spatialLayout(x.shape, spatialDims: spatialDims, op: op)
    guard kernel.rank == spatialDims + 2, kernel.shape[spatialDims + 1] == channels else {
        throw TensorError.shapes(op, "kernel must be (spatial..., out, in) with in = input channels; input and kernel", x.shape, kernel.shape)
    }
    let outChannels = kernel.shape[spatialDims]
    let kernel3 = try spatialTriple(Array(kernel.shape.prefix(spatialDims)), spatialDims: spatialDims, fill: 1, name: "kernel", op: op)
    let strides3 = try spatialTriple(strides, spatialDims: spatialDims, fill: 1, name: "strides", op: op)
    let dilations3 = try spatialTriple(dilations, spatialDims: spatialDims, fill: 1, name: "dilations", op: op)
    let padding3 = try spatialPadding(padding, spatialDims: spatialDims, op: op)
    let outSpatial = (0..<3).map {
        padding3.transposedExtent(spatial[$0], kernel: kernel3[$0], stride: strides3[$0], dilation: dilations3[$0], axis: $0)
    }
    let g = try ConvGeometry(
        op: op, batch: batch, input: outSpatial, inChannels: outChannels, outChannels: channels, kernel: kernel3,
        strides: strides3, dilations: dilations3, padding: padding3)
    guard g.output == spatial else {
        throw TensorError(op, "input \(x.shape) has no transposed output with kernel \(kernel.shape) and padding \(padding)")
    }
    try checkBias(op, bias, channels: outChannels)
    let weights = ConvKernel(kernel)
    let y = Tensor.uninitialized(outputShape(g, spatialDims: spatialDims, channels: outChannels, spatial: outSpatial))
    g.backwardData(x.data, weights, into: y.data)
    if let bias {
        let (values, b, n) = (y.data, bias.data, outChannels)
        Parallel.ranges(y.count / n, grain: Swift.max(1, elementGrain / n)) { rows in
            for row in rows {
                for j in 0..<n { values[row * n + j] += b[j] }
            }
        }
    }
    let inputs = bias.map { [x, kernel, $0] } ?? [x, kernel]
    return Tensor.result(op, y, inputs: inputs) { dy in
        var grads: [Tensor?] = [nil, nil, nil]
        if x.requiresGrad {
            let dx = Tensor.uninitialized(x.shape)
            g.forward(dy.data, weights, bias: nil, into: dx.data)
            grads[0] = dx
        }
        if kernel.requiresGrad {
            let dw = Tensor.uninitialized(kernel.shape)
            g.backwardFilter(dy.data, x.data, into: dw.data)
            grads[1] = dw
        }
        if let bias, bias.requiresGrad {
            grads[2] = try dy.reshaped([-1, outChannels]).sumKeepingAxis(0).reshaped([outChannels])
        }
        return Array(grads.prefix(inputs.count))
    }
}

/// 2D convolution of an NHWC input with an HWIO kernel.
public func conv2d(
    _ x: Tensor, kernel: Tensor, bias: Tensor? = nil, strides: [Int] = [1], padding: Padding = .valid,
    dilations: [Int] = [1]
) throws -> Tensor {
    try convolution("conv2d", x, kernel, bias: bias, spatialDims: 2, strides: strides, dilations: dilations, padding: padding)
}

/// 3D convolution of an NDHWC input with a DHWIO kernel.
public func conv3d(
    _ x: Tensor, kernel: Tensor, bias: Tensor? = nil, strides: [Int] = [1], padding: Padding = .valid,
    dilations: [Int] = [1]
) throws -> Tensor {
    try convolution("conv3d", x, kernel, bias: bias, spatialDims: 3, strides: strides, dilations: dilations, padding: padding)
}

/// 2D transposed convolution (Keras `Conv2DTranspose`): NHWC input, kernel (h, w, out, in).
public func conv2dTranspose(
    _ x: Tensor, kernel: Tensor, bias: Tensor? = nil, strides: [Int] = [1], padding: Padding = .valid,
    dilations: [Int] = [1]
) throws -> Tensor {
    try transposedConvolution(
        "conv2dTranspose", x, kernel, bias: bias, spatialDims: 2, strides: strides, dilations: dilations, padding: padding)
}

/// 3D transposed convolution (Keras `Conv3DTranspose`): NDHWC input, kernel (d, h, w, out, in).
public func conv3dTranspose(
    _ x: Tensor, kernel: Tensor, bias: Tensor? = nil, strides: [Int] = [1], padding: Padding = .valid,
    dilations: [Int] = [1]
) throws -> Tensor {
    try transposedConvolution(
        "conv3dTranspose", x, kernel, bias: bias, spatialDims: 3, strides: strides, dilations: dilations, padding: padding)
}
