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
        guard mask.spatialRank == 3 else { throw DataError(url.path, "a mask for the volume \(input.path) must be 3D, got \(mask.shape)") }
        // The input's grid: a NIfTI file's as read, a series' from its headers (no slice decoded).
        let geometry: VolumeGeometry, extents: [Int], header: NIfTIGeometry
        if isVolume(input.path) {
            let volume = try NIfTI.read(input)
            let oriented = try volume.oriented(file: input.path)
            (geometry, extents, header) = (oriented.geometry, oriented.extents, volume.geometry)
        } else {
            let series = try DICOMSeries.single(in: input)
            let (affine, depth) = try series.geometry()
            let rows = try series.headers[0].required(.rows, count: 1, for: "to write a mask on series \(series.uid)")[0]
            let columns = try series.headers[0].required(.columns, count: 1, for: "to write a mask on series \(series.uid)")[0]
            (geometry, extents, header) = (affine, [Int(columns), Int(rows), depth], NIfTIGeometry(affine: affine))
        }
        let plan = try Reorientation(toCanonical: geometry, file: input.path)
        let grid = plan.canonicalShape(extents: extents)
        let onGrid = mask.spatialShape == grid ? mask : Grid.resize(mask, to: grid, linear: false)
        try NIfTI.write(plan.invert(onGrid), spacing: geometry.spacing.map(Float.init), as: .uint8, geometry: header, to: url)
    }
}
