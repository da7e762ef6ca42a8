import ZooCore
import ZooNN

/// Floating-point operations of one forward pass, counted from the layers' output shapes
/// (a multiply-add is two): convolutions, transposed convolutions, depthwise and separable
/// convolutions and dense layers, which hold nearly all of a CNN's arithmetic. A training
/// step is counted as three forward passes (forward, and the two products of the backward).
public enum ForwardFLOPs {
    public static func count(_ trace: ShapeTrace) -> Double {
        var total = 0.0
        for (layer, shape) in trace.outputs {
            let elements = Double(shape.reduce(1, *))
            switch layer {
            case let conv as TransposedConvolution:
                // Each input position scatters the whole kernel.
                let positions = elements / Double(conv.filters) / Double(conv.strides.reduce(1, *))
                total += 2 * positions * Double(conv.kernel.value.count)
            case let conv as KernelLayer:
                total += 2 * elements / Double(conv.filters) * Double(conv.kernel.value.count)
            case let conv as DepthwiseConv2D:
                total += 2 * elements * Double(conv.kernelSize.reduce(1, *))
            case let conv as SeparableConv2D:
                let positions = elements / Double(conv.filters)
                total += 2 * positions * Double(conv.depthwiseKernel.value.count + conv.pointwiseKernel.value.count)
            case let dense as Dense:
                total += 2 * elements / Double(dense.units) * Double(dense.kernel.value.count)
            default:
                continue
            }
        }
        return total
    }
}
