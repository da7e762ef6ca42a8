import ZooCore
import ZooTensor

/// Resamples a volume (or image) to a target voxel spacing in mm (MONAI's `Spacing`), so that
/// a network sees the same millimetres per voxel whatever the scanner: each axis of n voxels of
/// s mm becomes round(n s / s') voxels, trilinear for the image (or nearest), nearest for the
/// mask. The volume's extent is kept (half-pixel centres, like `resize`), so the spacing
/// reached is n s / n', the target rounded to a whole number of voxels.
public struct Respacing: SampleTransform {
    /// Target spacing per spatial axis: [dz, dy, dx] for volumes, [dy, dx] for images.
    public var pixdim: [Float]
    public var interpolation: Interpolation

    public init(pixdim: [Float], interpolation: Interpolation = .linear) {
        self.pixdim = pixdim
        self.interpolation = interpolation
    }

    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        guard let spacing = sample.spacing else {
            throw DataError(sample.info.path ?? sample.id, "transform 'spacing': the sample has no voxel spacing (NIfTI and DICOM sources give it)")
        }
        guard pixdim.count == spacing.count, pixdim.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw DataError("transform 'spacing'", "pixdim \(pixdim) must give \(spacing.count) positive spacings for \(sample.info.path ?? sample.id) (spacing \(spacing))")
        }
        let size = zip(zip(sample.image.spatialShape, spacing), pixdim).map { pair, target in
            max(1, Int((Float(pair.0) * pair.1 / target).rounded()))
        }
        guard size != sample.image.spatialShape else { return sample }
        return sample.resized(to: size) { image, isMask in
            Grid.resize(image, to: size, linear: !isMask && interpolation == .linear)
        }
    }
}
