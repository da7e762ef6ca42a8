import Foundation
import ZooCore

/// A volume read from a NIfTI-1 file.
public struct NIfTIVolume: Sendable {
    /// The voxels as DHWC: depth is NIfTI's z, height its y, width its x, and channels the
    /// product of the 4th to 7th dimensions (time points or components). Values are scaled by
    /// `scl_slope` and `scl_inter` when the slope is non-zero. The voxel order is the file's;
    /// no reorientation is applied.
    public var image: ImageArray
    /// Spacing along depth, height and width (pixdim[3], pixdim[2], pixdim[1]).
    public var spacing: [Float]
    /// The datatype code of the file (2 uint8, 4 int16, 8 int32, 16 float32, 64 float64, ...).
    public var datatype: Int
    /// Where the voxels lie in the scanner's space, as the header says.
    public var geometry = NIfTIGeometry()
}

/// The header fields that place a NIfTI-1 grid in space: the voxel sizes, the qform
/// (quaternion, offsets, qfac) and the sform (three rows of the affine), with their codes and
/// the units. A volume written on the same grid with these fields has the same affine.
public struct NIfTIGeometry: Sendable, Equatable {
    /// pixdim[0] (qfac) to pixdim[3].
    public var pixdim: [Float] = [1, 1, 1, 1]
    public var qformCode: Int16 = 1
    public var sformCode: Int16 = 0
    /// quatern_b, quatern_c, quatern_d, qoffset_x, qoffset_y, qoffset_z.
    public var quaternion: [Float] = [0, 0, 0, 0, 0, 0]
    /// srow_x, srow_y, srow_z (4 each).
    public var sform: [Float] = [Float](repeating: 0, count: 12)
    public var units: UInt8 = 10

    public init() {}

    init(_ reader: ByteReader) {
        pixdim = (0...3).map { reader.float32(76 + 4 * $0) }
        qformCode = reader.int16(252)
        sformCode = reader.int16(254)
        quaternion = (0..<6).map { reader.float32(256 + 4 * $0) }
        sform = (0..<12).map { reader.float32(280 + 4 * $0) }
        units = reader.bytes[123]
    }
}

/// NIfTI-1 single-file volumes (`.nii`, `.nii.gz`): reading and writing.
public enum NIfTI {
    /// Datatype codes read: (code, bytes per voxel, name).
    static let datatypes: [Int: (bytes: Int, name: String)] = [
        2: (1, "uint8"), 4: (2, "int16"), 8: (4, "int32"), 16: (4, "float32"), 64: (8, "float64"),
        256: (1, "int8"), 512: (2, "uint16"), 768: (4, "uint32"), 1024: (8, "int64"), 1280: (8, "uint64"),
    ]

    /// Reads a `.nii` or `.nii.gz` file (gzip is detected from the content).
    public static func read(_ url: URL) throws -> NIfTIVolume {
        try decode(try FileAccess.read(url), source: url.path)
    }

