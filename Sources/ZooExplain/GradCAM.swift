// Grad-CAM: "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
// Localization" (Selvaraju, Cogswell, Das, Vedantam, Parikh, Batra; arXiv:1610.02391).
//
// For a class c with score y^c and the feature maps A^k of a chosen layer:
//   alpha_k^c = mean over positions of d y^c / d A^k        (global-average-pooled gradients)
//   L^c      = ReLU(sum_k alpha_k^c A^k)
// then up-sampled to the input (bilinear in 2D, trilinear in 3D) and divided by its maximum.
// y^c is the class's score before the softmax (the paper's definition): when the network ends
// in a softmax or sigmoid classifier, the logit is recomputed from the classifier's captured
// input (see `GradCAMScore`). The layer's output is captured through ZooCore's `LayerHooks`:
// during the pass it is replaced by a detached copy that requires gradients, so the backward
// pass stops there and works even when every layer is frozen.
import ZooCore
import ZooData
import ZooNN
import ZooTensor

/// How the channel weights are taken from the gradients.
public enum GradCAMMethod: String, Sendable, CaseIterable {
    /// Grad-CAM (Selvaraju et al.): the mean gradient of each channel.
    case gradcam
    /// Grad-CAM++ (Chattopadhyay et al., WACV 2018, arXiv:1710.11063): each positive gradient
    /// weighted by alpha = g^2 / (2 g^2 + sum(A) g^3), as pytorch-grad-cam's `GradCAMPlusPlus`
    /// computes it (its closed form for an exponential score; alpha 0 where g is 0).
    case gradcamPlusPlus = "gradcam++"
}

/// Which quantity Grad-CAM differentiates.
public enum GradCAMScore: Sendable {
    /// The class's logit: when the model's last layer is a `Dense` with a softmax or sigmoid
    /// activation, its pre-activation recomputed from the layer's input (`x W + b`); when it is
    /// an `Activation(.softmax/.sigmoid)` layer, that layer's input; otherwise the output.
    case automatic
    /// The model's output as it is (a probability, for a softmax network).
    case output
}

/// What the differentiated score was.
public enum GradCAMScoreSource: String, Sendable {
    /// The pre-softmax (or pre-sigmoid) logit of the class.
    case logit
    /// The model's output itself.
    case output
}

/// One Grad-CAM map: a sample, a layer and a class.
public struct GradCAMMap: Sendable {
    /// The Keras name of the layer whose activations were weighted.
    public let layer: String
    /// The explained class.
    public let classIndex: Int
    /// How the channel weights were taken (Grad-CAM or Grad-CAM++).
    public var method: GradCAMMethod = .gradcam
    /// The class's score y^c (summed over positions for a segmentation output).
    public let score: Float
    public let scoreSource: GradCAMScoreSource
    /// The model's output for this sample (probabilities for a softmax network).
    public let outputs: [Float]
    /// alpha_k^c, one per channel of the layer.
    public let channelWeights: [Float]
    /// ReLU(sum_k alpha_k A^k) at the layer's resolution, not normalized: (spatial..., 1).
    public let coarse: ImageArray
    /// The map up-sampled to the input's spatial size and divided by its maximum, in [0, 1]
    /// (all zeros when no position has positive evidence): (spatial..., 1).
    public let heatmap: ImageArray
}

/// Grad-CAM for any layer of a model, 2D (NHWC) or 3D (NDHWC).
public struct GradCAM {
    public let model: Model
    /// The layer used when a call names none; nil: the last layer whose feature map is at least
    /// 7 pixels (voxels) along every spatial axis at the input's size (`minimumDefaultExtent`),
    /// or, when none is, the last feature map.
    public let defaultLayer: String?

    public init(model: Model, defaultLayer: String? = nil) {
        self.model = model
        self.defaultLayer = defaultLayer
    }

    /// The smallest map extent of the default layer: a map of 2x2 (ResNet's last block at a
    /// 64-pixel input) paints every image with the same corner blob.
    public static let minimumDefaultExtent = 7

    /// Grad-CAM of one image (HWC) or volume (DHWC).
    public func explain(
        _ image: ImageArray, layer: String? = nil, classIndex: Int? = nil, score: GradCAMScore = .automatic, method: GradCAMMethod = .gradcam
    ) throws -> GradCAMMap {
        let batch = try image.tensor().reshaped([1] + image.shape)
        return try explain(batch, layer: layer, classIndices: classIndex.map { [$0] }, score: score, method: method)[0]
    }

