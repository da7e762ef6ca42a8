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
// it; the functional graph lists them in the graph sort's order, the order `layers`, parameter
// paths, freezing by fraction and weight files see.
import ZooCore
import ZooNN
import ZooTensor

/// The Inception family: InceptionV3 and InceptionResNetV2 as `keras.applications` builds them.
public enum InceptionFamily: ArchitectureFamily {
    /// Every variant of the family, in catalog order.
    public static var variants: [ArchitectureVariant] { [inceptionv3, inceptionresnetv2] }
}

/// A convolution (kernel `rows` x `cols`) applied to `x`.
func conv2d(
    _ x: SymbolicTensor, _ filters: Int, _ rows: Int, _ cols: Int, strides: Int = 1, padding: Padding = .same,
    useBias: Bool, name: String? = nil
) throws -> SymbolicTensor {
    try Conv2D(
        filters: filters, kernelSize: [rows, cols], inputChannels: x.channels, strides: [strides],
        padding: padding, useBias: useBias, name: name)(x)
}

/// Keras Applications' `conv2d_bn`: a convolution without bias, batch normalization without
/// gamma (`scale=False`: the ReLU after it makes a scale redundant; epsilon 1e-3, momentum
/// 0.99, Keras's defaults) and a ReLU. Unnamed unless `name` is given, then `name`,
/// `name_bn`, `name_ac` (InceptionResNetV2's rule for `conv_7b`; InceptionV3 names none).
func conv2dBN(
    _ x: SymbolicTensor, _ filters: Int, _ rows: Int, _ cols: Int, strides: Int = 1, padding: Padding = .same,
    name: String? = nil
) throws -> SymbolicTensor {
    let conv = try conv2d(x, filters, rows, cols, strides: strides, padding: padding, useBias: false, name: name)
    let normalized = try BatchNormalization(channels: filters, scale: false, name: name.map { $0 + "_bn" })(conv)
    return try Activation(.relu, name: name.map { $0 + "_ac" })(normalized)
}

/// A 3x3 max pooling with stride 2, 'valid': the grid reductions and the stem.
func maxPool3x3(_ x: SymbolicTensor) throws -> SymbolicTensor {
    try MaxPooling2D(poolSize: [3], strides: [2])(x)
}

/// A 3x3 average pooling with stride 1, 'same', the pooled branch of the Inception modules;
/// padded cells stay out of the average, as in Keras.
func averagePool3x3(_ x: SymbolicTensor) throws -> SymbolicTensor {
    try AveragePooling2D(poolSize: [3], strides: [1], padding: .same)(x)
}

/// The branches joined along channels.
func concatenate(_ branches: [SymbolicTensor], name: String? = nil) throws -> SymbolicTensor {
    try Concatenate(axis: -1, name: name)(branches)
}

/// The stem both networks share: five convolutions and two max poolings, 299 -> 35x35x192.
func inceptionStem(_ x: SymbolicTensor) throws -> SymbolicTensor {
    var x = try conv2dBN(x, 32, 3, 3, strides: 2, padding: .valid)
    x = try conv2dBN(x, 32, 3, 3, padding: .valid)
    x = try conv2dBN(x, 64, 3, 3)
    x = try maxPool3x3(x)
    x = try conv2dBN(x, 80, 1, 1, padding: .valid)
    x = try conv2dBN(x, 192, 3, 3, padding: .valid)
    return try maxPool3x3(x)
}

/// An Inception network as `keras.applications` builds it: the input layer, the feature
/// layers, then the top the options choose (`avg_pool` and `predictions`; Keras's automatic
/// names for the global pooling without the top).
public protocol InceptionNetwork: ApplicationNetwork {}

extension InceptionNetwork {
    public var poolingNames: (average: String?, max: String?) { (nil, nil) }
}
