import CHDF5
import Foundation

/// Refuses, before anything is allocated for them, datasets and attributes that declare more
/// data than their file can hold. An HDF5 header is a few bytes that can claim 10^12
/// elements; reading such a dataset would ask for terabytes and end the process instead of
/// reporting a damaged file.
enum HDF5SizeLimits {
    /// No single read takes more than this (16 GiB), whatever the file claims.
    static let maximumReadBytes = 1 << 34
    /// deflate, HDF5's usual filter, cannot exceed about 1032:1; a filtered dataset that
    /// claims more than this ratio over the whole file is damaged.
    static let maximumCompressionRatio = 1100

    /// The product of `extents`, or nil when it overflows an Int.
    static func elementCount(_ extents: [Int]) -> Int? {
        var count = 1
        for extent in extents {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            if overflow { return nil }
            count = product
        }
        return count
    }
}

extension HDF5Dataset {
    /// The number of elements after checking that the file can hold them: their stored size
    /// (with the file's element size) must fit in the file, or within deflate's ratio of it
    /// when the dataset is filtered, and their size in memory (`memoryElementSize` bytes
    /// each) within `HDF5SizeLimits.maximumReadBytes`.
    func checkedCount(memoryElementSize: Int) throws -> Int {
        let extents = shape
        let fileSize = max(Int(clamping: InputFile.size(file.url)), 1)
        guard let count = HDF5SizeLimits.elementCount(extents) else {
            throw fail("declares \(extents) elements, more than can be counted (damaged file?)")
        }
        let type = H5Dget_type(id)
        let storedElementSize = max(Int(H5Tget_size(type)), 1)
        H5Tclose(type)
        let properties = H5Dget_create_plist(id)
        let filters = properties >= 0 ? Int(H5Pget_nfilters(properties)) : 0
        if properties >= 0 { H5Pclose(properties) }
        let (storedBytes, storedOverflow) = count.multipliedReportingOverflow(by: storedElementSize)
        let (memoryBytes, memoryOverflow) = count.multipliedReportingOverflow(by: memoryElementSize)
        let allowed = filters > 0 ? fileSize.multipliedReportingOverflow(by: HDF5SizeLimits.maximumCompressionRatio).partialValue : fileSize
        if storedOverflow || storedBytes > allowed {
            throw fail("declares \(extents) = \(count) elements (\(storedOverflow ? "more than Int.max" : String(storedBytes)) bytes\(filters > 0 ? " uncompressed" : "")) but the file has only \(fileSize) bytes (damaged or hostile file)")
        }
        if memoryOverflow || memoryBytes > HDF5SizeLimits.maximumReadBytes {
            throw fail("declares \(extents) = \(count) elements, more than \(HDF5SizeLimits.maximumReadBytes >> 30) GiB in memory")
        }
        return count
    }
}

extension HDF5Object {
    /// Checks that an attribute or string dataset of `count` cells of `cellSize` bytes in the
    /// file (a variable-length string's cell is at least 16 bytes: a length and a heap
    /// reference) fits in the file, before cells are allocated for it.
    func checkCellsFit(_ count: Int, cellSize: Int, what: String) throws {
        let fileSize = max(Int(clamping: InputFile.size(file.url)), 1)
        let (bytes, overflow) = count.multipliedReportingOverflow(by: max(cellSize, 1))
        if count < 0 || overflow || bytes > fileSize {
            throw fail("\(what) declares \(count) cells of \(cellSize) bytes but the file has only \(fileSize) bytes (damaged or hostile file)")
        }
    }
}
