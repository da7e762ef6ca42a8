import ZooCore
import ZooTensor

/// A step of a data pipeline: a sample in, a sample out. Random transforms draw only from
/// the generator they are handed, so the loader can make every sample's augmentation depend
/// on (seed, epoch, index) alone. Geometric transforms move the mask with the image (by
/// nearest interpolation, so class indices stay class indices).
public protocol SampleTransform {
    /// Transforms `sample`, drawing any randomness from `random`.
    func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample
}

/// Transforms applied in order.
public struct Compose: SampleTransform {
    /// The steps.
    public var transforms: [SampleTransform]

    public init(_ transforms: [SampleTransform]) { self.transforms = transforms }

    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        var current = sample
        for transform in transforms { current = try transform.apply(current, random: &random) }
        return current
    }
}

extension Sample {
    /// The sample with `geometry` applied to the image (linear or as the transform chose)
    /// and to the mask (always nearest). The grid's place in the patient is dropped: a crop,
    /// flip or warp moves voxels in ways the affine does not follow (`resized` recomputes it).
    func mapGeometry(_ geometry: (ImageArray, _ isMask: Bool) throws -> ImageArray) rethrows -> Sample {
        var result = self
        result.image = try geometry(image, false)
        if let mask { result.mask = try geometry(mask, true) }
        result.geometry = nil
        return result
    }

    /// The sample resized to `size` by `resize` (image; mask by nearest), its voxel spacing
    /// scaled with it: the same millimetres over fewer or more voxels, so volumes and distances
    /// stay in mm after resizing.
    func resized(to size: [Int], _ resize: (ImageArray, _ isMask: Bool) throws -> ImageArray) rethrows -> Sample {
        var result = try mapGeometry(resize)
        if let spacing, spacing.count == size.count {
            result.spacing = zip(zip(spacing, image.spatialShape), size).map { pair, new in pair.0 * Float(pair.1) / Float(new) }
        }
        if let geometry, size.count == 3 {
            // Half-pixel centres: new voxel t of axis a sits at old index (t + 0.5) r - 0.5,
            // r = old extent / new extent (sizes are k, j, i; the affine's columns i, j, k).
            var transform = [Double](repeating: 0, count: 16)
            transform[15] = 1
            for (axis, (old, new)) in zip(image.spatialShape, size).reversed().enumerated() {
                let ratio = Double(old) / Double(new)
                transform[5 * axis] = ratio
                transform[4 * axis + 3] = 0.5 * ratio - 0.5
            }
            result.geometry = geometry.composed(with: transform)
        }
        return result
    }
}