    /// Grad-CAM of every sample of a batch (NHWC or NDHWC) in one forward and one backward
    /// pass. `classIndices` holds one class per sample, or one for all; nil explains each
    /// sample's predicted class (the arg-max of the output).
    public func explain(
        _ input: Tensor, layer: String? = nil, classIndices: [Int]? = nil, score: GradCAMScore = .automatic,
        method: GradCAMMethod = .gradcam
    ) throws -> [GradCAMMap] {
        guard input.rank == 4 || input.rank == 5, input.shape.allSatisfy({ $0 > 0 }) else {
            throw ExplainError.invalidInput(
                what: "Grad-CAM", reason: "input must be a batch of images (N, H, W, C) or volumes (N, D, H, W, C), got \(input.shape)")
        }
        guard GradMode.isEnabled else {
            throw ExplainError.invalidInput(what: "Grad-CAM", reason: "called inside withoutGrad; gradients are needed")
        }
        let batch = input.shape[0]
        if let classIndices, classIndices.count != 1, classIndices.count != batch {
            throw ExplainError.lengthMismatch(what: "Grad-CAM class indices and batch", expected: batch, actual: classIndices.count)
        }
        // Inference mode for the passes (dropout off, batch norm on its moving statistics), the
        // search for the default layer included: a model left in training mode by its trainer
        // cannot normalize one image's 1x1 maps by their batch statistics.
        let wasTraining = model.isTraining
        if wasTraining { model.setTraining(false) }
        defer { if wasTraining { model.setTraining(true) } }
        let target = try LayerLookup.layer(try layer ?? defaultLayer ?? lastFeatureMapLayer(input), in: model)

        var activation: Tensor?
        var last: (layer: Layer, inputs: [Tensor], output: Tensor)?
        let output = try LayerHooks.with({ called, inputs, output in
            var result = output
            if called === target {
                let leaf = output.detached()
                leaf.requiresGrad = true
                activation = leaf
                result = leaf
            }
            last = (called, inputs, result)
            return result
        }) { try model(input) }

        guard let activation else { throw ExplainError.layerNotCalled(name: target.name) }
        guard activation.rank == input.rank, activation.shape[0] == batch else {
            throw ExplainError.notAFeatureMap(layer: target.name, shape: activation.shape, expectedRank: input.rank)
        }
        let (scores, source) = try scoreTensor(output: output, last: last, mode: score)
        guard scores.rank >= 2, scores.shape[0] == batch else {
            throw ExplainError.invalidInput(what: "Grad-CAM", reason: "model output \(scores.shape) has no class axis per sample")
        }
        let classes = scores.shape[scores.rank - 1]
        let positions = scores.count / (batch * classes)

        // The explained class of each sample: given, or the arg-max of the (mean) output.
        let outputValues = output.scalars
        let outputPerSample = output.count / batch
        var chosen = [Int]()
        for n in 0..<batch {
            if let classIndices {
                let k = classIndices.count == 1 ? classIndices[0] : classIndices[n]
                guard k >= 0, k < classes else { throw ExplainError.classOutOfRange(index: k, classes: classes) }
                chosen.append(k)
            } else {
                var totals = [Float](repeating: 0, count: classes)
                let row = outputValues[(n * outputPerSample)..<((n + 1) * outputPerSample)]
                for (i, v) in row.enumerated() { totals[i % classes] += v }
                chosen.append(totals.indices.max { totals[$0] < totals[$1] } ?? 0)
            }
        }

        // Seed: 1 at the chosen class of each sample (at every position of a segmentation map).
        var seed = [Float](repeating: 0, count: scores.count)
        let scoreValues = scores.scalars
        var classScores = [Float](repeating: 0, count: batch)
        for n in 0..<batch {
            for p in 0..<positions {
                let index = (n * positions + p) * classes + chosen[n]
                seed[index] = 1
                classScores[n] += scoreValues[index]
            }
        }
        let gradient = try scores.gradients(withRespectTo: [activation], seed: try Tensor(shape: scores.shape, scalars: seed))[0]

        let spatial = Array(activation.shape.dropFirst().dropLast())
        let inputSpatial = Array(input.shape.dropFirst().dropLast())
        let channels = activation.shape[activation.rank - 1]
        let cells = spatial.reduce(1, *)
        let (a, g) = (activation.scalars, gradient.scalars)
        var maps = [GradCAMMap]()
        for n in 0..<batch {
            let base = n * cells * channels
            var weights = [Double](repeating: 0, count: channels)
            switch method {
            case .gradcam:
                for cell in 0..<cells {
                    for c in 0..<channels { weights[c] += Double(g[base + cell * channels + c]) }
                }
                weights = weights.map { $0 / Double(cells) }
            case .gradcamPlusPlus:
                var activationSums = [Double](repeating: 0, count: channels)
                for cell in 0..<cells {
                    for c in 0..<channels { activationSums[c] += Double(a[base + cell * channels + c]) }
                }
                for cell in 0..<cells {
                    for c in 0..<channels {
                        let gradient = Double(g[base + cell * channels + c])
                        guard gradient != 0 else { continue }
                        let squared = gradient * gradient
                        let alpha = squared / (2 * squared + activationSums[c] * squared * gradient + 1e-7)
                        weights[c] += alpha * Swift.max(gradient, 0)
                    }
                }
            }
            var coarse = [Float](repeating: 0, count: cells)
            for cell in 0..<cells {
                var sum = 0.0
                for c in 0..<channels { sum += weights[c] * Double(a[base + cell * channels + c]) }
                coarse[cell] = Float(Swift.max(sum, 0))
            }
            var heat = try Resample.linear(coarse, shape: spatial, to: inputSpatial)
            let peak = heat.max() ?? 0
            heat = peak > 0 ? heat.map { Swift.max($0, 0) / peak } : [Float](repeating: 0, count: heat.count)
            maps.append(
                GradCAMMap(
                    layer: target.name, classIndex: chosen[n], method: method, score: classScores[n], scoreSource: source,
                    outputs: Array(outputValues[(n * outputPerSample)..<((n + 1) * outputPerSample)]),
                    channelWeights: weights.map(Float.init),
                    coarse: ImageArray(shape: spatial + [1], values: coarse),
                    heatmap: ImageArray(shape: inputSpatial + [1], values: heat)))
        }
        return maps
    }

