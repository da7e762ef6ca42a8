// The input of the segmentation and detection metrics: a flat label array in row-major order
// ([D, H, W] for a volume, [H, W] for an image) with the physical voxel spacing in mm.

/// A segmentation label map (0 is background) with its shape and voxel spacing.
public struct LabelMap: Sendable, Equatable {
    /// One label per voxel, row-major (the last axis varies fastest).
    public let labels: [Int]
    /// [D, H, W] or [H, W].
    public let shape: [Int]
    /// Voxel size in mm along each axis of `shape` (for [D, H, W]: slice spacing, row, column).
    public let spacing: [Double]

    /// Validates rank (2 or 3), positive sizes, element count and positive finite spacing.
    public init(labels: [Int], shape: [Int], spacing: [Double]? = nil) throws {
        guard shape.count == 2 || shape.count == 3 else {
            throw MetricsError.invalidShape(
                what: "label map", reason: "shape \(shape) is not [H, W] or [D, H, W]")
        }
        guard shape.allSatisfy({ $0 > 0 }) else {
            throw MetricsError.invalidShape(
                what: "label map", reason: "shape \(shape) has a non-positive size")
        }
        try requireLength(labels.count, shape.reduce(1, *), "label map elements and shape \(shape)")
        let spacing = spacing ?? Array(repeating: 1, count: shape.count)
        guard spacing.count == shape.count else {
            throw MetricsError.invalidShape(
                what: "voxel spacing",
                reason: "\(spacing.count) values for a shape of rank \(shape.count)")
        }
        guard spacing.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw MetricsError.invalidShape(
                what: "voxel spacing", reason: "\(spacing) must be positive and finite")
        }
        self.labels = labels
        self.shape = shape
        self.spacing = spacing
    }

    /// A binary mask given as booleans.
    public init(mask: [Bool], shape: [Int], spacing: [Double]? = nil) throws {
        try self.init(labels: mask.map { $0 ? 1 : 0 }, shape: shape, spacing: spacing)
    }

    /// Volume of one voxel in millilitres (spacing in mm; 1 mL = 1000 mm^3). Meant for 3D
    /// maps; for a 2D map use `voxelMeasure`, the pixel area in mm^2.
    public var voxelVolumeML: Double { voxelMeasure / 1000 }

    /// Product of the spacing (mm^3 per voxel in 3D, mm^2 per pixel in 2D).
    public var voxelMeasure: Double { spacing.reduce(1, *) }

    /// `true` where the label equals `label`, or where it is non-zero when `label` is nil.
    public func mask(_ label: Int? = nil) -> [Bool] {
        if let label { return labels.map { $0 == label } }
        return labels.map { $0 != 0 }
    }

    /// Throws unless `other` has the same shape and spacing.
    func requireCompatible(_ other: LabelMap, _ what: String) throws {
        guard shape == other.shape else {
            throw MetricsError.shapeMismatch(what: what, expected: shape, actual: other.shape)
        }
        guard zip(spacing, other.spacing).allSatisfy({ abs($0 - $1) <= 1e-6 * max($0, $1) }) else {
            throw MetricsError.invalidShape(
                what: what, reason: "voxel spacings differ (\(spacing) vs \(other.spacing))")
        }
    }

    /// `shape` padded to three axes ([1, H, W] for a 2D map), for code that walks volumes.
    var volumeShape: (d: Int, h: Int, w: Int) {
        shape.count == 3 ? (shape[0], shape[1], shape[2]) : (1, shape[0], shape[1])
    }
}
