import CImageCodecs
import Foundation
import ZooCore

/// PNG decoding and encoding through libpng (via the CImageCodecs shim, which turns libpng's
/// longjmp errors into return codes).
public enum PNG {
    /// Decodes a PNG from memory: 1-16 bits, gray, gray+alpha, RGB, RGBA or palette. Values
    /// keep the file's range (0-255, or 0-65535 for 16-bit files). `source` names the file
    /// in errors.
    public static func decode(_ data: Data, source: String = "PNG data") throws -> DecodedImage {
        try checkHeader(data, source: source)
        return try CodecCall.decode(data, source: source, format: "PNG", cic_png_decode)
    }

    /// Bit depths PNG allows per colour type (gray, RGB, palette, gray+alpha, RGBA).
    static let allowedDepths: [UInt8: Set<UInt8>] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]

    /// Names an unsupported bit depth or colour type plainly (libpng says only "Invalid
    /// IHDR data"), and refuses dimensions past the decoder's limit before libpng runs.
    static func checkHeader(_ data: Data, source: String) throws {
        let bytes = [UInt8](data.prefix(29))
        guard bytes.count == 29, bytes[12...15].elementsEqual("IHDR".utf8) else { return }
        let width = bytes[16...19].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let height = bytes[20...23].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard width * height <= UInt64(CIC_MAX_PIXELS) else {
            throw DataError(source, "PNG declares \(width) x \(height) pixels, more than the limit of \(CIC_MAX_PIXELS) (damaged or hostile file?)")
        }
        let (depth, color) = (bytes[24], bytes[25])
        guard let depths = allowedDepths[color] else {
            throw DataError(source, "unsupported PNG colour type \(color)")
        }
        guard depths.contains(depth) else {
            throw DataError(source, "unsupported PNG bit depth \(depth) for colour type \(color) (allowed: \(depths.sorted()))")
        }
    }

    /// Reads and decodes a PNG file.
    public static func read(_ url: URL) throws -> DecodedImage {
        try decode(try FileAccess.read(url), source: url.path)
    }

    /// Encodes an HWC image as 8-bit gray, RGB or RGBA (values rounded and clamped to 0-255),
    /// or as 16-bit gray (`bitDepth: 16`, values clamped to 0-65535).
    public static func encode(_ image: ImageArray, bitDepth: Int = 8, compressionLevel: Int = 6) throws -> Data {
        guard !image.isVolume else { throw DataError("PNG", "cannot write a volume \(image.shape) as PNG") }
        let (height, width, channels) = (image.shape[0], image.shape[1], image.shape[2])
        var message = [CChar](repeating: 0, count: 256)
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        let code: Int32
        if bitDepth == 16 {
            let samples = image.values.map { $0.isNaN ? UInt16(0) : UInt16($0.rounded().clamped(0, 65535)) }
            code = samples.withUnsafeBytes { raw in
                cic_png_encode(raw.baseAddress, Int32(width), Int32(height), Int32(channels), 16,
                               Int32(compressionLevel), &output, &size, &message, message.count)
            }
        } else {
            let samples = Pixels.bytes(image.values)
            code = samples.withUnsafeBytes { raw in
                cic_png_encode(raw.baseAddress, Int32(width), Int32(height), Int32(channels), Int32(bitDepth),
                               Int32(compressionLevel), &output, &size, &message, message.count)
            }
        }
        guard code == 0, let output else {
            throw DataError("PNG", "cannot encode \(image.shape): \(String(cString: message))")
        }
        defer { cic_free(output) }
        return Data(bytes: output, count: size)
    }

    /// Encodes and writes a PNG file (see `encode`).
    public static func write(_ image: ImageArray, to url: URL, bitDepth: Int = 8) throws {
        try FileAccess.write(try encode(image, bitDepth: bitDepth), to: url)
    }
}

/// JPEG decoding and encoding through libjpeg-turbo.
public enum JPEG {
    /// Decodes a baseline or progressive JPEG from memory to gray or RGB, values 0-255. A
    /// truncated or corrupt stream is an error, not a partly gray image.
    public static func decode(_ data: Data, source: String = "JPEG data") throws -> DecodedImage {
        try CodecCall.decode(data, source: source, format: "JPEG", cic_jpeg_decode)
    }

    /// Reads and decodes a JPEG file.
    public static func read(_ url: URL) throws -> DecodedImage {
        try decode(try FileAccess.read(url), source: url.path)
    }

    /// Encodes an 8-bit gray or RGB image (values rounded and clamped to 0-255).
    public static func encode(_ image: ImageArray, quality: Int = 90, progressive: Bool = false) throws -> Data {
        guard !image.isVolume else { throw DataError("JPEG", "cannot write a volume \(image.shape) as JPEG") }
        let samples = Pixels.bytes(image.values)
        var message = [CChar](repeating: 0, count: 256)
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        let code = samples.withUnsafeBufferPointer { raw in
            cic_jpeg_encode(raw.baseAddress, Int32(image.shape[1]), Int32(image.shape[0]), Int32(image.shape[2]),
                            Int32(quality), progressive ? 1 : 0, &output, &size, &message, message.count)
        }
        guard code == 0, let output else {
            throw DataError("JPEG", "cannot encode \(image.shape): \(String(cString: message))")
        }
        defer { cic_free(output) }
        return Data(bytes: output, count: size)
    }
}

/// The common call into a shim decoder and the conversion of its buffer to floats.
enum CodecCall {
    typealias Decoder = (
        UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<cic_image_info>?,
        UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<CChar>?, Int
    ) -> Int32

    static func decode(_ data: Data, source: String, format: String, _ decoder: Decoder) throws -> DecodedImage {
        var info = cic_image_info()
        var pixels: UnsafeMutableRawPointer?
        var message = [CChar](repeating: 0, count: 512)
        let code = data.withUnsafeBytes { raw in
            decoder(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &info, &pixels, &message, message.count)
        }
        guard code == 0, let pixels else {
            let kind = code == 2 ? "unsupported \(format)" : "corrupt or truncated \(format)"
            throw DataError(source, "\(kind): \(String(cString: message))")
        }
        defer { cic_free(pixels) }
        let (width, height, channels) = (Int(info.width), Int(info.height), Int(info.channels))
        let count = width * height * channels
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { out in
            if info.bit_depth == 16 {
                let samples = pixels.assumingMemoryBound(to: UInt16.self)
                for i in 0..<count { out[i] = Float(samples[i]) }
            } else {
                let samples = pixels.assumingMemoryBound(to: UInt8.self)
                for i in 0..<count { out[i] = Float(samples[i]) }
            }
        }
        return DecodedImage(
            width: width, height: height, channels: channels, bitDepth: Int(info.bit_depth),
            image: ImageArray(shape: [height, width, channels], values: values))
    }
}

/// Float to byte conversion for writers.
enum Pixels {
    /// Values rounded and clamped to 0-255.
    static func bytes(_ values: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for i in 0..<source.count {
                    let v = source[i]
                    target[i] = v.isNaN ? 0 : UInt8(Swift.max(0, Swift.min(255, v.rounded())))
                }
            }
        }
        return out
    }
}

extension Float {
    /// The value limited to `low...high`.
    @inline(__always) func clamped(_ low: Float, _ high: Float) -> Float { Swift.max(low, Swift.min(high, self)) }
}
