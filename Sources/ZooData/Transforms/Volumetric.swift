import ZooCore
import ZooTensor

/// Flips each of the given spatial axes independently with `probability` (3D or 2D).
public struct RandomFlip3D: SampleTransform {
    public var axes: [Int]
    public var probability: Float
    public init(axes: [Int] = [0, 1, 2], probability: Float = 0.5) {
        self.axes = axes
        self.probability = probability
    }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        var result = sample
        for axis in axes {
            guard axis >= 0, axis < sample.image.spatialRank else {
                throw DataError("random_flip_3d", "axis \(axis) does not exist in shape \(sample.image.shape)")
            }
            if random.nextUnit() < probability {
                result = result.mapGeometry { image, _ in Grid.flip(image, axis: axis) }
            }
        }
        return result
    }
}

/// With `probability`, rotates by 1, 2 or 3 quarter turns in the plane of two spatial axes
/// (MONAI's `RandRotate90`). Unequal extents in the plane swap.
public struct RandomRotate90: SampleTransform {
    public var axes: (Int, Int)
    public var probability: Float
    public init(axes: (Int, Int) = (1, 2), probability: Float = 0.5) {
        self.axes = axes
        self.probability = probability
    }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        let rank = sample.image.spatialRank
        guard axes.0 != axes.1, [axes.0, axes.1].allSatisfy({ $0 >= 0 && $0 < rank }) else {
            throw DataError("random_rotate90", "axes \(axes) do not fit shape \(sample.image.shape)")
        }
        let rotate = random.nextUnit() < probability
        let turns = 1 + random.nextInt(below: 3)
        guard rotate else { return sample }
        return sample.mapGeometry { image, _ in Grid.rotate90(image, quarterTurns: turns, axes: axes.0, axes.1) }
    }
}

/// A window of `size` centred on a foreground voxel (mask > 0) with probability
/// positive / (positive + negative), else on a background voxel, as MONAI's
/// `RandCropByPosNegLabel`: centres are moved inward so the window fits, and when the mask
/// has no foreground (or no background) the other kind is used. The loader's
/// `samplesPerItem` draws several windows from one decoded volume.
public struct RandomCropByPosNegLabel: SampleTransform {
    public var size: [Int]
    public var positive: Float, negative: Float
    public init(size: [Int], positive: Float = 1, negative: Float = 1) {
        self.size = size
        self.positive = positive
        self.negative = negative
    }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        try checkRank(size, sample.image, "random_crop_pos_neg")
        guard let mask = sample.mask else {
            throw DataError("random_crop_pos_neg", "sample '\(sample.id)' has no mask")
        }
        let wantPositive = random.nextUnit() * (positive + negative) < positive
        var foreground = 0
        mask.values.withUnsafeBufferPointer { m in for v in m where v > 0 { foreground += 1 } }
        let background = mask.values.count - foreground
        let usePositive = foreground == 0 ? false : background == 0 ? true : wantPositive
        let pick = random.nextInt(below: Swift.max(1, usePositive ? foreground : background))
        var flat = 0
        mask.values.withUnsafeBufferPointer { m in
            var seen = 0
            for i in 0..<m.count where (m[i] > 0) == usePositive {
                if seen == pick { flat = i; break }
                seen += 1
            }
        }
        let spatial = sample.image.spatialShape
        var centre = [Int](repeating: 0, count: spatial.count)
        var rest = flat
        for axis in stride(from: spatial.count - 1, through: 0, by: -1) {
            centre[axis] = rest % spatial[axis]
            rest /= spatial[axis]
        }
        let origin = (0..<spatial.count).map { axis -> Int in
            let start = centre[axis] - size[axis] / 2
            // Inward, so the window lies inside the image when it can.
            return spatial[axis] >= size[axis]
                ? Swift.min(Swift.max(0, start), spatial[axis] - size[axis]) : (spatial[axis] - size[axis]) / 2
        }
        return sample.mapGeometry { image, _ in Grid.window(image, origin: origin, size: size, fill: 0) }
    }
}

/// Crops to the bounding box of the mask's foreground plus `margin` cells on every side
/// (one value for all axes, or one per axis), clipped to the image: the parotid study's ROI
/// crop. A sample without foreground is left whole.
public struct ROICrop: SampleTransform {
    public var margin: [Int]
    public init(margin: [Int] = [0]) { self.margin = margin }
    public func apply(_ sample: Sample, random: inout RandomGenerator) throws -> Sample {
        guard let mask = sample.mask else { throw DataError("roi_crop", "sample '\(sample.id)' has no mask") }
        guard let box = BoundingBox.of(mask) else { return sample }
        let rank = mask.spatialRank
        guard margin.count == 1 || margin.count == rank else {
            throw DataError("roi_crop", "margin \(margin) needs 1 or \(rank) values")
        }
        let spatial = mask.spatialShape
        var origin = [Int](), size = [Int]()
        for axis in 0..<rank {
            let m = margin.count == 1 ? margin[0] : margin[axis]
            let low = Swift.max(0, box.low[axis] - m), high = Swift.min(spatial[axis], box.high[axis] + m)
            origin.append(low)
            size.append(high - low)
        }
        return sample.mapGeometry { image, _ in Grid.window(image, origin: origin, size: size, fill: 0) }
    }
}

/// The extent of a mask's foreground.
public struct BoundingBox: Equatable, Sendable {
    /// First foreground index per spatial axis.
    public var low: [Int]
    /// One past the last foreground index per spatial axis.
    public var high: [Int]

    /// The box of all cells > 0, or nil when there are none.
    public static func of(_ mask: ImageArray) -> BoundingBox? {
        let (d, h, w, c) = Grid.dims(mask.shape)
        var low = [Int.max, Int.max, Int.max], high = [-1, -1, -1]
        mask.values.withUnsafeBufferPointer { m in
            var i = 0
            for z in 0..<d {
                for y in 0..<h {
                    for x in 0..<w {
                        if m[i] > 0 {
                            low[0] = Swift.min(low[0], z); high[0] = Swift.max(high[0], z)
                            low[1] = Swift.min(low[1], y); high[1] = Swift.max(high[1], y)
                            low[2] = Swift.min(low[2], x); high[2] = Swift.max(high[2], x)
                        }
                        i += c
                    }
                }
            }
        }
        guard high[0] >= 0 else { return nil }
        let skip = mask.isVolume ? 0 : 1
        return BoundingBox(low: Array(low[skip...]), high: high[skip...].map { $0 + 1 })
    }
}
