import CNIfTI
import Foundation
import ZooCore

extension NIfTIGeometry {
    /// The voxel-to-RAS affine by NIfTI's rules, as nibabel's `img.affine`: the sform when its
    /// code is set, else the qform (nifti_clib's `nifti_quatern_to_mat44`), else the voxel sizes
    /// alone (NIfTI's "method 1", no rotation or offset).
    public var affine: VolumeGeometry {
        if sformCode > 0 {
            return VolumeGeometry(affine: sform.map(Double.init) + [0, 0, 0, 1])
        }
        let voxel = Array(pixdim[1...3])
        if qformCode > 0 {
            var quaternion = self.quaternion, sizes = voxel, out = [Float](repeating: 0, count: 16)
            zoo_nifti_quatern_to_affine(&quaternion, &sizes, pixdim[0], &out)
            return VolumeGeometry(affine: out.map(Double.init))
        }
        return VolumeGeometry(affine: [
            Double(voxel[0]), 0, 0, 0, 0, Double(voxel[1]), 0, 0, 0, 0, Double(voxel[2]), 0, 0, 0, 0, 1,
        ])
    }

    /// The header fields of a grid placed by `geometry`: the sform (code 1, scanner) and voxel
    /// sizes; no qform, so that readers take the sform as written.
    public init(affine geometry: VolumeGeometry) {
        self.init()
        let spacing = geometry.spacing.reversed().map(Float.init)
        pixdim = [1] + spacing
        qformCode = 0
        sformCode = 1
        sform = Array(geometry.affine.prefix(12)).map(Float.init)
        units = 10  // millimetres, seconds
    }
}

extension NIfTIVolume {
    /// The volume with its affine. A singular affine is an error naming `file`.
    public func oriented(file: String) throws -> OrientedVolume {
        let geometry = self.geometry.affine
        guard abs(geometry.determinant) > 1e-12 else {
            let which = self.geometry.sformCode > 0 ? "sform (srow_x, srow_y, srow_z)" : "qform"
            throw DataError(file, "the \(which) affine is singular (determinant 0): the voxel axes do not span space")
        }
        return OrientedVolume(image: image, geometry: geometry)
    }
}
