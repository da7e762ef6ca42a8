import Foundation
import ZIPFoundation

/// Opens `.keras` (zip) archives defensively. Every entry is checked before anything is
/// extracted: a name that climbs out of the archive's folder (`../x`, `/etc/x`), a symbolic
/// link, or a declared size or compression ratio no model file has refuses the whole
/// archive. Extraction then counts the bytes it receives and stops at the declared size, so a
/// central directory that lies about sizes cannot inflate a bomb either.
enum KerasArchive {
    /// The largest entry accepted (64 GiB: far above any model's weights, far below a bomb's
    /// claims).
    static let maximumEntryBytes: UInt64 = 1 << 36
    /// The largest JSON entry read into memory (`config.json`, `metadata.json`).
    static let maximumJSONBytes: UInt64 = 1 << 28
    /// deflate cannot exceed about 1032:1; an entry that claims more is a bomb.
    static let maximumCompressionRatio: UInt64 = 1100

    /// The archive at `url` with every entry checked (see the type's description).
    static func open(_ url: URL) throws -> Archive {
        if let problem = InputFile.problem(url) {
            throw WeightLoadError(file: url.path, problems: [problem])
        }
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw WeightLoadError(file: url.path, problems: ["not a readable zip archive: \(error)"])
        }
        let problems = archive.compactMap { entry in problem(with: entry).map { "\(entry.path): \($0)" } }
        if !problems.isEmpty {
            throw WeightLoadError(file: url.path, problems: problems + ["refusing the archive; nothing was extracted"])
        }
        return archive
    }

    /// Why `entry` must not be extracted, or nil.
    static func problem(with entry: Entry) -> String? {
        let path = entry.path
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if path.hasPrefix("/") || path.hasPrefix("\\") || path.contains(":") {
            return "absolute entry name"
        }
        if components.contains("..") || path.split(separator: "\\").contains("..") {
            return "entry name climbs out of the archive's folder"
        }
        if entry.type == .symlink { return "symbolic link entries are not extracted" }
        let size = entry.uncompressedSize
        if size > maximumEntryBytes {
            return "declares \(size) bytes uncompressed, more than the \(maximumEntryBytes >> 30) GiB limit"
        }
        if entry.isCompressed, size > 0 {
            let compressed = max(entry.compressedSize, 1)
            if size / compressed > maximumCompressionRatio {
                return "declares \(size) bytes from \(entry.compressedSize) compressed, a ratio of \(size / compressed):1 (a zip bomb?)"
            }
        }
        return nil
    }

    /// An entry's bytes in memory (a JSON file), at most `maximumJSONBytes`.
    static func read(_ name: String, from archive: Archive, of url: URL) throws -> Data? {
        guard let entry = archive[name] else { return nil }
        guard entry.uncompressedSize <= maximumJSONBytes else {
            throw WeightLoadError(file: url.path, problems: ["\(name): declares \(entry.uncompressedSize) bytes, more than the \(maximumJSONBytes >> 20) MiB read into memory"])
        }
        var data = Data()
        try extract(entry, from: archive, of: url) { data.append($0) }
        return data
    }

    /// Copies an entry to a new file at `destination` (a temporary file of the caller's).
    static func copy(_ entry: Entry, from archive: Archive, of url: URL, to destination: URL) throws {
        guard FileManager.default.createFile(atPath: destination.path, contents: nil) else {
            throw WeightLoadError(file: url.path, problems: ["\(entry.path): cannot create the temporary file \(destination.path)"])
        }
        do {
            let handle = try FileHandle(forWritingTo: destination)
            defer { try? handle.close() }  // a failed close shows up as a short file HDF5 refuses
            try extract(entry, from: archive, of: url) { try handle.write(contentsOf: $0) }
        } catch let error as WeightLoadError {
            throw error
        } catch {
            throw WeightLoadError(file: url.path, problems: ["\(entry.path): cannot write the temporary file \(destination.path): \(error.localizedDescription)"])
        }
    }

    /// Extracts through `consumer`, refusing more bytes than the entry declared.
    private static func extract(_ entry: Entry, from archive: Archive, of url: URL, _ consumer: (Data) throws -> Void) throws {
        struct Overrun: Error {}
        let declared = entry.uncompressedSize
        var received: UInt64 = 0
        do {
            _ = try archive.extract(entry) { chunk in
                received += UInt64(chunk.count)
                if received > declared { throw Overrun() }
                try consumer(chunk)
            }
        } catch is Overrun {
            throw WeightLoadError(file: url.path, problems: ["\(entry.path): inflates beyond its declared \(declared) bytes (a zip bomb?); extraction stopped"])
        } catch let error as WeightLoadError {
            throw error
        } catch {
            throw WeightLoadError(file: url.path, problems: ["\(entry.path): cannot extract: \(error)"])
        }
    }
}
