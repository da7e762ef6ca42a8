import Foundation
import ZooCore

extension ImageFile {
    /// Writes a label volume predicted for the volume `input` (a NIfTI file or a DICOM series
    /// folder) back in the input's own geometry: from the RAS grid the source loaded (or a grid
    /// of the same extent, as `resize` and `spacing` leave it: resampled by nearest) back to the
    /// file's voxel order, as NIfTI with the input's header geometry (a NIfTI input's qform and
    /// sform as they were; a DICOM series' affine as an sform). A viewer then lays the mask on
    /// the input voxel for voxel.
    public static func writeMask(_ mask: ImageArray, for input: URL, to url: URL) throws {
        let oriented: OrientedVolume
        let header: NIfTIGeometry
        if isVolume(input.path) {
            let volume = try NIfTI.read(input)
            oriented = try volume.oriented(file: input.path)
            header = volume.geometry
        } else {
            oriented = try DICOMSeries.single(in: input).read(uneven: .resample)
            header = NIfTIGeometry(affine: oriented.geometry)
        }
        let (canonical, plan) = try oriented.canonical(file: input.path)
        let grid = canonical.image.spatialShape
        guard mask.spatialRank == 3 else { throw DataError(url.path, "a mask for the volume \(input.path) must be 3D, got \(mask.shape)") }
        let onGrid = mask.spatialShape == grid ? mask : Grid.resize(mask, to: grid, linear: false)
        let back = plan.invert(onGrid)
        try NIfTI.write(back, spacing: oriented.spacing, as: .uint8, geometry: header, to: url)
    }
}