    /// Decodes a NIfTI-1 file held in memory, gzip-compressed or not. Errors name `source`.
    public static func decode(_ file: Data, source: String = "NIfTI data") throws -> NIfTIVolume {
        let data = Gzip.isCompressed(file) ? try Gzip.decompress(file, source: source) : file
        let bytes = [UInt8](data)
        guard bytes.count >= 348 else {
            throw DataError(source, "broken NIfTI header: file has \(bytes.count) bytes, the header needs 348")
        }
        let reader: ByteReader
        if ByteReader(bytes, bigEndian: false).int32(0) == 348 {
            reader = ByteReader(bytes, bigEndian: false)
        } else if ByteReader(bytes, bigEndian: true).int32(0) == 348 {
            reader = ByteReader(bytes, bigEndian: true)
        } else {
            throw DataError(source, "broken NIfTI header: sizeof_hdr is not 348 in either byte order")
        }
        let magic = String(decoding: bytes[344..<347], as: UTF8.self)
        guard magic == "n+1" else {
            if magic == "ni1" {
                throw DataError(source, "NIfTI header/image pairs (.hdr/.img) are not supported; use a single .nii file")
            }
            throw DataError(source, "broken NIfTI header: magic is not \"n+1\"")
        }
        let rank = Int(reader.int16(40))
        guard (1...7).contains(rank) else {
            throw DataError(source, "broken NIfTI header: dim[0] is \(rank), expected 1 to 7")
        }
        var dims = [Int](repeating: 1, count: 7)
        for axis in 0..<rank {
            let extent = Int(reader.int16(42 + 2 * axis))
            guard extent > 0 else {
                throw DataError(source, "broken NIfTI header: dim[\(axis + 1)] is \(extent)")
            }
            dims[axis] = extent
        }
        let datatype = Int(reader.int16(70))
        guard let type = datatypes[datatype] else {
            throw DataError(source, "unsupported NIfTI datatype \(datatype) (supported: uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64)")
        }
        let bitpix = Int(reader.int16(72))
        guard bitpix == type.bytes * 8 else {
            throw DataError(source, "broken NIfTI header: bitpix \(bitpix) does not match datatype \(type.name)")
        }
        let pixdim = (1...3).map { reader.float32(76 + 4 * $0) }
        let offsetValue = reader.float32(108)
        guard offsetValue.isFinite, offsetValue >= 348, offsetValue < Float(bytes.count) + 1 else {
            throw DataError(source, "broken NIfTI header: vox_offset \(offsetValue)")
        }
        let offset = Int(offsetValue)
        let (nx, ny, nz) = (dims[0], dims[1], dims[2])
        let channels = dims[3...].reduce(1) { Swift.min($0 * $1, 1 << 40) }
        // Checked products: seven extents of up to 32767 overflow an Int.
        var voxels = 1, overflow = false
        for extent in dims {
            let (product, over) = voxels.multipliedReportingOverflow(by: extent)
            voxels = product
            overflow = overflow || over
        }
        guard !overflow, voxels <= (bytes.count - offset) / type.bytes else {
            throw DataError(source, "truncated NIfTI data: dimensions \(Array(dims.prefix(rank))) of \(type.name) need \(overflow ? "too many" : String(voxels * type.bytes)) bytes after offset \(offset), file has \(bytes.count - offset)")
        }
        var slope = reader.float32(112)
        var intercept = reader.float32(116)
        if !slope.isFinite || slope == 0 { slope = 1; intercept = 0 }
        if !intercept.isFinite { intercept = 0 }

        // The file is x fastest, then y, z, then the 4th+ dimensions; DHWC wants the
        // channel fastest, so channels > 1 are interleaved.
        var values = [Float](repeating: 0, count: voxels)
        values.withUnsafeMutableBufferPointer { out in
            let spatial = nx * ny * nz
            for c in 0..<channels {
                reader.convert(
                    datatype: datatype, at: offset + c * spatial * type.bytes, count: spatial,
                    into: out.baseAddress! + c, stride: channels, slope: slope, intercept: intercept)
            }
        }
        let image = ImageArray(shape: [nz, ny, nx, channels], values: values)
        return NIfTIVolume(image: image, spacing: [abs(pixdim[2]), abs(pixdim[1]), abs(pixdim[0])], datatype: datatype, geometry: NIfTIGeometry(reader))
    }

    /// The datatypes the writer offers.
    public enum StorageType: Int, Sendable {
        case uint8 = 2, int16 = 4, float32 = 16
    }

    /// Encodes a DHWC volume (or an HWC image, as depth 1) as NIfTI-1, little-endian, with
    /// the given spacing ([dz, dy, dx]); values are rounded and clamped for integer types.
    /// `geometry` (a read volume's) replaces the spacing and the identity orientation: the
    /// written volume then lies where the read one does.
    public static func encode(
        _ image: ImageArray, spacing: [Float] = [1, 1, 1], as type: StorageType = .float32, geometry: NIfTIGeometry? = nil, compress: Bool
    ) throws -> Data {
        let shape = image.isVolume ? image.shape : [1] + image.shape
        let (nz, ny, nx, channels) = (shape[0], shape[1], shape[2], shape[3])
        guard [nx, ny, nz, channels].allSatisfy({ $0 <= Int(Int16.max) }) else {
            throw DataError("NIfTI", "extents \(shape) exceed NIfTI-1's 32767")
        }
        var header = [UInt8](repeating: 0, count: 352)
        func put32(_ value: UInt32, _ at: Int) { for b in 0..<4 { header[at + b] = UInt8((value >> (8 * UInt32(b))) & 0xFF) } }
        func put16(_ value: Int, _ at: Int) { let v = UInt16(bitPattern: Int16(value)); header[at] = UInt8(v & 0xFF); header[at + 1] = UInt8(v >> 8) }
        put32(348, 0)
        let rank = channels > 1 ? 4 : 3
        put16(rank, 40)
        for (axis, extent) in [nx, ny, nz, channels].enumerated() { put16(extent, 42 + 2 * axis) }
        for axis in rank..<7 { put16(1, 42 + 2 * axis) }
        let bytesPer = type == .uint8 ? 1 : type == .int16 ? 2 : 4
        put16(type.rawValue, 70)
        put16(bytesPer * 8, 72)
        let dz = spacing.count == 3 ? spacing[0] : 1, dy = spacing.count == 3 ? spacing[1] : 1, dx = spacing.count == 3 ? spacing[2] : 1
        for (i, value) in [Float(1), dx, dy, dz, 1, 1, 1, 1].enumerated() { put32(value.bitPattern, 76 + 4 * i) }
        put32(Float(352).bitPattern, 108)
        put32(Float(1).bitPattern, 112)  // scl_slope
        header[123] = 10  // xyzt_units: millimetres and seconds
        header[252] = 1  // qform_code: scanner coordinates, with an identity quaternion and pixdim scaling
        if let geometry {
            for (i, value) in geometry.pixdim.enumerated() { put32(value.bitPattern, 76 + 4 * i) }
            put16(Int(geometry.qformCode), 252)
            put16(Int(geometry.sformCode), 254)
            for (i, value) in geometry.quaternion.enumerated() { put32(value.bitPattern, 256 + 4 * i) }
            for (i, value) in geometry.sform.enumerated() { put32(value.bitPattern, 280 + 4 * i) }
            header[123] = geometry.units
        }
        for (i, c) in "n+1\0".utf8.enumerated() { header[344 + i] = c }
        var body = [UInt8](repeating: 0, count: image.values.count * bytesPer)
        image.values.withUnsafeBufferPointer { source in
            body.withUnsafeMutableBytes { raw in
                let spatial = nx * ny * nz
                for c in 0..<channels {
                    for i in 0..<spatial {
                        let v = source[i * channels + c]
                        let at = c * spatial + i
                        switch type {
                        case .uint8: raw.storeBytes(of: v.isNaN ? 0 : UInt8(v.rounded().clamped(0, 255)), toByteOffset: at, as: UInt8.self)
                        case .int16: raw.storeBytes(of: (v.isNaN ? 0 : Int16(v.rounded().clamped(-32768, 32767))).littleEndian, toByteOffset: at * 2, as: Int16.self)
                        case .float32: raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: at * 4, as: UInt32.self)
                        }
                    }
                }
            }
        }
        let file = Data(header + body)
        return compress ? try Gzip.compress(file) : file
    }

    /// Writes a volume; a name ending in `.gz` is compressed.
    public static func write(
        _ image: ImageArray, spacing: [Float] = [1, 1, 1], as type: StorageType = .float32, geometry: NIfTIGeometry? = nil, to url: URL
    ) throws {
        let data = try encode(image, spacing: spacing, as: type, geometry: geometry, compress: url.path.lowercased().hasSuffix(".gz"))
        try FileAccess.write(data, to: url)
    }
}

