import ZooCore
import ZooTensor

/// How a weighted loss is averaged.
public enum WeightedMean: String, Sendable {
    /// Keras: sum of weighted losses divided by the number of samples (positions), so class
    /// weights also scale the loss.
    case batchSize
    /// PyTorch `CrossEntropyLoss(weight=...)`: divided by the sum of the weights.
    case sumOfWeights
}

/// Reads targets as class indices, per position: either one value per position (the logits'
/// shape without the class axis) or one-hot/probabilities (the logits' shape).
func classTargets(_ logits: Tensor, _ targets: Tensor, loss: String) throws -> (soft: Tensor, classes: [Int]) {
    let classCount = logits.shape.last ?? 0
    let positions = logits.count / Swift.max(classCount, 1)
    if targets.shape == logits.shape {
        return (targets, try targets.argmax(axis: -1))
    }
    let labelShapes = [Array(logits.shape.dropLast()), Array(logits.shape.dropLast()) + [1]]
    guard labelShapes.contains(targets.shape) else {
        throw TrainingError(loss, "logits \(logits.shape) and targets \(targets.shape) do not match: targets must be class indices \(labelShapes[0]) or one-hot \(logits.shape)")
    }
    let labels = targets.scalars
    var oneHot = [Float](repeating: 0, count: positions * classCount)
    var classes = [Int](repeating: 0, count: positions)
    for (i, label) in labels.enumerated() {
        let c = Int(label)
        guard Float(c) == label, c >= 0, c < classCount else {
            throw TrainingError(loss, "target \(label) at position \(i) is not a class index in 0..<\(classCount)")
        }
        oneHot[i * classCount + c] = 1
        classes[i] = c
    }
    return (try Tensor(shape: logits.shape, scalars: oneHot), classes)
}

/// Class-index targets with the positions labelled `ignoreLabel` set to class 0, and a 0/1
/// mask (1: kept) over the positions: unlabelled pixels that a loss must not count (PyTorch's
/// `ignore_index`).
func withoutIgnored(_ targets: Tensor, ignoreLabel: Int) throws -> (targets: Tensor, keep: [Float]) {
    let labels = targets.scalars
    let keep = labels.map { Int($0) == ignoreLabel && Float(ignoreLabel) == $0 ? Float(0) : 1 }
    let cleaned = zip(labels, keep).map { $1 == 0 ? 0 : $0 }
    return (try Tensor(shape: targets.shape, scalars: cleaned), keep)
}

/// Checks a class-weight list against the number of classes.
func checkClassWeights(_ weights: [Float]?, classes: Int, loss: String) throws {
    if let weights, weights.count != classes {
        throw TrainingError(loss, "\(weights.count) class weights for \(classes) classes")
    }
}

/// Softmax cross-entropy from logits over the last axis (Keras `CategoricalCrossentropy(
/// from_logits=True)`, PyTorch `CrossEntropyLoss`), computed from log-softmax (log-sum-exp) so
/// that it is stable for any logits. Label smoothing turns a one-hot target into
/// `y * (1 - s) + s / classes`. Class weights weigh each position by its target class.
public struct SoftmaxCrossEntropy: Loss {
    public let classWeights: [Float]?
    public let labelSmoothing: Float
    public let weightedMean: WeightedMean
    /// Positions whose target is this class index weigh 0 and leave the mean (PyTorch's
    /// `ignore_index`, the parotid study's unlabelled pixels).
    public var ignoreLabel: Int?

    public init(classWeights: [Float]? = nil, labelSmoothing: Float = 0, weightedMean: WeightedMean = .batchSize) throws {
        guard labelSmoothing >= 0, labelSmoothing < 1 else {
            throw TrainingError("SoftmaxCrossEntropy", "label smoothing must lie in [0, 1), got \(labelSmoothing)")
        }
        self.classWeights = classWeights
        self.labelSmoothing = labelSmoothing
        self.weightedMean = weightedMean
    }

