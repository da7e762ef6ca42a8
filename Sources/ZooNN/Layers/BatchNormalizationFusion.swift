import ZooCore
import ZooTensor

/// The inference rewrite of a batch normalization that no convolution's output pass took (a
/// pre-activation block, as DenseNet's; one after a depthwise or separable convolution): the
/// ReLU or ReLU6 after it runs in its own pass over the output (`batchNorm(activation:)`),
/// not in one more. Equal to the two layers one by one: the same arithmetic, then the same
/// clamp.
extension BatchNormalization: JoinReading {
    public func canFuse(_ follower: Layer, after fused: [Layer]) -> Bool {
        fused.isEmpty && Convolution.epilogueActivation(follower).map { $0 != .linear } == true
    }

    public func fusedForward(_ input: Tensor, followers: [Layer], residual: Tensor?, residualIsFree: Bool) throws -> Tensor? {
        // In training (and not frozen) it normalizes by the batch and records its gradient.
        guard !usesBatchStatistics, residual == nil, followers.count == 1,
            let activation = Convolution.epilogueActivation(followers[0]), activation != .linear,
            input.rank >= 2, input.shape.last == channels
        else { return nil }
        let statistics = BatchNormStatistics(movingMean: movingMean.value, movingVariance: movingVariance.value)
        return try batchNorm(
            input, gamma: gamma?.value, beta: beta?.value, statistics: statistics, training: false, momentum: momentum,
            epsilon: epsilon, activation: activation)
    }

    /// In inference, after a concatenation the graph deferred (DenseNet's dense blocks): the
    /// parts are normalized where they lie, with the activation after, if any, in the same pass.
    public func fusedForward(joining parts: [Tensor], followers: [Layer]) throws -> Tensor? {
        // A join of the wrong width is made and given to `forward`, which names the layer.
        guard !usesBatchStatistics, followers.count <= 1, parts.reduce(0, { $0 + ($1.shape.last ?? 0) }) == channels
        else { return nil }
        var activation = OutputEpilogue.Activation.linear
        if let follower = followers.first {
            guard let taken = Convolution.epilogueActivation(follower), taken != .linear else { return nil }
            activation = taken
        }
        let statistics = BatchNormStatistics(movingMean: movingMean.value, movingVariance: movingVariance.value)
        return try batchNorm(
            joining: parts, gamma: gamma?.value, beta: beta?.value, statistics: statistics, epsilon: epsilon, activation: activation)
    }
}
