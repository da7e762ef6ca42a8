import Foundation

/// Where a volume's voxels lie in the patient: the affine from a voxel index (i, j, k), with
/// i along the width, j the height and k the depth of Zoo's DHWC layout, to millimetres in
/// RAS+ as NIfTI and nibabel use it: x grows to the patient's Right, y to the Anterior, z to
/// the Superior. NIfTI's sform and qform are RAS already; DICOM's patient space is LPS, negated
/// in x and y on the way in.
public struct VolumeGeometry: Sendable, Equatable, Codable {
    /// The 4x4 affine, row major; the last row is 0 0 0 1.
    public var affine: [Double]

    public init(affine: [Double]) {
        precondition(affine.count == 16, "a 4x4 affine has 16 entries")
        self.affine = affine
    }

    /// Column `axis` (0 = i, 1 = j, 2 = k) of the affine's 3x3 part: one step along that voxel
    /// axis in millimetres.
    public func step(_ axis: Int) -> [Double] { (0..<3).map { affine[4 * $0 + axis] } }

    /// The voxel sizes along depth, height and width (the lengths of the k, j and i steps), as
    /// `Sample.spacing` orders them.
    public var spacing: [Double] {
        [2, 1, 0].map { axis in sqrt(step(axis).reduce(0) { $0 + $1 * $1 }) }
    }

    /// The determinant of the 3x3 part; zero when the affine maps the grid onto a plane.
    public var determinant: Double {
        let a = affine
        return a[0] * (a[5] * a[10] - a[6] * a[9]) - a[1] * (a[4] * a[10] - a[6] * a[8]) + a[2] * (a[4] * a[9] - a[5] * a[8])
    }

    /// The affine that maps voxel indices of a grid derived from this one through
    /// `index = transform * newIndex` (4x4, row major) to millimetres: self x transform.
    public func composed(with transform: [Double]) -> VolumeGeometry {
        var out = [Double](repeating: 0, count: 16)
        for r in 0..<4 {
            for c in 0..<4 { out[4 * r + c] = (0..<4).reduce(0) { $0 + affine[4 * r + $1] * transform[4 * $1 + c] } }
        }
        return VolumeGeometry(affine: out)
    }

    /// The largest absolute difference between the two affines' entries.
    public func distance(to other: VolumeGeometry) -> Double {
        zip(affine, other.affine).map { abs($0 - $1) }.max() ?? 0
    }
}
