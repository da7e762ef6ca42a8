import CNIfTI
import Foundation
import ZooCore

/// Reorientation of a volume to RAS+ (nibabel's `as_closest_canonical`, MONAI's
/// `Orientation(axcodes="RAS")`): the voxel axes are permuted and flipped so that i grows to the
/// Right, j to the Anterior and k to the Superior, as closely as the affine allows. Which world
/// direction each axis is closest to is nifti_clib's rule (`nifti_mat44_to_orientation`). Only
/// whole axes move: no voxel is interpolated, and the affine changes with the grid so that every
/// voxel keeps its place in the patient.
public struct Reorientation: Sendable, Equatable {
    /// For output axis w (0 = i/R, 1 = j/A, 2 = k/S): the input voxel axis (0 = i, 1 = j, 2 = k)
    /// it comes from, and whether it runs backwards.
    public let source: [Int]
    public let flipped: [Bool]

    /// The reorientation that brings `geometry` to RAS. A singular affine (no orientation) is an
    /// error naming `file`.
    public init(toCanonical geometry: VolumeGeometry, file: String) throws {
        guard abs(geometry.determinant) > 1e-12 else {
            throw DataError(file, "the affine is singular (determinant 0): the voxel axes do not span space, so no orientation can be read")
        }
        var affine = geometry.affine.map(Float.init)
        var codes: [Int32] = [0, 0, 0]
        zoo_nifti_orientation(&affine, &codes)
        var source = [Int](repeating: -1, count: 3), flipped = [Bool](repeating: false, count: 3)
        for axis in 0..<3 {
            let code = Int(codes[axis])
            guard (1...6).contains(code) else { throw DataError(file, "nifti_clib found no orientation for voxel axis \(axis)") }
            let world = (code - 1) / 2
            source[world] = axis
            flipped[world] = code % 2 == 0
        }
        guard Set(source) == [0, 1, 2] else { throw DataError(file, "the affine's axes are not distinct directions") }
        self.source = source
        self.flipped = flipped
    }

    /// Whether the volume is in RAS already.
    public var isIdentity: Bool { source == [0, 1, 2] && flipped == [false, false, false] }

    /// The reoriented volume (DHWC, spatial axes k, j, i).
    public func apply(_ image: ImageArray) -> ImageArray {
        guard !isIdentity else { return image }
        // Array axis of voxel axis a: k is array axis 0, j 1, i 2. Bring input axis source[w]
        // to array position 2 - w by transposes, then flip.
        var current = image
        var order = [2, 1, 0]  // order[p] = voxel axis at array position p
        for w in 0..<3 {
            let target = 2 - w
            let position = order.firstIndex(of: source[w])!
            if position != target {
                current = Grid.transpose(current, position, target)
                order.swapAt(position, target)
            }
        }
        for w in 0..<3 where flipped[w] { current = Grid.flip(current, axis: 2 - w) }
        return current
    }

    /// The inverse: a volume on the RAS grid back to the input's voxel order.
    public func invert(_ image: ImageArray) -> ImageArray {
        guard !isIdentity else { return image }
        var current = image
        for w in 0..<3 where flipped[w] { current = Grid.flip(current, axis: 2 - w) }
        // Array position p now holds output axis 2 - p, i.e. input voxel axis source[2 - p].
        var order = [2, 1, 0].map { source[$0] }
        for axis in [2, 1, 0] {
            let target = 2 - axis
            let position = order.firstIndex(of: axis)!
            if position != target {
                current = Grid.transpose(current, position, target)
                order.swapAt(position, target)
            }
        }
        return current
    }

    /// The spatial shape (depth, height, width) of the reoriented grid of a volume whose voxel
    /// extents are `extents` (i, j, k).
    public func canonicalShape(extents: [Int]) -> [Int] { [2, 1, 0].map { extents[source[$0]] } }

    /// The affine of the reoriented grid, given the input's and its voxel extents (i, j, k).
    public func apply(_ geometry: VolumeGeometry, extents: [Int]) -> VolumeGeometry {
        // input index = P * output index + c: input axis source[w] takes output axis w, reversed
        // when flipped.
        var transform = [Double](repeating: 0, count: 16)
        transform[15] = 1
        for w in 0..<3 {
            let axis = source[w]
            transform[4 * axis + w] = flipped[w] ? -1 : 1
            transform[4 * axis + 3] = flipped[w] ? Double(extents[axis] - 1) : 0
        }
        return geometry.composed(with: transform)
    }
}

/// A volume with its place in the patient: what the NIfTI and DICOM series readers return.
public struct OrientedVolume: Sendable {
    /// DHWC voxels; k, j, i as the geometry says.
    public var image: ImageArray
    public var geometry: VolumeGeometry

    /// (i, j, k) extents.
    public var extents: [Int] { [image.shape[2], image.shape[1], image.shape[0]] }

    /// Spacing along depth, height and width.
    public var spacing: [Float] { geometry.spacing.map(Float.init) }

    /// This volume in RAS (see `Reorientation`), with the reorientation applied.
    public func canonical(file: String) throws -> (volume: OrientedVolume, reorientation: Reorientation) {
        let plan = try Reorientation(toCanonical: geometry, file: file)
        return (OrientedVolume(image: plan.apply(image), geometry: plan.apply(geometry, extents: extents)), plan)
    }
}
