import CHDF5
import Foundation

/// The element type of a dataset or attribute, as far as Zoo cares.
public enum HDF5DataType: Sendable, Equatable, CustomStringConvertible {
    case float32, float64
    case integer(bits: Int, signed: Bool)
    /// A string type; `variableLength` for h5py's `str`, fixed length for `bytes` arrays.
    case string(variableLength: Bool)
    case other(String)

    init(type: hid_t) {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_FLOAT: self = size == 4 ? .float32 : size == 8 ? .float64 : .other("float\(size * 8)")
        case H5T_INTEGER: self = .integer(bits: size * 8, signed: H5Tget_sign(type) != H5T_SGN_NONE)
        case H5T_STRING: self = .string(variableLength: H5Tis_variable_str(type) > 0)
        case let typeClass: self = .other("HDF5 class \(typeClass.rawValue)")
        }
    }

    /// numpy's name (`float32`, `int64`, `uint8`), as `inspect` prints it.
    public var description: String {
        switch self {
        case .float32: return "float32"
        case .float64: return "float64"
        case .integer(let bits, let signed): return (signed ? "int" : "uint") + "\(bits)"
        case .string(let variable): return variable ? "string" : "bytes"
        case .other(let name): return name
        }
    }

    /// Whether values of this type are floating point (what weights must be).
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }
    /// Whether the type is an integer of at most 64 bits (Keras keeps a `Normalization`'s count
    /// as int64).
    public var isInteger: Bool {
        if case .integer(let bits, _) = self { return bits <= 64 }
        return false
    }
}

/// The element types HDF5 converts to when reading into (or writing from) Swift arrays.
protocol HDF5Scalar {
    static var nativeType: hid_t { get }
    static var fileType: hid_t { get }
}
extension Float: HDF5Scalar {
    static var nativeType: hid_t { H5T_NATIVE_FLOAT_g }
    static var fileType: hid_t { H5T_IEEE_F32LE_g }
}
extension Double: HDF5Scalar {
    static var nativeType: hid_t { H5T_NATIVE_DOUBLE_g }
    static var fileType: hid_t { H5T_IEEE_F64LE_g }
}
extension Int64: HDF5Scalar {
    static var nativeType: hid_t { H5T_NATIVE_LLONG_g }
    static var fileType: hid_t { H5T_STD_I64LE_g }
}
extension UInt64: HDF5Scalar {
    static var nativeType: hid_t { H5T_NATIVE_ULLONG_g }
    static var fileType: hid_t { H5T_STD_U64LE_g }
}

/// Shape of a dataspace; a scalar dataspace has shape [].
func dataspaceShape(_ space: hid_t) -> [Int] {
    let rank = Int(H5Sget_simple_extent_ndims(space))
    guard rank > 0 else { return [] }
    var dims = [hsize_t](repeating: 0, count: rank)
    H5Sget_simple_extent_dims(space, &dims, nil)
    // Clamped: a damaged file's extent above Int.max must reach the size checks, not trap.
    return dims.map { Int(clamping: $0) }
}

/// A dataspace for `shape` ([] is a scalar); the caller closes it.
func makeDataspace(_ shape: [Int]) -> hid_t {
    if shape.isEmpty { return H5Screate(H5S_SCALAR) }
    let dims = shape.map { hsize_t($0) }
    return H5Screate_simple(Int32(dims.count), dims, nil)
}

/// A dataset: an n-dimensional array of one type.
public final class HDF5Dataset: HDF5Object {
    /// Extents; [] for a scalar.
    public var shape: [Int] {
        let space = H5Dget_space(id)
        defer { H5Sclose(space) }
        return dataspaceShape(space)
    }

    /// Number of elements (Int.max when a damaged file declares more than an Int counts).
    public var count: Int { HDF5SizeLimits.elementCount(shape) ?? Int.max }

    /// The stored element type.
    public var dataType: HDF5DataType {
        let type = H5Dget_type(id)
        defer { H5Tclose(type) }
        return HDF5DataType(type: type)
    }

    /// The values converted to `T` by HDF5 (float64 to float32, int to float), row-major.
    func read<T: HDF5Scalar & Numeric>(_: T.Type) throws -> [T] {
        var values = [T](repeating: 0, count: try checkedCount(memoryElementSize: MemoryLayout<T>.stride))
        if values.isEmpty { return values }
        let status = values.withUnsafeMutableBytes { H5Dread(id, T.nativeType, H5.all, H5.all, H5.defaultProperties, $0.baseAddress) }
        try check(status, "cannot read the values (truncated file?)")
        return values
    }

    /// The values as Float32.
    public func readFloats() throws -> [Float] { try read(Float.self) }
    /// The values as Float64.
    public func readDoubles() throws -> [Double] { try read(Double.self) }
    /// The values as signed 64-bit integers.
    public func readInt64s() throws -> [Int64] { try read(Int64.self) }
    /// The values as unsigned 64-bit integers.
    public func readUInt64s() throws -> [UInt64] { try read(UInt64.self) }

