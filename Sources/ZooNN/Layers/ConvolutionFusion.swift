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
        return try outputPass(input, padding: padding, followers: followers, residual: residual, residualIsFree: residualIsFree)
    }

    /// The convolution with `padding` and `followers` in its output pass; nil when a follower
    /// (or this layer's own activation) cannot be taken as it now is.
    func outputPass(_ input: Tensor, padding: Padding, followers: [Layer], residual: Tensor?, residualIsFree: Bool) throws -> Tensor? {
        guard let epilogue = try Convolution.epilogue(
            followers, bias: bias, channels: filters, activation: Convolution.outputActivation(activation))
        else { return nil }
        return try fusedConvolution(
            input, kernel: kernel.value, strides: strides, padding: padding, dilations: dilations, scale: epilogue.scale,
            shift: epilogue.shift, residual: residual, activation: epilogue.activation, overwritingResidual: residualIsFree)
    }

    /// The per-channel scale and shift and the activation of a convolution's output pass that
    /// takes `followers` (a batch normalization folded in, in double precision, with the `bias`
    /// before it; a sum is the caller's); nil when a follower cannot be taken as it now is.
    static func epilogue(
        _ followers: [Layer], bias: Parameter?, channels: Int, activation: OutputEpilogue.Activation?
    ) throws -> (scale: Tensor?, shift: Tensor?, activation: OutputEpilogue.Activation)? {
        var scale: [Double]?
        var shift = bias.map { $0.value.scalars.map(Double.init) }
        var fusedActivation = activation
        for follower in followers {
            if let norm = follower as? BatchNormalization {
                // In training (and not frozen) it normalizes by the batch: no fold.
                guard !norm.usesBatchStatistics else { return nil }
                let (mean, variance) = (norm.movingMean.value.scalars, norm.movingVariance.value.scalars)
                let gamma = norm.gamma?.value.scalars, beta = norm.beta?.value.scalars
                let epsilon = Double(norm.epsilon)
                var factor = [Double](repeating: 1, count: channels)
                var offset = [Double](repeating: 0, count: channels)
                for c in 0..<channels {
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
        func vector(_ values: [Double]?) throws -> Tensor? { try values.map { try Tensor(shape: [channels], scalars: $0.map(Float.init)) } }
        return (try vector(scale), try vector(shift), fusedActivation)
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

/// A convolution takes the zero padding before it (ResNet's `conv1_pad`, DenseNet's stem,
/// MobileNetV2's `block_N_pad` before each strided depthwise convolution) into its own padding:
/// the windows see the same zeros, and no padded copy of the input is made.
extension Convolution: PaddingTaking {
    public func canTake(padding: [(before: Int, after: Int)]) -> Bool {
        padding.count == spatialDims && self.padding.adding(padding) != nil
    }

    public func fusedForward(
        _ input: Tensor, taking padding: [(before: Int, after: Int)], followers: [Layer], residual: Tensor?, residualIsFree: Bool
    ) throws -> Tensor? {
        guard let padded = self.padding.adding(padding) else { return nil }
        return try outputPass(input, padding: padded, followers: followers, residual: residual, residualIsFree: residualIsFree)
    }
}

extension Padding {
    /// This padding with `extra` zeros before and after each spatial axis; nil for `same`, whose
    /// amounts depend on the input's extent.
    func adding(_ extra: [(before: Int, after: Int)]) -> Padding? {
        guard extra.allSatisfy({ $0.before >= 0 && $0.after >= 0 }) else { return nil }
        switch self {
        case .same: return nil
        case .valid: return .explicit(before: extra.map(\.before), after: extra.map(\.after))
        case .explicit(let before, let after):
            guard before.count == extra.count, after.count == extra.count else { return nil }
            return .explicit(
                before: zip(before, extra).map { $0 + $1.before }, after: zip(after, extra).map { $0 + $1.after })
        }
    }
}

/// The same rewrite for a depthwise convolution (MobileNetV2's, DeepLab's): the batch
/// normalization and the ReLU or ReLU6 after it in its output pass (`fusedDepthwiseConvolution`).
/// No sum: in the families no depthwise output is a residual's other input.
extension DepthwiseConv2D: OutputFusing {
    public func canFuse(_ follower: Layer, after fused: [Layer]) -> Bool {
        let hasActivation = fused.contains { Convolution.epilogueActivation($0) != nil }
        if hasActivation { return false }
        if follower is BatchNormalization { return fused.isEmpty }
        return Convolution.epilogueActivation(follower) != nil
    }

    public func fusedForward(_ input: Tensor, followers: [Layer], residual: Tensor?, residualIsFree: Bool) throws -> Tensor? {
        guard !followers.isEmpty, residual == nil else { return nil }
        return try outputPass(input, padding: padding, followers: followers)
    }

    /// The depthwise convolution with `padding` and `followers` in its output pass; nil when a
    /// follower cannot be taken as it now is.
    func outputPass(_ input: Tensor, padding: Padding, followers: [Layer]) throws -> Tensor? {
        guard let epilogue = try Convolution.epilogue(followers, bias: bias, channels: inputChannels * depthMultiplier, activation: .linear)
        else { return nil }
        return try fusedDepthwiseConvolution(
            input, kernel: kernel.value, strides: strides, padding: padding, dilations: dilations, scale: epilogue.scale,
            shift: epilogue.shift, activation: epilogue.activation)
    }
}

extension DepthwiseConv2D: PaddingTaking {
    public func canTake(padding: [(before: Int, after: Int)]) -> Bool {
        padding.count == 2 && self.padding.adding(padding) != nil
    }

    public func fusedForward(
        _ input: Tensor, taking padding: [(before: Int, after: Int)], followers: [Layer], residual: Tensor?, residualIsFree: Bool
    ) throws -> Tensor? {
        guard residual == nil, let padded = self.padding.adding(padding) else { return nil }
        return try outputPass(input, padding: padded, followers: followers)
    }
}
