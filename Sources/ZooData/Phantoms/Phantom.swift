import ZooCore
import ZooTensor

/// A procedural dataset: sample `index` is generated from (seed, index) alone, so a phantom
/// dataset is random-access, reproducible and costs no storage.
public protocol PhantomDataset: Dataset {
    /// The seed every sample derives from.
    var seed: UInt64 { get }
}

extension PhantomDataset {
    /// The generator of sample `index`'s content.
    func generator(_ index: Int, _ stream: UInt64 = 0) -> RandomGenerator {
        RandomGenerator(seed: SeedMix.mix(seed, UInt64(index), stream))
    }

    /// A label drawn with probability `positive` of class 1, from its own stream so that
    /// `info(at:)` needs no image.
    func drawLabel(_ key: Int, positive: Float) -> Int {
        var random = RandomGenerator(seed: SeedMix.mix(seed, UInt64(key), 0x4C41_4245))
        return random.nextUnit() < positive ? 1 : 0
    }
}

/// Where phantom CT values go: Hounsfield units, or 0-255 through a window (like the PNG
/// exports that the papers' 2D data came as).
public enum CTIntensity: Sendable, Equatable {
    case hounsfield
    case display(center: Float, width: Float)

    /// The lung window, center -600 HU, width 1500 HU.
    public static let lungWindow = CTIntensity.display(center: -600, width: 1500)

    func apply(_ values: [Float]) -> [Float] {
        switch self {
        case .hounsfield: return values
        case .display(let center, let width): return Display.window(values, center: center, width: width)
        }
    }
}
