/// What a convolution's output pass can do besides the product, so that inference does not
/// run a separate pass over the output for each: a per-channel scale and shift (a batch
/// normalization folded in, the bias with it), a residual added, then ReLU or ReLU6.
///
/// `y = activation(acc * scale + shift + residual)`, per output row and channel, for the
/// accumulated product `acc` (the convolution's, without its bias).
public struct OutputEpilogue {
    public enum Activation: Sendable { case linear, relu, relu6 }

    /// One value per channel each (ones and zeros when the caller has none): plain loops the
    /// compiler vectorizes, with the choices made once per row, not per element.
    let scale: UnsafePointer<Float>
    let shift: UnsafePointer<Float>
    let residual: UnsafePointer<Float>?
    let activation: Activation

    /// What a convolution's plan depends on: oneDNN builds the epilogue into its kernel, and a
    /// residual the caller gives up (`residualIsOutput`) saves oneDNN a copy that the other
    /// kernels never make, so the two are timed apart.
    struct Kind: Hashable {
        let residual: Bool
        let activation: Activation
        var residualIsOutput = false
    }

    var kind: Kind { Kind(residual: residual != nil, activation: activation) }

    /// Applies the epilogue to `rows` of `y`, laid out (rows, channels): the per-channel part
    /// row by row, the residual and the activation over the rows' contiguous block at once.
    @inline(__always)
    func apply(_ y: UnsafeMutablePointer<Float>, rows: Range<Int>, channels n: Int) {
        for row in rows {
            let out = y + row * n
            for c in 0..<n { out[c] = out[c] * scale[c] + shift[c] }
        }
        let block = y + rows.lowerBound * n
        let count = rows.count * n
        if let residual {
            let added = residual + rows.lowerBound * n
            for i in 0..<count { block[i] += added[i] }
        }
        activation.apply(block, count: count)
    }

    /// The per-channel vectors of a fused pass with `channels` outputs, checked against them:
    /// `scale` and `shift`, or ones and zeros where the caller has none.
    static func vectors(_ op: String, scale: Tensor?, shift: Tensor?, channels: Int) throws -> (scale: Tensor, shift: Tensor) {
        for (name, vector) in [("scale", scale), ("shift", shift)] {
            if let vector, vector.shape != [channels] {
                throw TensorError.shapes(op, "\(name) must have one value per output channel; \(name) and [channels]", vector.shape, [channels])
            }
        }
        return (scale ?? Tensor(repeating: 1, shape: [channels]), shift ?? Tensor(zeros: [channels]))
    }
}

extension OutputEpilogue.Activation {
    /// As the C kernels take it (`zoo_tile_epilogue`, the oneDNN shim): 0 none, 1 ReLU, 2 ReLU6.
    var code: Int32 {
        switch self {
        case .linear: return 0
        case .relu: return 1
        case .relu6: return 2
        }
    }

    /// The activation over `count` contiguous values, in place.
    @inline(__always)
    func apply(_ block: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .linear: break
        case .relu: for i in 0..<count { block[i] = Swift.max(block[i], 0) }
        case .relu6: for i in 0..<count { block[i] = Swift.min(Swift.max(block[i], 0), 6) }
        }
    }
}

/// Inference only (no gradient is recorded): a 2D or 3D convolution of `x` (NHWC or NDHWC) with
/// `kernel` (spatial..., in, out), each output channel then scaled by `scale` and shifted by
/// `shift` (each of one value per output channel, nil for 1 and 0), `residual` (the output's
/// shape) added and `activation` applied, in the convolution's own output pass.
///
/// `overwritingResidual`: the caller holds the only reference to `residual` and reads it no
/// more (`Tensor.ownsMemoryAlone`), so when the shape runs on oneDNN the result is written over
/// it: oneDNN's sum post-op adds what its output memory holds, and the residual need not be
/// copied there first. The result is then `residual` itself. The shape's algorithm is chosen
/// for this case apart from a kept residual's, timed as it runs: oneDNN without the copy.
public func fusedConvolution(
    _ x: Tensor, kernel: Tensor, strides: [Int], padding: Padding, dilations: [Int], scale: Tensor?, shift: Tensor?,
    residual: Tensor?, activation: OutputEpilogue.Activation, overwritingResidual: Bool = false
) throws -> Tensor {
    let op = "fusedConvolution"
    let spatialDims = x.rank - 2
    guard spatialDims == 2 || spatialDims == 3 else { throw TensorError(op, "expects a 2D or 3D channels-last input, got \(x.shape)") }
    let g = try convolutionGeometry(op, x, kernelShape: kernel.shape, spatialDims: spatialDims, strides: strides, dilations: dilations, padding: padding)
    let (factors, offsets) = try OutputEpilogue.vectors(op, scale: scale, shift: shift, channels: g.outChannels)
    let shape = outputShape(g, spatialDims: spatialDims, channels: g.outChannels, spatial: g.output)
    if let residual, residual.shape != shape {
        throw TensorError.shapes(op, "the residual must have the output's shape; residual and output", residual.shape, shape)
    }
    let epilogue = OutputEpilogue(
        scale: UnsafePointer(factors.readData), shift: UnsafePointer(offsets.readData),
        residual: residual.map { UnsafePointer($0.readData) }, activation: activation)
    // The convolution's input is read while the output is written: never the same memory.
    if overwritingResidual, let residual, residual.ownsMemoryAlone, residual.storage !== x.storage {
        let target = residual.data
        var y: Tensor?
        let result = withExtendedLifetime((factors, offsets)) {
            g.forward(x.readData, ConvKernel(kernel), overResidual: target, epilogue: epilogue) {
                if y == nil { y = Tensor.uninitialized(shape) }
                return y!.data
            }
        }
        return result == target ? residual : y!
    }
    let y = Tensor.uninitialized(shape)
    // The tensors the epilogue points into live until this call returns.
    withExtendedLifetime((factors, offsets, residual)) {
        g.forward(x.readData, ConvKernel(kernel), bias: nil, into: y.data, epilogue: epilogue)
    }
    return y
}
