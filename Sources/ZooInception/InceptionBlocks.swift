// What InceptionV3 and InceptionResNetV2 share: Keras's functional graph with its layer order,
// the `conv2d_bn` unit, and the application model built on them.
//
// Szegedy, Vanhoucke, Ioffe, Shlens and Wojna, "Rethinking the Inception Architecture for
// Computer Vision", arXiv:1512.00567.
// Szegedy, Ioffe, Vanhoucke and Alemi, "Inception-v4, Inception-ResNet and the Impact of
// Residual Connections on Learning", arXiv:1602.07261.
//
// Why a graph. Both networks are Keras functional models whose parallel branches Keras writes
// one after the other, so two orders differ and both must be reproduced:
// - Keras *creates* the layers in code order, and that order decides the automatic names: in
//   InceptionV3's mixed0 the 1x1 branch gets `conv2d_5`, the 5x5 branch `conv2d_6` and
//   `conv2d_7`, the double 3x3 branch `conv2d_8` to `conv2d_10`, the pooled branch `conv2d_11`.
// - `model.layers` lists them in Keras's graph sort (`map_graph` in keras/src/ops/function.py):
//   by decreasing depth, the longest path to the output, ties broken by the order in which a
//   depth-first walk from the output, inputs in argument order, first reaches each layer. That
//   interleaves the branches: mixed0 lists `conv2d_8` (the longest branch) before `conv2d_6`.
// So the networks create their layers in Keras's code order, inside `BuildContext.freshNames`
// and mostly unnamed, which gives every layer the name a freshly started Keras program gives
// it; `LayerGraph` records the wiring and hands the model its layers in the graph sort's order,
// the order `layers`, parameter paths, freezing by fraction and weight files see. The forward
// pass runs the layers in creation order, which is a topological order of the graph.
import ZooCore
import ZooNN
import ZooTensor

/// The Inception family: InceptionV3 and InceptionResNetV2 as `keras.applications` builds them.
public enum InceptionFamily: ArchitectureFamily {
    /// Every variant of the family, in catalog order.
    public static var variants: [ArchitectureVariant] { [inceptionv3, inceptionresnetv2] }
}

/// A Keras functional graph under construction: layers, each applied once to earlier outputs.
final class LayerGraph {
    /// A tensor of the graph: the node that computes it (nil for the graph's input) and its
    /// shape (height, width, channels), batch excluded.
    struct Output {
        let node: Int?
        let shape: [Int]
        var channels: Int { shape[shape.count - 1] }
    }

    /// The layers in creation order, and for each the nodes it reads (nil: the graph's input).
    private var nodes: [(layer: Layer, inputs: [Int?])] = []
    /// The graph's input.
    let input: Output

    init(inputShape: [Int]) { input = Output(node: nil, shape: inputShape) }

    /// Records `layer` applied to `arguments`, giving a tensor of `shape`.
    func apply(_ layer: Layer, to arguments: [Output], shape: [Int]) -> Output {
        nodes.append((layer, arguments.map(\.node)))
        return Output(node: nodes.count - 1, shape: shape)
    }

    /// The layers of the model that ends at `output`, in Keras's `model.layers` order.
    func kerasOrder(endingAt output: Output) -> [Layer] {
        guard let last = output.node else { return [] }
        var order = KerasLayerOrder()
        for node in nodes { order.record(node.layer, node.inputs.compactMap { $0 }) }
        return order.ordered(outputs: [last])
    }

    /// Runs the graph on `x` up to `output`. Each intermediate is dropped after its last use,
    /// so inference at 299x299 holds only the tensors still needed (training keeps what the
    /// backward pass needs through the autograd graph anyway).
    func run(_ x: Tensor, to output: Output) throws -> Tensor {
        guard let last = output.node else { return x }
        var lastUse = Array(0...last)
        for node in 0...last {
            for case let input? in nodes[node].inputs { lastUse[input] = node }
        }
        var values = [Tensor?](repeating: nil, count: last + 1)
        for node in 0...last {
            let arguments = nodes[node].inputs.map { $0.flatMap { values[$0] } ?? x }
            values[node] = try nodes[node].layer(arguments)
            for case let input? in nodes[node].inputs where lastUse[input] == node && input != last {
                values[input] = nil
            }
        }
        return values[last]!
    }
}

