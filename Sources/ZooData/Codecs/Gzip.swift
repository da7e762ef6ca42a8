import CInflate
import Foundation
import ZooCore

/// gzip streams through zlib, in memory.
enum Gzip {
    /// Whether `data` starts with the gzip signature.
    static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// Inflates a gzip stream (concatenated members included). A truncated or corrupt stream
    /// is an error naming `source`. `limit` bounds the output, so a corrupt length cannot
    /// exhaust memory.
    static func decompress(_ data: Data, source: String, limit: Int = 1 << 32) throws -> Data {
        var stream = z_stream()
        // 15 + 32: a zlib or gzip header, detected automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(source, "zlib: cannot initialize inflate")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        let input = [UInt8](data)
        var status: Int32 = Z_OK
        try input.withUnsafeBufferPointer { inBuffer in
            stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
            stream.avail_in = uInt(inBuffer.count)
            while true {
                try chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = uInt(outBuffer.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                        let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                        throw DataError(source, "corrupt gzip stream: \(reason)")
                    }
                    output.append(outBuffer.baseAddress!, count: outBuffer.count - Int(stream.avail_out))
                }
                if output.count > limit { throw DataError(source, "gzip stream inflates beyond \(limit) bytes") }
                if status == Z_STREAM_END {
                    // Another gzip member may follow (as `cat a.gz b.gz` makes).
                    if stream.avail_in > 0 && inflateReset(&stream) == Z_OK { continue }
                    break
                }
                if status == Z_BUF_ERROR {
                    throw DataError(source, "gzip stream is truncated")
                }
            }
        }
        return output
    }

    /// Compresses `data` as a gzip stream.
    static func compress(_ data: Data, level: Int32 = 6) throws -> Data {
        var stream = z_stream()
        // 15 + 16: write a gzip header and trailer.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError("gzip", "zlib: cannot initialize deflate")
        }
        defer { deflateEnd(&stream) }
        var input = [UInt8](data)
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        input.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            var status: Int32 = Z_OK
            while status != Z_STREAM_END {
                chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = uInt(outBuffer.count)
                    status = deflate(&stream, Z_FINISH)
                    output.append(outBuffer.baseAddress!, count: outBuffer.count - Int(stream.avail_out))
                }
            }
        }
        return output
    }
}

extension Gzip {
    /// A zlib-format (not gzip) stream, as PNG's IDAT holds; for building test files.
    static func zlibCompress(_ bytes: [UInt8]) -> [UInt8] {
        var size = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(size))
        _ = compress2(&out, &size, bytes, uLong(bytes.count), 6)
        return Array(out.prefix(Int(size)))
    }

    /// CRC-32 as PNG chunks use it.
    static func crc(_ bytes: [UInt8]) -> UInt32 {
        UInt32(crc32(0, bytes, uInt(bytes.count)))
    }
}
