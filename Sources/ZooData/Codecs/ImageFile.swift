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
    public static func read(_ url: URL, channels: ChannelMode = .keep) throws -> (image: ImageArray, spacing: [Float]?) {
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
        return (channels.apply(decoded.image), nil)
    }
}
