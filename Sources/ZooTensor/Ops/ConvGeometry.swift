/// The shapes and offsets of a convolution, in three spatial dimensions (a 2D convolution is
/// the case of depth 1).

/// How a convolution or pooling window treats the border.
public enum Padding: Equatable, Sendable {
    /// No padding: the window stays inside the input.
    case valid
    /// TensorFlow's 'same': output = ceil(input / stride); the odd extra cell of padding goes
    /// after (bottom, right, back), as TensorFlow and Keras place it.
    case same
    /// Explicit cells before and after each spatial axis.
    case explicit(before: [Int], after: [Int])
}

extension Padding {
    /// The extent of a convolution's or pooling's output along spatial axis `axis` for an
    /// input extent `n` (0 when the window does not fit), as TensorFlow computes it.
    public func outputExtent(_ n: Int, kernel: Int, stride: Int, dilation: Int = 1, axis: Int = 0) -> Int {
        let effective = (kernel - 1) * dilation + 1
        switch self {
        case .valid: return n >= effective ? (n - effective) / stride + 1 : 0
        case .same: return (n + stride - 1) / stride
        case .explicit(let before, let after):
            let padded = n + before[axis] + after[axis]
            return padded >= effective ? (padded - effective) / stride + 1 : 0
        }
    }

    /// The extent of a transposed convolution's output along spatial axis `axis`, as Keras
    /// computes it (explicit padding is cut from the full output).
    public func transposedExtent(_ n: Int, kernel: Int, stride: Int, dilation: Int = 1, axis: Int = 0) -> Int {
        let effective = (kernel - 1) * dilation + 1
        switch self {
        case .same: return n * stride
        case .valid: return n * stride + Swift.max(effective - stride, 0)
        case .explicit(let before, let after): return (n - 1) * stride + effective - before[axis] - after[axis]
        }
    }
}

struct ConvGeometry: Hashable {
    var batch: Int
    /// Input extents (depth, height, width) and channels.
    var input: [Int]
    var inChannels: Int
    var output: [Int]
    var outChannels: Int
    var kernel: [Int]
    var strides: [Int]
    var dilations: [Int]
    var padBefore: [Int]

    var effectiveKernel: [Int] { (0..<3).map { (kernel[$0] - 1) * dilations[$0] + 1 } }
    var taps: Int { kernel.reduce(1, *) }
    /// Rows of the im2col matrix: one per output position.
    var rows: Int { batch * output.reduce(1, *) }
    /// Columns of the im2col matrix: one per kernel tap and input channel.
    var columns: Int { taps * inChannels }
    var inputCount: Int { batch * input.reduce(1, *) * inChannels }
    var outputCount: Int { rows * outChannels }

    /// A 1x1x1 convolution with stride 1 and no padding: the input is already the im2col matrix.
    var isPointwise: Bool {
        kernel == [1, 1, 1] && strides == [1, 1, 1] && padBefore == [0, 0, 0] && input == output
    }

    /// Builds the geometry, or explains in the error why the shapes do not make a convolution.
    init(
        op: String, batch: Int, input: [Int], inChannels: Int, outChannels: Int, kernel: [Int],
        strides: [Int], dilations: [Int], padding: Padding
    ) throws {
        guard strides.allSatisfy({ $0 >= 1 }), dilations.allSatisfy({ $0 >= 1 }),
            kernel.allSatisfy({ $0 >= 1 })
        else {
            throw TensorError(op, "kernel \(kernel), strides \(strides) and dilations \(dilations) must be positive")
        }
        self.batch = batch
        self.input = input
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.strides = strides
        self.dilations = dilations
        self.output = [0, 0, 0]
        self.padBefore = [0, 0, 0]
        let effective = effectiveKernel
        for axis in 0..<3 {
            let n = input[axis]
            output[axis] = padding.outputExtent(n, kernel: kernel[axis], stride: strides[axis], dilation: dilations[axis], axis: axis)
            switch padding {
            case .valid: break
            case .same: padBefore[axis] = Swift.max((output[axis] - 1) * strides[axis] + effective[axis] - n, 0) / 2
            case .explicit(let before, _): padBefore[axis] = before[axis]
            }
        }
        guard output.allSatisfy({ $0 > 0 }) else {
            throw TensorError(
                op, "input extent \(input) is too small for kernel \(kernel) "
                    + "with dilation \(dilations) and padding \(padding)")
        }
    }
}

/// Reads the spatial part of a channels-last input as (batch, [depth, height, width], channels).
func spatialLayout(_ shape: [Int], spatialDims: Int, op: String) throws -> (Int, [Int], Int) {
    guard shape.count == spatialDims + 2 else {
        let layout = spatialDims == 2 ? "NHWC" : "NDHWC"
        throw TensorError(op, "expects a rank-\(spatialDims + 2) \(layout) input, got shape \(shape)")
    }
    let spatial = Array(shape[1...spatialDims])
    return (shape[0], spatialDims == 2 ? [1] + spatial : spatial, shape[spatialDims + 1])
}

/// Spreads per-axis values given for 2 or 3 spatial axes over the three axes of a geometry.
func spatialTriple(_ values: [Int], spatialDims: Int, fill: Int, name: String, op: String) throws -> [Int] {
    let expanded = values.count == 1 ? [Int](repeating: values[0], count: spatialDims) : values
    guard expanded.count == spatialDims else {
        throw TensorError(op, "\(name) \(values) needs 1 or \(spatialDims) values")
    }
    return spatialDims == 2 ? [fill] + expanded : expanded
}

/// Lifts explicit 2D padding to three axes.
func spatialPadding(_ padding: Padding, spatialDims: Int, op: String) throws -> Padding {
    guard case .explicit(let before, let after) = padding else { return padding }
    guard before.count == spatialDims, after.count == spatialDims else {
        throw TensorError(op, "explicit padding needs \(spatialDims) values before and after, got \(before) and \(after)")
    }
    return spatialDims == 2 ? .explicit(before: [0] + before, after: [0] + after) : padding
}
