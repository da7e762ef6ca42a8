import ZooCore
import ZooTensor

/// Soft Dice loss with MONAI's `DiceLoss` semantics, channels-last: logits (N, spatial..., C)
/// through a softmax (or a sigmoid for one channel), targets as class indices or one-hot.
/// Per sample and class, `1 - (2 * sum(p * t) + smooth) / (sum(p) + sum(t) + smooth)`
/// (smoothing 1e-5 on both sides, MONAI's `smooth_nr`/`smooth_dr`), then averaged over classes
/// and samples; `batch` sums over the batch before the ratio, as MONAI's `batch=True`.
/// Without the background, class 0 is left out after the softmax. An `ignore` mask
/// (N, spatial...) of zeros and ones removes positions from both sums.
public struct DiceLoss: Loss {
    public let includeBackground: Bool
    public let smooth: Float
    public let batch: Bool
    /// Per-class weights of the per-class losses (after dropping the background).
    public let classWeights: [Float]?
    public var ignore: Tensor?

    public init(includeBackground: Bool = true, smooth: Float = 1e-5, batch: Bool = false, classWeights: [Float]? = nil) {
        self.includeBackground = includeBackground
        self.smooth = smooth
        self.batch = batch
        self.classWeights = classWeights
    }

    /// The per-class Dice losses: shape (N, classes) or (classes) with `batch`.
    public func perClass(_ logits: Tensor, _ targets: Tensor) throws -> Tensor {
        guard logits.rank >= 3, let channels = logits.shape.last else {
            throw TrainingError("DiceLoss", "logits must be (batch, spatial..., classes), got \(logits.shape)")
        }
        guard targets.shape.first == logits.shape.first else {
            throw TrainingError("DiceLoss", "batch sizes differ: logits \(logits.shape), targets \(targets.shape)")
        }
        var probabilities: Tensor
        var onehot: Tensor
        if channels == 1 {
            probabilities = logits.sigmoid()
            onehot = try targets.reshaped(logits.shape)
        } else {
            probabilities = try logits.softmax()
            onehot = try classTargets(logits, targets, loss: "DiceLoss").soft
        }
        if let ignore {
            guard ignore.count * channels == logits.count else {
                throw TrainingError("DiceLoss", "ignore mask \(ignore.shape) does not fit logits \(logits.shape)")
            }
            let mask = try ignore.reshaped(Array(logits.shape.dropLast()) + [1])
            probabilities = try probabilities * mask
            onehot = try onehot * mask
        }
        if !includeBackground && channels > 1 {
            let ranges = logits.shape.enumerated().map { $0.offset == logits.rank - 1 ? 1..<$0.element : 0..<$0.element }
            probabilities = try probabilities.sliced(ranges)
            onehot = try onehot.sliced(ranges)
        }
        let classCount = probabilities.shape.last!
        try checkClassWeights(classWeights, classes: classCount, loss: "DiceLoss")
        // Sum over space (and the batch when `batch`): (N, C) or (C).
        let batchCount = logits.shape[0]
        let p = try probabilities.reshaped([batchCount, -1, classCount])
        let t = try onehot.reshaped([batchCount, -1, classCount])
        let axes = batch ? [0, 1] : [1]
        let intersection = try (p * t).sum(axes: axes)
        let denominator = try p.sum(axes: axes) + t.sum(axes: axes)
        var loss = try 1 - (intersection * 2 + smooth) / (denominator + smooth)
        if let classWeights { loss = try loss * Tensor(shape: [classCount], scalars: classWeights) }
        return loss
    }

    public func callAsFunction(_ logits: Tensor, _ targets: Tensor) throws -> Tensor {
        try perClass(logits, targets).mean()
    }
}

/// MONAI's `DiceCELoss`: `lambdaDice * Dice + lambdaCE * CE`. The background choice applies to
/// the Dice term only; the cross-entropy runs on the raw logits over every class, averaged
/// over positions as PyTorch averages (divided by the sum of the target weights).
public struct DiceCELoss: Loss {
    public let dice: DiceLoss
    public let crossEntropy: SoftmaxCrossEntropy
    public let lambdaDice: Float
    public let lambdaCE: Float
    /// Pixels labelled with this class index count in neither term (weight 0).
    public let ignoreLabel: Int?

    public init(
        includeBackground: Bool = true, lambdaDice: Float = 1, lambdaCE: Float = 1, classWeights: [Float]? = nil, batch: Bool = false,
        ignoreLabel: Int? = nil
    ) throws {
        guard lambdaDice >= 0, lambdaCE >= 0, lambdaDice + lambdaCE > 0 else {
            throw TrainingError("DiceCELoss", "lambdas must not be negative and not both zero, got \(lambdaDice) and \(lambdaCE)")
        }
        let diceWeights = classWeights.map { includeBackground ? $0 : Array($0.dropFirst()) }
        dice = DiceLoss(includeBackground: includeBackground, batch: batch, classWeights: diceWeights)
        var crossEntropy = try SoftmaxCrossEntropy(classWeights: classWeights, weightedMean: .sumOfWeights)
        crossEntropy.ignoreLabel = ignoreLabel
        self.crossEntropy = crossEntropy
        self.lambdaDice = lambdaDice
        self.lambdaCE = lambdaCE
        self.ignoreLabel = ignoreLabel
    }

    public func callAsFunction(_ logits: Tensor, _ targets: Tensor) throws -> Tensor {
        guard let ignoreLabel, targets.shape != logits.shape else {
            return try dice(logits, targets) * lambdaDice + crossEntropy(logits, targets) * lambdaCE
        }
        let (cleaned, keep) = try withoutIgnored(targets, ignoreLabel: ignoreLabel)
        var dice = self.dice
        dice.ignore = try Tensor(shape: [keep.count], scalars: keep)
        return try dice(logits, cleaned) * lambdaDice + crossEntropy(logits, targets) * lambdaCE
    }
}
