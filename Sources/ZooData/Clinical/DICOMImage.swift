import CGDCM
import Foundation
import ZooCore

/// The pixels of one DICOM file, decoded by GDCM (every transfer syntax it knows: uncompressed,
/// deflate, RLE, JPEG baseline/extended/lossless, JPEG-LS, JPEG 2000), in the values a reader
/// of the modality expects:
/// - the modality LUT applied: value x RescaleSlope + RescaleIntercept (Hounsfield units for CT);
/// - MONOCHROME1 inverted (its 0 is white): v -> lowest + highest stored value - v, so that a
///   larger value is brighter for every gray image;
/// - YBR_FULL and YBR_FULL_422 turned into RGB by the equations of PS3.3 C.7.6.3.1.2, rounded
///   and clipped to 0-255, as pydicom does (8-bit only);
/// - PALETTE COLOR and other interpretations refused, named.
public struct DICOMImage: Sendable {
    /// frames x rows x columns x samples (DHWC; a single-frame file has depth 1).
    public var pixels: ImageArray
    /// The header read with the pixels.
    public var header: DICOMHeader
    /// Row and column spacing in mm (PixelSpacing), when the file gives it.
    public var pixelSpacing: [Float]?
    /// The transfer syntax's UID and name.
    public var transferSyntax: String
    /// The photometric interpretation of the decoded pixels, before Zoo's conversion.
    public var photometric: String

    /// Decodes `url`. Errors name the file and, for what GDCM cannot decode, the transfer
    /// syntax.
    public init(_ url: URL) throws {
        try self.init(header: try DICOMHeader(url.path))
    }

    /// Decodes the file whose header was read already (a series' slices).
    public init(header: DICOMHeader) throws {
        let path = header.path
        var image = zoo_dicom_image()
        var error = [CChar](repeating: 0, count: 512)
        // One parse of the file for its layout and its pixels.
        guard let file = zoo_dicom_open(path, &image, &error, error.count) else {
            throw DataError(path, String(cString: error))
        }
        defer { zoo_dicom_close(file) }
        let count = Int(image.frames) * Int(image.rows) * Int(image.columns) * Int(image.samples_per_pixel)
        guard count > 0 else { throw DataError(path, "empty image (\(image.rows) x \(image.columns), \(image.frames) frames)") }
        // A damaged header can claim any size; 2^30 values (4 GB as Float32) is beyond any scan
        // Zoo trains on, and allocating what it claims would end the process.
        guard count <= 1 << 30 else {
            throw DataError(path, "claims \(image.frames) frames of \(image.rows) x \(image.columns) x \(image.samples_per_pixel) values, more than Zoo reads (2^30)")
        }
        let declaredSyntax = withUnsafeBytes(of: image.transfer_syntax_uid) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        // GDCM 3.0's RLE decoder permutes the byte segments of colour samples wider than 8 bits
        // (a 16-bit red pixel comes out green): measured on pydicom's SC_rgb_rle_16bit.dcm.
        if declaredSyntax == "1.2.840.10008.1.2.5", image.samples_per_pixel > 1, image.bits_allocated > 8 {
            throw DataError(
                path, "RLE Lossless (1.2.840.10008.1.2.5) with \(image.bits_allocated)-bit colour samples: GDCM \(DICOMHeader.gdcmVersion) decodes these with the colour planes' bytes permuted, so Zoo refuses them; convert the file to an uncompressed transfer syntax first (gdcmconv --raw)")
        }
        var values = [Float](repeating: 0, count: count)
        let code = values.withUnsafeMutableBufferPointer {
            zoo_dicom_decode(file, &image, $0.baseAddress, count, &error, error.count)
        }
        guard code == 0 else {
            // GDCM's messages give the syntax by UID; a reader wants its name too.
            let message = String(cString: error)
            throw DataError(path, message.replacingOccurrences(of: declaredSyntax, with: DICOMHeader.describe(declaredSyntax)))
        }
        let photometric = withUnsafeBytes(of: image.photometric) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let samples = Int(image.samples_per_pixel)

        switch photometric {
        case "MONOCHROME2":
            break
        case "MONOCHROME1":
            let bits = Int(image.bits_stored)
            let (lowest, highest): (Float, Float) =
                image.pixel_representation == 1
                ? (-Float(1 << (bits - 1)), Float((1 << (bits - 1)) - 1)) : (0, Float((1 << bits) - 1))
            for i in values.indices { values[i] = lowest + highest - values[i] }
        case "RGB":
            break
        case "YBR_FULL", "YBR_FULL_422":
            guard samples == 3, image.bits_allocated == 8 else {
                throw DataError(path, "\(photometric) with \(image.bits_allocated)-bit samples: only 8-bit YBR is converted to RGB")
            }
            DICOMImage.convertYBRFullToRGB(&values)
        default:
            throw DataError(
                path, "PhotometricInterpretation (0028,0004) \(photometric) is not read (MONOCHROME1/2, RGB, YBR_FULL, YBR_FULL_422 are)")
        }
        if samples == 1 {
            let slope = try header.numbers(.rescaleSlope, count: 1)?[0] ?? 1
            let intercept = try header.numbers(.rescaleIntercept, count: 1)?[0] ?? 0
            if slope != 1 || intercept != 0 {
                let s = Float(slope), b = Float(intercept)
                for i in values.indices { values[i] = values[i] * s + b }
            }
        }
        pixels = ImageArray(shape: [Int(image.frames), Int(image.rows), Int(image.columns), samples], values: values)
        self.header = header
        pixelSpacing = try header.numbers(.pixelSpacing, count: 2).map { $0.map(Float.init) }
        transferSyntax = DICOMHeader.describe(declaredSyntax)
        self.photometric = photometric
    }

    /// The frame `index` as an HWC image.
    public func frame(_ index: Int) -> ImageArray {
        let size = pixels.shape[1] * pixels.shape[2] * pixels.shape[3]
        return ImageArray(shape: Array(pixels.shape.dropFirst()), values: Array(pixels.values[index * size..<(index + 1) * size]))
    }

    public var frameCount: Int { pixels.shape[0] }

    /// YBR_FULL to RGB (PS3.3 C.7.6.3.1.2), in Float32 like pydicom, rounded half up and
    /// clipped to 0-255.
    static func convertYBRFullToRGB(_ values: inout [Float]) {
        let crToR: Float = 1.402
        let cbToG: Float = -0.114 * 1.772 / 0.587
        let crToG: Float = -0.299 * 1.402 / 0.587
        let cbToB: Float = 1.772
        var i = 0
        while i + 2 < values.count {
            let y = values[i], cb = values[i + 1] - 128, cr = values[i + 2] - 128
            let r = y + crToR * cr, g = y + cbToG * cb + crToG * cr, b = y + cbToB * cb
            values[i] = min(max((r + 0.5).rounded(.down), 0), 255)
            values[i + 1] = min(max((g + 0.5).rounded(.down), 0), 255)
            values[i + 2] = min(max((b + 0.5).rounded(.down), 0), 255)
            i += 3
        }
    }
}