extension LayerGraph {
    /// A convolution (kernel `rows` x `cols`) applied to `x`.
    func conv2d(
        _ x: Output, _ filters: Int, _ rows: Int, _ cols: Int, strides: Int = 1, padding: Padding = .same,
        useBias: Bool, name: String? = nil
    ) -> Output {
        let conv = Conv2D(
            filters: filters, kernelSize: [rows, cols], inputChannels: x.channels, strides: [strides],
            padding: padding, useBias: useBias, name: name)
        let height = outputExtent(x.shape[0], kernel: rows, stride: strides, padding: padding)
        let width = outputExtent(x.shape[1], kernel: cols, stride: strides, padding: padding)
        return apply(conv, to: [x], shape: [height, width, filters])
    }

    /// Keras Applications' `conv2d_bn`: a convolution without bias, batch normalization without
    /// gamma (`scale=False`: the ReLU after it makes a scale redundant; epsilon 1e-3, momentum
    /// 0.99, Keras's defaults) and a ReLU. Unnamed unless `name` is given, then `name`,
    /// `name_bn`, `name_ac` (InceptionResNetV2's rule for `conv_7b`; InceptionV3 names none).
    func conv2dBN(
        _ x: Output, _ filters: Int, _ rows: Int, _ cols: Int, strides: Int = 1, padding: Padding = .same,
        name: String? = nil
    ) -> Output {
        let conv = conv2d(x, filters, rows, cols, strides: strides, padding: padding, useBias: false, name: name)
        let norm = BatchNormalization(channels: filters, scale: false, name: name.map { $0 + "_bn" })
        let normalized = apply(norm, to: [conv], shape: conv.shape)
        return apply(Activation(.relu, name: name.map { $0 + "_ac" }), to: [normalized], shape: conv.shape)
    }

    /// A 3x3 max pooling with stride 2, 'valid': the grid reductions and the stem.
    func maxPool3x3(_ x: Output) -> Output {
        let shape = [
            outputExtent(x.shape[0], kernel: 3, stride: 2), outputExtent(x.shape[1], kernel: 3, stride: 2), x.channels,
        ]
        return apply(MaxPooling2D(poolSize: [3], strides: [2]), to: [x], shape: shape)
    }

    /// A 3x3 average pooling with stride 1, 'same', the pooled branch of the Inception modules;
    /// padded cells stay out of the average, as in Keras.
    func averagePool3x3(_ x: Output) -> Output {
        apply(AveragePooling2D(poolSize: [3], strides: [1], padding: .same), to: [x], shape: x.shape)
    }

    /// The branches joined along channels.
    func concatenate(_ branches: [Output], name: String? = nil) -> Output {
        let channels = branches.reduce(0) { $0 + $1.channels }
        let shape = Array(branches[0].shape.dropLast()) + [channels]
        return apply(Concatenate(axis: -1, name: name), to: branches, shape: shape)
    }
}

/// An Inception network as `keras.applications` builds it: the input layer, the feature
/// layers of a `LayerGraph` in Keras's order, then the top the options choose (`avg_pool` and
/// `predictions`, Keras's automatic names for the global pooling without the top).
public class InceptionNetwork: ApplicationModel {
    private let graph: LayerGraph
    private var featureOutput: LayerGraph.Output

    /// Builds `features` on a graph of the resolved input inside `BuildContext.freshNames`,
    /// features and top in one scope, so unnamed layers (a custom head's included) take the
    /// names a freshly started Keras program gives them.
    init(
        kerasName: String, variant: ArchitectureVariant, options: ArchitectureOptions,
        features: (LayerGraph) -> LayerGraph.Output
    ) throws {
        let inputShape = try variant.resolvedInput(options)
        graph = LayerGraph(inputShape: inputShape)
        featureOutput = graph.input
        super.init(name: kerasName, inputShape: inputShape, options: options)
        try BuildContext.freshNames {
            featureOutput = features(graph)
            for layer in graph.kerasOrder(endingAt: featureOutput) { add(layer) }
            let shape = featureOutput.shape
            try buildTop(featureShape: shape, poolingNames: (nil, nil)) {
                [
                    GlobalAveragePooling2D(name: "avg_pool"),
                    Dense(
                        units: options.classes, inputFeatures: shape[shape.count - 1],
                        activation: options.classifierActivation, name: "predictions"),
                ]
            }
        }
    }

    /// The feature layers, from the image to the last feature map (`mixed10`, `conv_7b_ac`).
    public override func features(_ x: Tensor) throws -> Tensor {
        try graph.run(x, to: featureOutput)
    }
}
