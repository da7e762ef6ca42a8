// Hausdorff distance between the surfaces of two masks, in physical units, with MONAI's
// `compute_hausdorff_distance(percentile=95, directed=False)` semantics:
// - the surface of a mask is its voxels that have a face neighbour (6 in 3D, 4 in 2D) outside
//   the mask or outside the image (MONAI: mask XOR binary erosion with scipy's default cross
//   structuring element and border value 0);
// - each surface voxel of one mask gets its Euclidean distance (voxel centres scaled by the
//   spacing) to the nearest surface voxel of the other;
// - the percentile of each directed set uses linear interpolation (NumPy's default), and the
//   result is the larger of the two directed percentiles.
// Distances are found by brute force over the surface points, O(|A| |B|). That is exact and
// simple, and quick for the modest sizes of evaluation (tens of thousands of surface voxels);
// a Euclidean distance transform would be the next step for whole-organ masks at full size.

/// Surface distances between masks.
public enum SurfaceDistance {
    /// Physical coordinates (mm) of the surface voxels of `mask`.
    static func surfacePoints(_ mask: [Bool], shape: [Int], spacing: [Double]) -> [SIMD3<Double>] {
        let (d, h, w) = shape.count == 3 ? (shape[0], shape[1], shape[2]) : (1, shape[0], shape[1])
        let s =
            shape.count == 3
            ? SIMD3(spacing[0], spacing[1], spacing[2]) : SIMD3(0, spacing[0], spacing[1])
        let is3D = shape.count == 3
        func inside(_ z: Int, _ y: Int, _ x: Int) -> Bool {
            z >= 0 && z < d && y >= 0 && y < h && x >= 0 && x < w && mask[(z * h + y) * w + x]
        }
        var points = [SIMD3<Double>]()
        for z in 0..<d {
            for y in 0..<h {
                for x in 0..<w where mask[(z * h + y) * w + x] {
                    let interior =
                        inside(z, y - 1, x) && inside(z, y + 1, x) && inside(z, y, x - 1)
                        && inside(z, y, x + 1)
                        && (!is3D || (inside(z - 1, y, x) && inside(z + 1, y, x)))
                    if !interior { points.append(SIMD3(Double(z), Double(y), Double(x)) * s) }
                }
            }
        }
        return points
    }

    /// For each point of `from`, the distance to the nearest point of `to`.
    static func directedDistances(from: [SIMD3<Double>], to: [SIMD3<Double>]) -> [Double] {
        from.map { p in
            var best = Double.infinity
            for q in to {
                let delta = p - q
                let squared = (delta * delta).sum()
                if squared < best { best = squared }
            }
            return best.squareRoot()
        }
    }

    /// The symmetric percentile Hausdorff distance in mm (percentile 100 is the classical
    /// Hausdorff distance); nil when either mask is empty (MONAI returns NaN or inf there).
    public static func hausdorff(
        _ prediction: [Bool], _ reference: [Bool], shape: [Int], spacing: [Double],
        percentile: Double = 95
    ) -> Double? {
        let a = surfacePoints(prediction, shape: shape, spacing: spacing)
        let b = surfacePoints(reference, shape: shape, spacing: spacing)
        guard !a.isEmpty, !b.isEmpty else { return nil }
        let p = min(max(percentile, 0), 100) / 100
        let forward = quantile(sorted: directedDistances(from: a, to: b).sorted(), p)
        let backward = quantile(sorted: directedDistances(from: b, to: a).sorted(), p)
        return max(forward, backward)
    }

    /// The symmetric percentile Hausdorff distance between two label maps (foreground, or one
    /// class), checking shape and spacing.
    public static func hausdorff(
        prediction: LabelMap, reference: LabelMap, label: Int? = nil, percentile: Double = 95
    ) throws -> Double? {
        try prediction.requireCompatible(reference, "prediction and reference")
        guard (0...100).contains(percentile) else {
            throw MetricsError.outOfRange(
                what: "Hausdorff percentile", value: percentile, range: "0...100")
        }
        return hausdorff(
            prediction.mask(label), reference.mask(label), shape: prediction.shape,
            spacing: prediction.spacing, percentile: percentile)
    }
}
