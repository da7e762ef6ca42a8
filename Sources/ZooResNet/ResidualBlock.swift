// The residual blocks of "Deep Residual Learning for Image Recognition" (Kaiming He, Xiangyu
// Zhang, Shaoqing Ren, Jian Sun; arXiv:1512.03385), Figure 5: the basic block (two 3x3
// convolutions) and the bottleneck (1x1 reduce, 3x3, 1x1 expand), each followed by batch
// normalization, added to an identity or projection shortcut, then ReLU.
//
// Both blocks put the stride on their first convolution: torchvision's basic block, and
// Keras Applications' ResNet v1 bottleneck (its first 1x1 convolution; torchvision's v1.5
// moves it to the 3x3, which Zoo does not do). ResNet.swift explains the two conventions.
import ZooCore
import ZooNN
import ZooTensor

/// The two residual blocks of the paper.
public enum ResidualBlockKind: Sendable {
    /// Two 3x3 convolutions of `filters` (ResNet18/34).
    case basic
    /// 1x1 to `filters`, 3x3, 1x1 to `4 * filters` (ResNet50/101/152).
    case bottleneck

    /// Channels a block of `filters` puts out.
    public func outputChannels(filters: Int) -> Int {
        self == .basic ? filters : 4 * filters
    }

    /// The main path's convolutions as (kernel size, filters, stride).
    func convolutions(filters: Int, stride: Int) -> [(kernel: Int, filters: Int, stride: Int)] {
        switch self {
        case .basic: return [(3, filters, stride), (3, filters, 1)]
        case .bottleneck: return [(1, filters, stride), (3, filters, 1), (1, 4 * filters, 1)]
        }
    }
}

/// The framework conventions a ResNet follows, which decide weight and output parity.
public enum ResNetConvention: Sendable {
    /// keras.applications: convolutions with bias, batch norm epsilon 1.001e-5 and Keras's
    /// default momentum 0.99, TensorFlow's 'same' padding for the 3x3 convolutions.
    case keras
    /// torchvision: convolutions without bias, batch norm epsilon 1e-5 and PyTorch momentum
    /// 0.1 (Keras momentum 0.9), one cell of padding on each side of a 3x3 convolution.
    case torchvision

    var useBias: Bool { self == .keras }
    var epsilon: Float { self == .keras ? 1.001e-5 : 1e-5 }
    var momentum: Float { self == .keras ? 0.99 : 0.9 }
    var preprocessing: PreprocessingMode { self == .keras ? .caffe : .torch }
    var source: String { self == .keras ? "keras.applications" : "torchvision" }

    /// Padding of a stride-1 or stride-2 convolution of `kernel` (1 or 3) inside a block.
    /// TensorFlow's 'same' pads a strided 3x3 on an even input only after (bottom/right);
    /// torchvision pads one cell on both sides (times the dilation), so its weights need its
    /// padding.
    func padding(kernel: Int, dilation: Int = 1) -> Padding {
        guard kernel > 1 else { return .valid }
        switch self {
        case .keras: return .same
        case .torchvision:
            let cells = kernel / 2 * dilation
            return .explicit(before: [cells, cells], after: [cells, cells])
        }
    }

    /// A convolution named in the Keras scheme; `dilation` applies to kernels larger than 1.
    func convolution(
        _ name: String, kernel: Int, filters: Int, inputChannels: Int, stride: Int = 1,
        dilation: Int = 1, padding: Padding? = nil
    ) -> Conv2D {
        let dilation = kernel > 1 ? dilation : 1
        return Conv2D(
            filters: filters, kernelSize: [kernel], inputChannels: inputChannels, strides: [stride],
            padding: padding ?? self.padding(kernel: kernel, dilation: dilation), dilations: [dilation],
            useBias: useBias, name: name)
    }

    /// A batch normalization with the convention's epsilon and momentum.
    func normalization(_ name: String, channels: Int) -> BatchNormalization {
        BatchNormalization(channels: channels, momentum: momentum, epsilon: epsilon, name: name)
    }
}

/// One residual block on `x`, its layers named as Keras Applications names them:
/// `<name>_1_conv`, `<name>_1_bn`, `<name>_1_relu`, ..., the projection shortcut `<name>_0_conv`
/// / `<name>_0_bn` where the shape changes, then `<name>_add` and `<name>_out`. `dilation`
/// dilates the 3x3 convolutions (DeepLabv3's atrous stages).
///
/// The main path's convolutions are created before the shortcut's (torchvision's order, which
/// decides the draws of the initial weights); `model.layers` lists them in Keras's graph order
/// whatever the creation order.
public func residualBlock(
    _ x: SymbolicTensor, _ kind: ResidualBlockKind, name: String, filters: Int, stride: Int,
    convention: ResNetConvention, dilation: Int = 1
) throws -> SymbolicTensor {
    let units = kind.convolutions(filters: filters, stride: stride)
    var y = x
    for (index, unit) in units.enumerated() {
        let convolution = convention.convolution(
            "\(name)_\(index + 1)_conv", kernel: unit.kernel, filters: unit.filters, inputChannels: y.channels,
            stride: unit.stride, dilation: dilation)
        y = try convention.normalization("\(name)_\(index + 1)_bn", channels: unit.filters)(convolution(y))
        // The last convolution's ReLU comes after the sum.
        if index < units.count - 1 { y = try Activation(.relu, name: "\(name)_\(index + 1)_relu")(y) }
    }
    // Keras places a projection where the first block of a stage changes the shape (always,
    // for bottlenecks); torchvision's `downsample` follows the same rule.
    var shortcut = x
    let outputChannels = kind.outputChannels(filters: filters)
    if stride != 1 || x.channels != outputChannels {
        let projection = convention.convolution(
            "\(name)_0_conv", kernel: 1, filters: outputChannels, inputChannels: x.channels, stride: stride)
        shortcut = try convention.normalization("\(name)_0_bn", channels: outputChannels)(projection(x))
    }
    return try Activation(.relu, name: "\(name)_out")(Add(name: "\(name)_add")([shortcut, y]))
}