/// Reads little- or big-endian numbers from a byte array at byte offsets.
struct ByteReader {
    let bytes: [UInt8]
    let bigEndian: Bool

    init(_ bytes: [UInt8], bigEndian: Bool) {
        self.bytes = bytes
        self.bigEndian = bigEndian
    }

    @inline(__always) func raw(_ at: Int, _ size: Int) -> UInt64 {
        var value: UInt64 = 0
        for b in 0..<size {
            let byte = UInt64(bytes[at + (bigEndian ? b : size - 1 - b)])
            value = (value << 8) | byte
        }
        return value
    }

    func int16(_ at: Int) -> Int16 { Int16(bitPattern: UInt16(raw(at, 2))) }
    func int32(_ at: Int) -> Int32 { Int32(bitPattern: UInt32(raw(at, 4))) }
    func float32(_ at: Int) -> Float { Float(bitPattern: UInt32(raw(at, 4))) }

    /// Converts `count` voxels of `datatype` starting at byte `at` into `out` (every
    /// `stride`-th element), scaled. The switch is outside the loops, so each loop is a plain
    /// conversion.
    func convert(
        datatype: Int, at start: Int, count: Int, into out: UnsafeMutablePointer<Float>, stride: Int,
        slope: Float, intercept: Float
    ) {
        switch datatype {
        case 2: for i in 0..<count { out[i * stride] = Float(bytes[start + i]) * slope + intercept }
        case 256: for i in 0..<count { out[i * stride] = Float(Int8(bitPattern: bytes[start + i])) * slope + intercept }
        case 4: for i in 0..<count { out[i * stride] = Float(Int16(bitPattern: UInt16(raw(start + 2 * i, 2)))) * slope + intercept }
        case 512: for i in 0..<count { out[i * stride] = Float(UInt16(raw(start + 2 * i, 2))) * slope + intercept }
        case 8: for i in 0..<count { out[i * stride] = Float(Int32(bitPattern: UInt32(raw(start + 4 * i, 4)))) * slope + intercept }
        case 768: for i in 0..<count { out[i * stride] = Float(UInt32(raw(start + 4 * i, 4))) * slope + intercept }
        case 16: for i in 0..<count { out[i * stride] = Float(bitPattern: UInt32(raw(start + 4 * i, 4))) * slope + intercept }
        case 64: for i in 0..<count { out[i * stride] = Float(Double(bitPattern: raw(start + 8 * i, 8)) * Double(slope) + Double(intercept)) }
        case 1024: for i in 0..<count { out[i * stride] = Float(Int64(bitPattern: raw(start + 8 * i, 8))) * slope + intercept }
        case 1280: for i in 0..<count { out[i * stride] = Float(raw(start + 8 * i, 8)) * slope + intercept }
        default: break
        }
    }
}
