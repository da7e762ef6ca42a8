import Foundation
import ZooCore

/// An image or volume as a source reads it: the voxels, their spacing and, for volumes, where
/// they lie in the patient.
public struct LoadedImage: Sendable {
    /// HWC image or DHWC volume; volumes are in RAS (see `Reorientation`).
    public var image: ImageArray
    /// [dy, dx] or [dz, dy, dx] in mm, when the file gives it.
    public var spacing: [Float]?
    /// The RAS grid of a volume (after reorientation).
    public var geometry: VolumeGeometry?
    /// How the file's voxel order was turned into RAS, and the file's own affine: what writing
    /// a result back in the input's geometry inverts.
    public var reorientation: Reorientation?
    public var fileGeometry: VolumeGeometry?

    /// A sample of this image with `info`.
    public func sample(_ info: SampleInfo, label: Int? = nil) -> Sample {
        var sample = Sample(image: image, label: label, info: info, spacing: spacing)
        sample.geometry = geometry
        return sample
    }
}

/// Reads any supported image file, choosing the decoder by content (signature), not name.
public enum ImageFile {
    /// File extensions taken as images by folder sources (lower case, no dot).
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "dcm"]
    /// File extensions taken as NIfTI volumes.
    public static let volumeExtensions: [String] = [".nii", ".nii.gz"]

    /// Whether the file name looks like a NIfTI volume.
    public static func isVolume(_ path: String) -> Bool {
        let lower = path.lowercased()
        return volumeExtensions.contains { lower.hasSuffix($0) }
    }

    /// Reads a PNG, JPEG or NIfTI file as an HWC image or DHWC volume (with its spacing).
    /// Values keep the file's range (0-255 for 8-bit, 0-65535 for 16-bit images), so every
    /// image of a dataset must have one bit depth: `bitDepth` (8 or 16) refuses a PNG or JPEG
    /// of another depth, naming the file; nil accepts any (masks, whose values are labels).
    public static func read(_ url: URL, channels: ChannelMode = .keep, bitDepth: Int? = nil) throws -> (image: ImageArray, spacing: [Float]?) {
        let loaded = try load(url, channels: channels, bitDepth: bitDepth)
        return (loaded.image, loaded.spacing)
    }

    /// Reads an image or volume with its geometry:
    /// - PNG and JPEG (values in the file's range, checked against `bitDepth`);
    /// - a single-frame DICOM file as a 2D image (`DICOMImage`: HU for CT);
    /// - NIfTI (`.nii`, `.nii.gz`) and a folder holding one DICOM series as volumes, reoriented
    ///   to RAS, with their spacing and affine.
    public static func load(_ url: URL, channels: ChannelMode = .keep, bitDepth: Int? = nil, unevenSpacing: UnevenSpacing = .refuse) throws -> LoadedImage {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            guard !DICOMSeries.dicomFiles(under: url).isEmpty else {
                throw DataError(url.path, "is a directory, not an image file, and holds no DICOM series")
            }
            let series = try DICOMSeries.single(in: url)
            return try oriented(try series.read(uneven: unevenSpacing), file: url.path, channels: channels)
        }
        if isVolume(url.path) {
            let volume = try NIfTI.read(url)
            return try oriented(try volume.oriented(file: url.path), file: url.path, channels: channels)
        }
        if url.pathExtension.lowercased() == "dcm" || DICOMHeader.isDICOM(url) {
            let dicom = try DICOMImage(url)
            guard dicom.frameCount == 1 else {
                throw DataError(
                    url.path, "holds \(dicom.frameCount) frames; the dicom source (images: each frame a sample) reads multi-frame files")
            }
            return LoadedImage(image: channels.apply(dicom.frame(0)), spacing: dicom.pixelSpacing)
        }
        let data = try FileAccess.read(url)
        let bytes = [UInt8](data.prefix(4))
        let decoded: DecodedImage
        if bytes.count >= 4, bytes[0] == 0x89, bytes[1] == 0x50, bytes[2] == 0x4E, bytes[3] == 0x47 {
            decoded = try PNG.decode(data, source: url.path)
        } else if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 {
            decoded = try JPEG.decode(data, source: url.path)
        } else {
            throw DataError(url.path, "not a PNG, JPEG, DICOM or NIfTI file (unknown signature)")
        }
        if let bitDepth, decoded.bitDepth != bitDepth {
            throw DataError(
                url.path,
                "is a \(decoded.bitDepth)-bit image, but the data's bit depth is \(bitDepth) (values 0-\((1 << bitDepth) - 1)); "
                    + "the same pixels would reach the model on another scale. Convert the file, or set data.bit_depth: "
                    + "\(decoded.bitDepth) if every image is \(decoded.bitDepth)-bit")
        }
        return LoadedImage(image: channels.apply(decoded.image), spacing: nil)
    }

    static func oriented(_ volume: OrientedVolume, file: String, channels: ChannelMode) throws -> LoadedImage {
        let (canonical, plan) = try volume.canonical(file: file)
        return LoadedImage(
            image: channels.apply(canonical.image), spacing: canonical.spacing, geometry: canonical.geometry,
            reorientation: plan, fileGeometry: volume.geometry)
    }

    /// Reads a mask for an image loaded from `imagePath` and checks that both lie on one grid:
    /// the same spatial shape and, for volumes, the same affine (within 0.001 mm).
    public static func loadMask(_ url: URL, for image: LoadedImage, imagePath: String) throws -> ImageArray {
        let mask = try MaskFile.load(url)
        if let a = image.geometry, let b = mask.geometry, a.distance(to: b) > 1e-3 {
            throw DataError(
                url.path, "the mask's affine \(b.affine.prefix(12).map { String(format: "%.3f", $0) }) differs from \(imagePath)'s "
                    + "\(a.affine.prefix(12).map { String(format: "%.3f", $0) }): the mask lies on another grid")
        }
        return mask.image
    }
}
