import ZooCore
import ZooTensor

/// The inference rewrite of a convolution (`OutputFusing`): the batch normalization after it
/// folded into a per-channel scale and shift (its bias with it), then a residual sum, then
/// ReLU or ReLU6, all in the convolution's output pass (`fusedConvolution`) instead of a pass
/// each. Equal to the layers run one by one within float rounding (tested per family); the
/// weights themselves are never changed, so training sees the layers as written.
extension Convolution: OutputFusing {
    public func canFuse(_ follower: Layer, after fused: [Layer]) -> Bool {
        let hasSum = fused.contains { $0 is Add }
        let hasActivation = activation != .linear || fused.contains { Convolution.epilogueActivation($0) != nil }
        if hasActivation { return false }
        if follower is BatchNormalization { return fused.isEmpty }
        if let add = follower as? Add { return !hasSum && add.kerasClassName == "Add" }
        return Convolution.epilogueActivation(follower) != nil
    }

    public func fusedForward(_ input: Tensor, followers: [Layer], residual: Tensor?, residualIsFree: Bool) throws -> Tensor? {
        guard !followers.isEmpty || activation == .relu || activation == .relu6 else { return nil }
        var scale: [Double]?
        var shift = bias.map { $0.value.scalars.map(Double.init) }
        var fusedActivation = Convolution.outputActivation(activation)
        for follower in followers {
            if let norm = follower as? BatchNormalization {
                // In training (and not frozen) it normalizes by the batch: no fold.
                guard !norm.usesBatchStatistics else { return nil }
                let (mean, variance) = (norm.movingMean.value.scalars, norm.movingVariance.value.scalars)
                let gamma = norm.gamma?.value.scalars, beta = norm.beta?.value.scalars
                let epsilon = Double(norm.epsilon)
                var factor = [Double](repeating: 1, count: filters)
                var offset = [Double](repeating: 0, count: filters)
                for c in 0..<filters {
                    let g: Double = gamma.map { Double($0[c]) } ?? 1
                    let b: Double = beta.map { Double($0[c]) } ?? 0
                    let before: Double = shift?[c] ?? 0
                    factor[c] = g / (Double(variance[c]) + epsilon).squareRoot()
                    offset[c] = (before - Double(mean[c])) * factor[c] + b
                }
                scale = factor
                shift = offset
            } else if let function = Convolution.epilogueActivation(follower) {
                fusedActivation = function
            } else if !(follower is Add) {
                return nil
            }
        }
        guard let fusedActivation else { return nil }
        func vector(_ values: [Double]?) throws -> Tensor? { try values.map { try Tensor(shape: [filters], scalars: $0.map(Float.init)) } }
        return try fusedConvolution(
            input, kernel: kernel.value, strides: strides, padding: padding, dilations: dilations, scale: vector(scale),
            shift: vector(shift), residual: residual, activation: fusedActivation, overwritingResidual: residualIsFree)
    }

    /// The output pass's activation for a layer that is only an activation it has.
    static func epilogueActivation(_ layer: Layer) -> OutputEpilogue.Activation? {
        if let activation = layer as? Activation { return outputActivation(activation.function) }
        if let relu = layer as? ReLU {
            switch relu.maxValue {
            case nil: return .relu
            case 6?: return .relu6
            default: return nil
            }
        }
        return nil
    }

    static func outputActivation(_ function: ActivationFunction) -> OutputEpilogue.Activation? {
        switch function {
        case .linear: return .linear
        case .relu: return .relu
        case .relu6: return .relu6
        default: return nil
        }
    }
}