    /// A scalar string dataset (fixed or variable length).
    public func readString() throws -> String {
        let type = H5Dget_type(id)
        defer { H5Tclose(type) }
        let space = H5Dget_space(id)
        defer { H5Sclose(space) }
        let strings = try readStrings(type: type, space: space, what: "the string") { memoryType, buffer in
            H5Dread(self.id, memoryType, H5.all, H5.all, H5.defaultProperties, buffer)
        }
        guard strings.count == 1 else { throw fail("holds \(strings.count) strings, not one") }
        return strings[0]
    }
}

extension HDF5Object {
    /// Reads the strings of a dataset or attribute of string type `type` over `space`, either
    /// kind: variable-length (h5py `str`) read as C string pointers and reclaimed, or
    /// fixed-length (h5py `bytes`, numpy `S`) split into cells and cut at the first NUL.
    func readStrings(type: hid_t, space: hid_t, what: String, _ read: (hid_t, UnsafeMutableRawPointer?) -> herr_t) throws -> [String] {
        let count = Int(H5Sget_simple_extent_npoints(space))
        if count == 0 { return [] }
        let variable = H5Tis_variable_str(type) > 0
        try checkCellsFit(count, cellSize: variable ? 16 : Int(H5Tget_size(type)), what: what)
        if variable {
            let memoryType = H5Tcopy(H5T_C_S1_g)
            defer { H5Tclose(memoryType) }
            H5Tset_size(memoryType, H5.variableLength)
            H5Tset_cset(memoryType, H5Tget_cset(type))
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            try check(pointers.withUnsafeMutableBytes { read(memoryType, $0.baseAddress) }, "cannot read \(what)")
            let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
            _ = pointers.withUnsafeMutableBytes { H5Dvlen_reclaim(memoryType, space, H5.defaultProperties, $0.baseAddress) }
            return strings
        }
        let size = H5Tget_size(type)
        var bytes = [UInt8](repeating: 0, count: size * count)
        try check(bytes.withUnsafeMutableBytes { read(type, $0.baseAddress) }, "cannot read \(what)")
        return (0..<count).map { index in
            let cell = bytes[index * size..<(index + 1) * size]
            let end = cell.firstIndex(of: 0) ?? cell.endIndex
            return String(decoding: cell[cell.startIndex..<end], as: UTF8.self)
        }
    }
}

extension HDF5Group {
    /// Writes a dataset of `values` with `shape` ([] for a scalar).
    func write<T: HDF5Scalar>(_ values: [T], shape: [Int], at path: String) throws {
        guard values.count == shape.reduce(1, *) else {
            throw HDF5Error(file: file.url.path, path: child(path), "\(values.count) values for shape \(shape)")
        }
        let space = makeDataspace(shape)
        defer { H5Sclose(space) }
        let properties = try linkCreationProperties()
        defer { H5Pclose(properties) }
        let dataset = H5Dcreate2(id, path, T.fileType, space, properties, H5.defaultProperties, H5.defaultProperties)
        try check(dataset, "cannot create the dataset", at: path)
        defer { H5Dclose(dataset) }
        if values.isEmpty { return }
        let status = values.withUnsafeBytes { H5Dwrite(dataset, T.nativeType, H5.all, H5.all, H5.defaultProperties, $0.baseAddress) }
        try check(status, "cannot write the dataset", at: path)
    }

    /// Writes a float32 dataset.
    public func createDataset(_ path: String, floats: [Float], shape: [Int]) throws { try write(floats, shape: shape, at: path) }
    /// Writes a float64 dataset.
    public func createDataset(_ path: String, doubles: [Double], shape: [Int]) throws { try write(doubles, shape: shape, at: path) }
    /// Writes a signed 64-bit integer dataset.
    public func createDataset(_ path: String, int64s: [Int64], shape: [Int]) throws { try write(int64s, shape: shape, at: path) }
    /// Writes an unsigned 64-bit integer dataset.
    public func createDataset(_ path: String, uint64s: [UInt64], shape: [Int]) throws { try write(uint64s, shape: shape, at: path) }

    /// Writes a scalar UTF-8 string dataset of fixed length (any size; attributes are limited
    /// to 64 KiB, which a resolved experiment config may pass).
    public func createDataset(_ path: String, string: String) throws {
        let bytes = Array(string.utf8)
        let type = H5Tcopy(H5T_C_S1_g)
        defer { H5Tclose(type) }
        H5Tset_size(type, max(bytes.count, 1))
        H5Tset_strpad(type, H5T_STR_NULLPAD)
        H5Tset_cset(type, H5T_CSET_UTF8)
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let properties = try linkCreationProperties()
        defer { H5Pclose(properties) }
        let dataset = H5Dcreate2(id, path, type, space, properties, H5.defaultProperties, H5.defaultProperties)
        try check(dataset, "cannot create the dataset", at: path)
        defer { H5Dclose(dataset) }
        let padded = bytes.isEmpty ? [0] : bytes
        try check(padded.withUnsafeBytes { H5Dwrite(dataset, type, H5.all, H5.all, H5.defaultProperties, $0.baseAddress) },
                  "cannot write the dataset", at: path)
    }
}
