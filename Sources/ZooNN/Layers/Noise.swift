// The regularization layers that act in training only: at inference each is the identity.
import ZooCore
import ZooTensor

/// Keras `SpatialDropout2D/3D`: in training, whole channels of each sample dropped with
/// probability `rate` (the rest scaled by 1 / (1 - rate)), as dropout for feature maps whose
/// neighbouring pixels are correlated.
public final class SpatialDropout: Layer, RandomizedLayer {
    public let rate: Float
    public let spatialDims: Int
    public var random: RandomGenerator

    public init(rate: Float, spatialDims: Int, name: String? = nil) {
        self.rate = rate
        self.spatialDims = spatialDims
        random = RandomGenerator(seed: BuildContext.nextSeed())
        super.init(named: name ?? BuildContext.automaticName("spatial_dropout\(spatialDims)d"))
    }

    public override var kerasClassName: String { "SpatialDropout\(spatialDims)D" }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: spatialDims, channels: nil)
        return shape
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard isTraining, rate > 0 else { return x }
        let (batch, channels) = (x.shape[0], x.shape[x.rank - 1])
        let keep = 1 - rate
        let mask = (0..<(batch * channels)).map { _ in random.nextUnit() < keep ? 1 / keep : 0 }
        let shape = [batch] + [Int](repeating: 1, count: x.rank - 2) + [channels]
        return try x * Tensor(shape: shape, scalars: mask)
    }
}

/// Keras `GaussianNoise`: in training, zero-mean normal noise of deviation `stddev` added.
public final class GaussianNoise: Layer, RandomizedLayer {
    public let stddev: Float
    public var random: RandomGenerator

    public init(stddev: Float, name: String? = nil) {
        self.stddev = stddev
        random = RandomGenerator(seed: BuildContext.nextSeed())
        super.init(named: name ?? BuildContext.automaticName("gaussian_noise"))
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] { shape }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard isTraining, stddev > 0 else { return x }
        return try x + Tensor.randomNormal(x.shape, mean: 0, stddev: stddev, using: &random)
    }
}

/// Keras `GaussianDropout`: in training, multiplied by normal noise of mean 1 and deviation
/// sqrt(rate / (1 - rate)).
public final class GaussianDropout: Layer, RandomizedLayer {
    public let rate: Float
    public var random: RandomGenerator

    public init(rate: Float, name: String? = nil) {
        self.rate = rate
        random = RandomGenerator(seed: BuildContext.nextSeed())
        super.init(named: name ?? BuildContext.automaticName("gaussian_dropout"))
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] { shape }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard isTraining, rate > 0, rate < 1 else { return x }
        return try x * Tensor.randomNormal(x.shape, mean: 1, stddev: (rate / (1 - rate)).squareRoot(), using: &random)
    }
}
