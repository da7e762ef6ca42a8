import CHDF5
import Foundation

/// Attributes of groups and datasets: the string arrays Keras writes (`layer_names`,
/// `weight_names`, variable- or fixed-length), scalar strings and numbers.
extension HDF5Object {
    /// Names of the attributes, in name order.
    public func attributeNames() throws -> [String] {
        final class Box { var names: [String] = [] }
        let box = Box()
        let context = Unmanaged.passRetained(box).toOpaque()
        defer { Unmanaged<Box>.fromOpaque(context).release() }
        var index: hsize_t = 0
        let status = H5Aiterate2(id, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, data in
            guard let name, let data else { return 0 }
            Unmanaged<Box>.fromOpaque(data).takeUnretainedValue().names.append(String(cString: name))
            return 0
        }, context)
        try check(status, "cannot list the attributes")
        return box.names
    }

    /// Whether the attribute exists.
    public func hasAttribute(_ name: String) -> Bool {
        let found = H5Aexists(id, name)
        if found < 0 { _ = HDF5Library.drainErrorStack() }
        return found > 0
    }

    private func withAttribute<R>(_ name: String, _ body: (hid_t, hid_t, hid_t) throws -> R) throws -> R {
        guard hasAttribute(name) else { throw HDF5Error(file: file.url.path, path: path.isEmpty ? "/" : path, "no attribute '\(name)'") }
        let attribute = H5Aopen(id, name, H5.defaultProperties)
        try check(attribute, "cannot open attribute '\(name)'")
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        defer { H5Tclose(type) }
        let space = H5Aget_space(attribute)
        defer { H5Sclose(space) }
        return try body(attribute, type, space)
    }

    /// The element type and shape of an attribute.
    public func attributeInfo(_ name: String) throws -> (type: HDF5DataType, shape: [Int]) {
        try withAttribute(name) { _, type, space in (HDF5DataType(type: type), dataspaceShape(space)) }
    }

    /// A string attribute as an array (a scalar string gives one element). An empty numeric
    /// array reads as no strings: Keras writes `weight_names` of a layer without weights as
    /// an empty float64 array.
    public func stringsAttribute(_ name: String) throws -> [String] {
        try withAttribute(name) { attribute, type, space in
            if H5Tget_class(type) != H5T_STRING {
                if H5Sget_simple_extent_npoints(space) == 0 { return [] }
                throw fail("attribute '\(name)' holds \(HDF5DataType(type: type)), not strings")
            }
            return try readStrings(type: type, space: space, what: "attribute '\(name)'") { memoryType, buffer in
                H5Aread(attribute, memoryType, buffer)
            }
        }
    }

    /// A scalar (or one-element) string attribute.
    public func stringAttribute(_ name: String) throws -> String {
        let strings = try stringsAttribute(name)
        guard strings.count == 1 else { throw fail("attribute '\(name)' holds \(strings.count) strings, not one") }
        return strings[0]
    }

    /// A numeric attribute, converted to Int64 by HDF5.
    public func int64sAttribute(_ name: String) throws -> [Int64] {
        try withAttribute(name) { attribute, type, space in
            let count = Int(H5Sget_simple_extent_npoints(space))
            guard H5Tget_class(type) == H5T_INTEGER || H5Tget_class(type) == H5T_FLOAT else {
                throw fail("attribute '\(name)' holds \(HDF5DataType(type: type)), not numbers")
            }
            try checkCellsFit(count, cellSize: max(Int(H5Tget_size(type)), 1), what: "attribute '\(name)'")
            var values = [Int64](repeating: 0, count: count)
            if count > 0 {
                try check(values.withUnsafeMutableBytes { H5Aread(attribute, H5T_NATIVE_LLONG_g, $0.baseAddress) },
                          "cannot read attribute '\(name)'")
            }
            return values
        }
    }

    private func replaceAttribute(_ name: String, type: hid_t, shape: [Int], bytes: UnsafeRawPointer?, memoryType: hid_t? = nil) throws {
        if hasAttribute(name) { try check(H5Adelete(id, name), "cannot replace attribute '\(name)'") }
        let space = makeDataspace(shape)
        defer { H5Sclose(space) }
        let attribute = H5Acreate2(id, name, type, space, H5.defaultProperties, H5.defaultProperties)
        try check(attribute, "cannot create attribute '\(name)'")
        defer { H5Aclose(attribute) }
        if shape.reduce(1, *) > 0 {
            try check(H5Awrite(attribute, memoryType ?? type, bytes), "cannot write attribute '\(name)'")
        }
    }

    /// Writes a string array attribute. Fixed-length (the default) is what Keras 2 and h5py
    /// write for lists of `bytes` (`layer_names`, `weight_names`): numpy `S<n>`, null-padded.
    /// Variable-length is what h5py writes for lists of `str`. An empty list is written as an
    /// empty float64 array, as h5py writes `np.array([])`, because Keras reads exactly that.
    public func setAttribute(_ name: String, strings: [String], variableLength: Bool = false) throws {
        if strings.isEmpty {
            try replaceAttribute(name, type: H5T_IEEE_F64LE_g, shape: [0], bytes: nil)
            return
        }
        let type = H5Tcopy(H5T_C_S1_g)
        defer { H5Tclose(type) }
        if variableLength {
            H5Tset_size(type, H5.variableLength)
            H5Tset_cset(type, H5T_CSET_UTF8)
            let cStrings = strings.map { strdup($0) }
            defer { cStrings.forEach { free($0) } }
            try cStrings.withUnsafeBytes { try replaceAttribute(name, type: type, shape: [strings.count], bytes: $0.baseAddress) }
        } else {
            let encoded = strings.map { Array($0.utf8) }
            let size = max(encoded.map(\.count).max() ?? 1, 1)
            H5Tset_size(type, size)
            H5Tset_strpad(type, H5T_STR_NULLPAD)
            var bytes = [UInt8](repeating: 0, count: size * strings.count)
            for (index, string) in encoded.enumerated() {
                bytes.replaceSubrange(index * size..<index * size + string.count, with: string)
            }
            try bytes.withUnsafeBytes { try replaceAttribute(name, type: type, shape: [strings.count], bytes: $0.baseAddress) }
        }
    }

    /// Writes a scalar fixed-length string attribute (as h5py writes a `bytes` value, the way
    /// Keras 2 writes `backend` and `keras_version`).
    public func setAttribute(_ name: String, string: String) throws {
        let bytes = Array(string.utf8)
        let type = H5Tcopy(H5T_C_S1_g)
        defer { H5Tclose(type) }
        H5Tset_size(type, max(bytes.count, 1))
        H5Tset_strpad(type, H5T_STR_NULLPAD)
        let padded = bytes.isEmpty ? [0] : bytes
        try padded.withUnsafeBytes { try replaceAttribute(name, type: type, shape: [], bytes: $0.baseAddress) }
    }

    /// Writes a scalar 64-bit integer attribute.
    public func setAttribute(_ name: String, int64: Int64) throws {
        var value = int64
        try withUnsafeBytes(of: &value) {
            try replaceAttribute(name, type: H5T_STD_I64LE_g, shape: [], bytes: $0.baseAddress, memoryType: H5T_NATIVE_LLONG_g)
        }
    }
}