    /// The tensor whose class entries are differentiated, and what it is.
    private func scoreTensor(
        output: Tensor, last: (layer: Layer, inputs: [Tensor], output: Tensor)?, mode: GradCAMScore
    ) throws -> (Tensor, GradCAMScoreSource) {
        guard mode == .automatic, let last, last.output === output else { return (output, .output) }
        if let dense = last.layer as? Dense, dense.activation == .softmax || dense.activation == .sigmoid {
            var logits = try Tensor.matmul(last.inputs[0], dense.kernel.value)
            if let bias = dense.bias { logits = try logits + bias.value }
            return (logits, .logit)
        }
        if let activation = last.layer as? Activation, activation.function == .softmax || activation.function == .sigmoid {
            return (last.inputs[0], .logit)
        }
        return (output, .output)
    }

    /// The default layer for `input` (found by a pass without gradients): the last layer whose
    /// feature map is at least `minimumDefaultExtent` along every spatial axis (at 224 pixels,
    /// ResNet's last block, 7x7), else the last feature map of any size.
    private func lastFeatureMapLayer(_ input: Tensor) throws -> String {
        var (found, large): (Layer?, Layer?) = (nil, nil)
        _ = try withoutGrad {
            try LayerHooks.with({ layer, _, output in
                if output.rank == input.rank {
                    found = layer
                    if output.shape.dropFirst().dropLast().allSatisfy({ $0 >= GradCAM.minimumDefaultExtent }) { large = layer }
                }
                return output
            }) { try model(input) }
        }
        if let large { return large.name }
        guard let found else {
            throw ExplainError.invalidInput(what: "Grad-CAM", reason: "no layer of '\(model.name)' outputs a feature map; name one")
        }
        return found.name
    }
}

extension GradCAM {
    /// The mean of several heat-maps of one input (for instance of several layers, as the CT
    /// paper averages maps over the frozen or the fine-tuned layers), divided by its maximum.
    /// The maps must have one shape.
    public static func average(_ maps: [GradCAMMap]) throws -> ImageArray {
        guard let first = maps.first else {
            throw ExplainError.invalidInput(what: "Grad-CAM average", reason: "needs at least one map")
        }
        var sum = [Float](repeating: 0, count: first.heatmap.values.count)
        for map in maps {
            guard map.heatmap.shape == first.heatmap.shape else {
                throw ExplainError.invalidInput(
                    what: "Grad-CAM average", reason: "maps of shapes \(first.heatmap.shape) and \(map.heatmap.shape) differ")
            }
            for (i, value) in map.heatmap.values.enumerated() { sum[i] += value }
        }
        let peak = sum.max() ?? 0
        return ImageArray(shape: first.heatmap.shape, values: peak > 0 ? sum.map { $0 / peak } : sum)
    }
}
