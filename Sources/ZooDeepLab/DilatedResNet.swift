// The backbone of DeepLabv3: ResNet-50 of "Deep Residual Learning for Image Recognition" (He,
// Zhang, Ren, Sun, arXiv:1512.03385) as Keras Applications builds it (ResNet v1: the stride on
// the first 1x1 convolution, biases on every convolution, batch-norm epsilon 1.001e-5), with
// Keras's layer names (`conv1_conv`, `conv2_block1_1_conv`, ..., `conv5_block3_out`) so that
// the ImageNet weights of `keras.applications.ResNet50` load by name.
//
// Deliberate deviation, from DeepLabv3 (section 3.1, "atrous convolution for dense feature
// extraction"): past the output stride, a stage's first block keeps stride 1 and every 3x3
// convolution of that stage is dilated instead (rate 2 for output stride 16 on stage 5; rates
// 2 and 4 on stages 4 and 5 for output stride 8), as the authors' TensorFlow code does with
// unit rates 1. torchvision differs only in leaving the first block of a dilated stage at
// the previous rate. Dilation adds no weight, so the weights are those of ResNet-50.
//
// The target builds its own backbone: an architecture target imports no other.
import ZooCore
import ZooNN
import ZooTensor

/// ResNet-50's stages: (filters of the bottleneck, blocks), conv2 to conv5.
let resNet50Stages = [
    (filters: 64, blocks: 3), (filters: 128, blocks: 4), (filters: 256, blocks: 6),
    (filters: 512, blocks: 3),
]

/// Keras ResNet's batch-norm epsilon.
private let resNetEpsilon: Float = 1.001e-5

/// A bottleneck block, `block1` of keras/src/applications/resnet.py: 1x1, 3x3, 1x1 (x4
/// filters), a projection shortcut in each stage's first block, the sum, then ReLU.
struct BottleneckBlock {
    let shortcut: [Layer]
    let body: [Layer]
    let add: Add
    let out: Activation

    init(
        name: String, filters: Int, inputChannels: Int, stride: Int, dilation: Int, projection: Bool
    ) {
        func bn(_ suffix: String, _ channels: Int) -> BatchNormalization {
            BatchNormalization(
                channels: channels, epsilon: resNetEpsilon, name: "\(name)_\(suffix)_bn")
        }
        shortcut =
            projection
            ? [
                Conv2D(
                    filters: 4 * filters, kernelSize: [1], inputChannels: inputChannels,
                    strides: [stride], name: "\(name)_0_conv"),
                bn("0", 4 * filters),
            ] : []
        body = [
            Conv2D(
                filters: filters, kernelSize: [1], inputChannels: inputChannels, strides: [stride],
                name: "\(name)_1_conv"),
            bn("1", filters), Activation(.relu, name: "\(name)_1_relu"),
            Conv2D(
                filters: filters, kernelSize: [3], inputChannels: filters, padding: .same,
                dilations: [dilation],
                name: "\(name)_2_conv"),
            bn("2", filters), Activation(.relu, name: "\(name)_2_relu"),
            Conv2D(
                filters: 4 * filters, kernelSize: [1], inputChannels: filters,
                name: "\(name)_3_conv"),
            bn("3", 4 * filters),
        ]
        add = Add(name: "\(name)_add")
        out = Activation(.relu, name: "\(name)_out")
    }

    /// Records the block's layers as Keras's graph connects them; returns the output's index.
    func record(in graph: inout KerasLayerOrder, from input: Int) -> Int {
        let shortcutOutput = graph.chain(shortcut, from: input)
        let bodyOutput = graph.chain(body, from: input)
        let sum = graph.record(add, [shortcutOutput, bodyOutput])
        return graph.record(out, [sum])
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        var residual = x
        for layer in shortcut { residual = try layer(residual) }
        var y = x
        for layer in body { y = try layer(y) }
        return try out(add([residual, y]))
    }
}

/// ResNet-50 up to `conv5_block3_out`, with the stages past `outputStride` dilated.
struct DilatedResNet50 {
    /// conv1_pad, conv1_conv, conv1_bn, conv1_relu, pool1_pad, pool1_pool: stride 4.
    let stem: [Layer]
    let blocks: [BottleneckBlock]
    /// Channels of the last feature map (2048).
    let outputChannels: Int

    init(inputChannels: Int, outputStride: Int) {
        stem = [
            ZeroPadding(symmetric: 3, name: "conv1_pad"),
            Conv2D(
                filters: 64, kernelSize: [7], inputChannels: inputChannels, strides: [2],
                name: "conv1_conv"),
            BatchNormalization(channels: 64, epsilon: resNetEpsilon, name: "conv1_bn"),
            Activation(.relu, name: "conv1_relu"),
            ZeroPadding(symmetric: 1, name: "pool1_pad"),
            MaxPooling2D(poolSize: [3], strides: [2], name: "pool1_pool"),
        ]
        var blocks = [BottleneckBlock]()
        var channels = 64
        var stride = 4
        var dilation = 1
        for (index, stage) in resNet50Stages.enumerated() {
            var stageStride = index == 0 ? 1 : 2
            if stride * stageStride > outputStride {
                dilation *= stageStride
                stageStride = 1
            }
            stride *= stageStride
            for b in 1...stage.blocks {
                blocks.append(
                    BottleneckBlock(
                        name: "conv\(index + 2)_block\(b)", filters: stage.filters,
                        inputChannels: channels,
                        stride: b == 1 ? stageStride : 1, dilation: dilation, projection: b == 1))
                channels = 4 * stage.filters
            }
        }
        self.blocks = blocks
        outputChannels = channels
    }

    func record(in graph: inout KerasLayerOrder, from input: Int) -> Int {
        var output = graph.chain(stem, from: input)
        for block in blocks { output = block.record(in: &graph, from: output) }
        return output
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        var y = x
        for layer in stem { y = try layer(y) }
        for block in blocks { y = try block(y) }
        return y
    }
}
