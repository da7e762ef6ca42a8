import Foundation

/// A seeded generator (xoshiro256**, seeded through SplitMix64): the same seed gives the same
/// stream on every machine. Its `state` can be saved and restored to resume a run exactly.
public struct RandomGenerator: RandomNumberGenerator {
    /// The four words of xoshiro256** state.
    public var state: [UInt64]

    public init(seed: UInt64) {
        var mix = seed
        state = (0..<4).map { _ in
            mix &+= 0x9E37_79B9_7F4A_7C15
            var z = mix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Restores a generator from a saved `state`.
    public init(state: [UInt64]) throws {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else {
            throw TensorError("RandomGenerator", "state must be four words, not all zero; got \(state)")
        }
        self.state = state
    }

    public mutating func next() -> UInt64 {
        let result = rotate(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotate(state[3], 45)
        return result
    }

    @inline(__always) private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextUnit() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform in [low, high).
    public mutating func nextUniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * nextUnit() }

    /// Standard normal, by the Box-Muller transform (one draw per two uniforms, so that the
    /// four words of `state` are the whole state).
    public mutating func nextNormal() -> Float {
        var u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let radius = (-2 * Foundation.log(u1)).squareRoot()
        return Float(radius * Foundation.cos(2 * Double.pi * u2))
    }

    /// Normal with the given mean and deviation, redrawn beyond two deviations (Keras's
    /// `TruncatedNormal`).
    public mutating func nextTruncatedNormal(mean: Float = 0, stddev: Float) -> Float {
        while true {
            let z = nextNormal()
            if abs(z) <= 2 { return mean + stddev * z }
        }
    }

    /// An integer in `0..<bound`.
    public mutating func nextInt(below bound: Int) -> Int { Int(next(upperBound: UInt64(bound))) }
}

/// How a weight tensor is filled when a layer is built, with Keras's formulas.
public enum Initializer: Equatable, Sendable {
    case zeros
    case ones
    case constant(Float)
    case uniform(low: Float, high: Float)
    case normal(mean: Float, stddev: Float)
    /// Keras `GlorotUniform`: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)).
    case glorotUniform
    /// Keras `GlorotNormal`: truncated normal, stddev sqrt(2 / (fanIn + fanOut)) / 0.8796.
    case glorotNormal
    /// Keras `HeNormal`: truncated normal, stddev sqrt(2 / fanIn) / 0.8796.
    case heNormal
    /// Keras `HeUniform`: U(-l, l) with l = sqrt(6 / fanIn).
    case heUniform
    /// PyTorch's default for convolutions and linear layers (kaiming_uniform with a = sqrt(5)):
    /// U(-l, l) with l = 1 / sqrt(fanIn).
    case torchDefault

    /// Keras's correction that gives a normal truncated at two deviations the wanted variance.
    static let truncationCorrection: Float = 0.879_625_661_034_239_78

    /// Fan-in and fan-out as Keras computes them: for a kernel of shape
    /// (spatial..., in, out) they are in and out times the receptive field.
    public static func fans(_ shape: [Int]) -> (fanIn: Float, fanOut: Float) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (Float(shape[0]), Float(shape[0]))
        case 2: return (Float(shape[0]), Float(shape[1]))
        default:
            let receptive = shape.dropLast(2).reduce(1, *)
            return (Float(shape[shape.count - 2] * receptive), Float(shape[shape.count - 1] * receptive))
        }
    }

    /// A new tensor of `shape` drawn from this initializer.
    public func make(_ shape: [Int], using random: inout RandomGenerator) -> Tensor {
        let tensor = Tensor(zeros: shape)
        let (fanIn, fanOut) = Initializer.fans(shape)
        tensor.withUnsafeMutableBufferPointer { values in
            func fill(_ draw: (inout RandomGenerator) -> Float) {
                for i in values.indices { values[i] = draw(&random) }
            }
            switch self {
            case .zeros: break
            case .ones: fill { _ in 1 }
            case .constant(let value): fill { _ in value }
            case .uniform(let low, let high): fill { $0.nextUniform(low, high) }
            case .normal(let mean, let stddev): fill { mean + stddev * $0.nextNormal() }
            case .glorotUniform:
                let limit = (6 / max(1, fanIn + fanOut)).squareRoot()
                fill { $0.nextUniform(-limit, limit) }
            case .glorotNormal:
                let stddev = (2 / max(1, fanIn + fanOut)).squareRoot() / Initializer.truncationCorrection
                fill { $0.nextTruncatedNormal(stddev: stddev) }
            case .heNormal:
                let stddev = (2 / max(1, fanIn)).squareRoot() / Initializer.truncationCorrection
                fill { $0.nextTruncatedNormal(stddev: stddev) }
            case .heUniform:
                let limit = (6 / max(1, fanIn)).squareRoot()
                fill { $0.nextUniform(-limit, limit) }
            case .torchDefault:
                let limit = 1 / max(1, fanIn).squareRoot()
                fill { $0.nextUniform(-limit, limit) }
            }
        }
        return tensor
    }
}

extension Tensor {
    /// Standard-normal samples scaled by `stddev` and shifted by `mean`.
    public static func randomNormal(
        _ shape: [Int], mean: Float = 0, stddev: Float = 1, using random: inout RandomGenerator
    ) -> Tensor {
        Initializer.normal(mean: mean, stddev: stddev).make(shape, using: &random)
    }

    /// Uniform samples in [low, high).
    public static func randomUniform(
        _ shape: [Int], low: Float = 0, high: Float = 1, using random: inout RandomGenerator
    ) -> Tensor {
        Initializer.uniform(low: low, high: high).make(shape, using: &random)
    }

    /// Bernoulli samples: 1 with probability `probability`, else 0.
    public static func randomBernoulli(
        _ shape: [Int], probability: Float, using random: inout RandomGenerator
    ) -> Tensor {
        let tensor = Tensor(zeros: shape)
        tensor.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] = random.nextUnit() < probability ? 1 : 0 }
        }
        return tensor
    }
}