    public func callAsFunction(_ logits: Tensor, _ targets: Tensor) throws -> Tensor {
        guard logits.rank >= 2, let classCount = logits.shape.last, classCount >= 2 else {
            throw TrainingError("SoftmaxCrossEntropy", "logits must be (batch, ..., classes >= 2), got \(logits.shape)")
        }
        guard targets.rank >= 1, targets.shape[0] == logits.shape[0] else {
            throw TrainingError("SoftmaxCrossEntropy", "batch sizes differ: logits \(logits.shape), targets \(targets.shape)")
        }
        try checkClassWeights(classWeights, classes: classCount, loss: "SoftmaxCrossEntropy")
        var targets = targets
        var keep: [Float]?
        if let ignoreLabel, targets.shape != logits.shape { (targets, keep) = try withoutIgnored(targets, ignoreLabel: ignoreLabel) }
        let (soft, classes) = try classTargets(logits, targets, loss: "SoftmaxCrossEntropy")
        let positions = classes.count
        let counted = keep.map { $0.reduce(0, +) } ?? Float(positions)
        let weights = classes.indices.map { (classWeights?[classes[$0]] ?? 1) * (keep?[$0] ?? 1) }
        // Target distribution times the position's weight: the loss is then one product.
        var coefficients = soft.scalars
        let smoothing = labelSmoothing
        for i in 0..<positions {
            for c in 0..<classCount {
                let index = i * classCount + c
                coefficients[index] = (coefficients[index] * (1 - smoothing) + smoothing / Float(classCount)) * weights[i]
            }
        }
        let denominator = weightedMean == .batchSize ? counted : weights.reduce(0, +)
        guard denominator > 0 else { throw TrainingError("SoftmaxCrossEntropy", "the weights of the targets sum to zero (every position ignored?)") }
        let target = try Tensor(shape: logits.shape, scalars: coefficients)
        return try -(logits.logSoftmax() * target).sum() / denominator
    }
}

/// Binary cross-entropy from logits (Keras `BinaryCrossentropy(from_logits=True)`, PyTorch
/// `BCEWithLogitsLoss`): `-(p * y * log(sigmoid(x)) + (1 - y) * log(1 - sigmoid(x)))`, with
/// log-sigmoid computed as `-(max(-x, 0) + log(1 + exp(-|x|)))`, averaged over all elements.
/// `positiveWeight` (PyTorch `pos_weight`) multiplies the positive term.
public struct BinaryCrossEntropy: Loss {
    public let positiveWeight: Float

    public init(positiveWeight: Float = 1) { self.positiveWeight = positiveWeight }

    /// log(sigmoid(x)), stable for any x.
    static func logSigmoid(_ x: Tensor) throws -> Tensor {
        try -((-x).relu() + ((-x.abs()).exp() + 1).log())
    }

    public func callAsFunction(_ logits: Tensor, _ targets: Tensor) throws -> Tensor {
        guard targets.count == logits.count, targets.shape.first == logits.shape.first else {
            throw TrainingError("BinaryCrossEntropy", "logits \(logits.shape) and targets \(targets.shape) differ")
        }
        let y = try targets.reshaped(logits.shape)
        guard y.scalars.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw TrainingError("BinaryCrossEntropy", "targets must lie in [0, 1]")
        }
        let positive = try BinaryCrossEntropy.logSigmoid(logits) * y * positiveWeight
        let negative = try BinaryCrossEntropy.logSigmoid(-logits) * (1 - y)
        return try -(positive + negative).mean()
    }
}

/// Focal loss (Lin et al., 2017) over a softmax: `-alpha_c * (1 - p_t)^gamma * log(p_t)` per
/// position, averaged. `alpha` holds one weight per class (nil: all 1).
public struct FocalLoss: Loss {
    public let gamma: Float
    public let alpha: [Float]?

    public init(gamma: Float = 2, alpha: [Float]? = nil) throws {
        guard gamma >= 0 else { throw TrainingError("FocalLoss", "gamma must not be negative, got \(gamma)") }
        self.gamma = gamma
        self.alpha = alpha
    }

    public func callAsFunction(_ logits: Tensor, _ targets: Tensor) throws -> Tensor {
        guard logits.rank >= 2, let classCount = logits.shape.last, classCount >= 2,
            targets.rank >= 1, targets.shape[0] == logits.shape[0]
        else {
            throw TrainingError("FocalLoss", "logits \(logits.shape) and targets \(targets.shape) do not match")
        }
        try checkClassWeights(alpha, classes: classCount, loss: "FocalLoss")
        let (soft, classes) = try classTargets(logits, targets, loss: "FocalLoss")
        var coefficients = soft.scalars
        if let alpha {
            for i in coefficients.indices { coefficients[i] *= alpha[i % classCount] }
        }
        let logP = try logits.logSoftmax()
        let modulation = try (1 - logP.exp()).clamped(0, 1).pow(gamma)
        let target = try Tensor(shape: logits.shape, scalars: coefficients)
        return try -(modulation * logP * target).sum() / Float(classes.count)
    }
}
