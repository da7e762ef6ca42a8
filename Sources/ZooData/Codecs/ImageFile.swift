import Foundation
import ZooCore

/// Reads any supported image file, choosing the decoder by content (signature), not name.
public enum ImageFile {
    /// File extensions taken as images by folder sources (lower case, no dot).
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]
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
        if isVolume(url.path) {
            let volume = try NIfTI.read(url)
            return (volume.image, volume.spacing)
        }
        let data = try FileAccess.read(url)
        let bytes = [UInt8](data.prefix(4))
        let decoded: DecodedImage
        if bytes.count >= 4, bytes[0] == 0x89, bytes[1] == 0x50, bytes[2] == 0x4E, bytes[3] == 0x47 {
            decoded = try PNG.decode(data, source: url.path)
        } else if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 {
            decoded = try JPEG.decode(data, source: url.path)
        } else {
            throw DataError(url.path, "not a PNG, JPEG or NIfTI file (unknown signature)")
        }
        if let bitDepth, decoded.bitDepth != bitDepth {
            throw DataError(
                url.path,
                "is a \(decoded.bitDepth)-bit image, but the data's bit depth is \(bitDepth) (values 0-\((1 << bitDepth) - 1)); "
                    + "the same pixels would reach the model on another scale. Convert the file, or set data.bit_depth: "
                    + "\(decoded.bitDepth) if every image is \(decoded.bitDepth)-bit")
        }
        return (channels.apply(decoded.image), nil)
    }
}
