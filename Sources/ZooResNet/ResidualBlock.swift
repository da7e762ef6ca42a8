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
    /// torchvision pads one cell on both sides, so its weights need its padding.
    func padding(kernel: Int) -> Padding {
        guard kernel > 1 else { return .valid }
        switch self {
        case .keras: return .same
        case .torchvision:
            let cells = kernel / 2
            return .explicit(before: [cells, cells], after: [cells, cells])
        }
    }

    /// A convolution named in the Keras scheme.
    func convolution(
        _ name: String, kernel: Int, filters: Int, inputChannels: Int, stride: Int = 1,
        padding: Padding? = nil
    ) -> Conv2D {
        Conv2D(
            filters: filters, kernelSize: [kernel], inputChannels: inputChannels, strides: [stride],
            padding: padding ?? self.padding(kernel: kernel), useBias: useBias, name: name)
    }

    /// A batch normalization with the convention's epsilon and momentum.
    func normalization(_ name: String, channels: Int) -> BatchNormalization {
        BatchNormalization(channels: channels, momentum: momentum, epsilon: epsilon, name: name)
    }
}

/// One residual block, its layers named as Keras Applications names them: `<name>_1_conv`,
/// `<name>_1_bn`, `<name>_1_relu`, ..., the projection shortcut `<name>_0_conv` / `<name>_0_bn`
/// where the shape changes, then `<name>_add` and `<name>_out`.
///
/// A block only groups layers (it is not a scope), so its parameters keep Keras's paths
/// (`conv2_block1_1_conv/kernel`).
final class ResidualBlock: Model {
    let outputChannels: Int
    private var convolutions: [Conv2D] = []
    private var normalizations: [BatchNormalization] = []
    /// One fewer than the convolutions: the last one's ReLU comes after the sum.
    private var activations: [Activation] = []
    private var projection: (conv: Conv2D, norm: BatchNormalization)?
    private var sum: Add!
    private var output: Activation!

    init(
        _ kind: ResidualBlockKind, name: String, inputChannels: Int, filters: Int, stride: Int,
        convention: ResNetConvention
    ) {
        outputChannels = kind.outputChannels(filters: filters)
        super.init(name: name)
        let units = kind.convolutions(filters: filters, stride: stride)
        var channels = inputChannels
        for (index, unit) in units.enumerated() {
            convolutions.append(convention.convolution(
                "\(name)_\(index + 1)_conv", kernel: unit.kernel, filters: unit.filters,
                inputChannels: channels, stride: unit.stride))
            normalizations.append(
                convention.normalization("\(name)_\(index + 1)_bn", channels: unit.filters))
            if index < units.count - 1 {
                activations.append(Activation(.relu, name: "\(name)_\(index + 1)_relu"))
            }
            channels = unit.filters
        }
        // Keras places a projection where the first block of a stage changes the shape
        // (always, for bottlenecks); torchvision's `downsample` follows the same rule.
        if stride != 1 || inputChannels != outputChannels {
            projection = (
                convention.convolution(
                    "\(name)_0_conv", kernel: 1, filters: outputChannels,
                    inputChannels: inputChannels, stride: stride),
                convention.normalization("\(name)_0_bn", channels: outputChannels))
        }
        sum = Add(name: "\(name)_add")
        output = Activation(.relu, name: "\(name)_out")

        // Keras's `model.layers` lists the shortcut between the main path's last ReLU and its
        // last convolution, and interleaves their batch norms (a topological order).
        let last = units.count - 1
        for index in 0..<last {
            add(convolutions[index])
            add(normalizations[index])
            add(activations[index])
        }
        if let projection { add(projection.conv) }
        add(convolutions[last])
        if let projection { add(projection.norm) }
        add(normalizations[last])
        add(sum)
        add(output)
    }

    /// Output extent along one spatial axis for an input extent `n`.
    func outputExtent(_ n: Int) -> Int {
        let first = convolutions[0]
        return ZooNN.outputExtent(
            n, kernel: first.kernelSize[0], stride: first.strides[0], padding: first.padding)
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        var y = x
        for (index, convolution) in convolutions.enumerated() {
            y = try normalizations[index](convolution(y))
            if index < activations.count { y = try activations[index](y) }
        }
        let shortcut = try projection.map { try $0.norm($0.conv(x)) } ?? x
        return try output(sum([shortcut, y]))
    }
}
