import CHDF5
import Foundation

/// An open HDF5 file. Objects opened from it keep it alive; the handle closes when the last
/// one goes (or at `close()`).
///
/// HDF5's serial build is not thread-safe: use a file, and HDF5 in general, from one thread
/// at a time.
public final class HDF5File {
    /// Where the file is.
    public let url: URL
    let id: hid_t
    private var isOpen = true

    private init(url: URL, id: hid_t) {
        self.url = url
        self.id = id
    }

    /// Opens an existing file, read-only unless `writable`. A file that is not HDF5 at all is
    /// told apart from an HDF5 file that HDF5 cannot read (truncated, damaged).
    public static func open(_ url: URL, writable: Bool = false) throws -> HDF5File {
        HDF5Library.start()
        let path = url.path
        if let problem = InputFile.problem(url) {
            throw HDF5Error(file: path, path: "", problem)
        }
        let signature = H5Fis_hdf5(path)
        if signature == 0 {
            _ = HDF5Library.drainErrorStack()
            throw HDF5Error(file: path, path: "", "not an HDF5 file (no HDF5 signature)")
        }
        let id = H5Fopen(path, writable ? H5.readWrite : H5.readOnly, H5.defaultProperties)
        try HDF5Library.check(id, file: path, path: "/", "cannot open the HDF5 file (truncated or damaged?)")
        return HDF5File(url: url, id: id)
    }

    /// Creates a file, replacing any file at `url`.
    ///
    /// `largeAttributes` writes the file in HDF5's 1.8 format (object header version 2), whose
    /// dense attribute storage takes attributes over 64 KiB: a whole model's `model_config`.
    /// Every HDF5 since 1.8 (2008), h5py and Keras read it.
    public static func create(_ url: URL, largeAttributes: Bool = false) throws -> HDF5File {
        HDF5Library.start()
        var access = H5.defaultProperties
        if largeAttributes {
            access = H5Pcreate(H5P_CLS_FILE_ACCESS_ID_g)
            try HDF5Library.check(access, file: url.path, path: "/", "cannot create file access properties")
            // H5F_LIBVER_LATEST is a macro: the last version before the enumeration's end.
            let latest = H5F_libver_t(rawValue: H5F_LIBVER_NBOUNDS.rawValue - 1)
            try HDF5Library.check(
                H5Pset_libver_bounds(access, H5F_LIBVER_V18, latest), file: url.path, path: "/",
                "cannot choose the HDF5 1.8 format")
        }
        defer { if access != H5.defaultProperties { H5Pclose(access) } }
        let id = H5Fcreate(url.path, H5.truncate, H5.defaultProperties, access)
        try HDF5Library.check(id, file: url.path, path: "/", "cannot create the file")
        return HDF5File(url: url, id: id)
    }

    /// The root group `/`.
    public var root: HDF5Group {
        get throws {
            let group = H5Gopen2(id, "/", H5.defaultProperties)
            try HDF5Library.check(group, file: url.path, path: "/", "cannot open the root group")
            return HDF5Group(file: self, id: group, path: "")
        }
    }

    /// Writes everything buffered to disk (the checkpoint writer flushes before renaming).
    public func flush() throws {
        try HDF5Library.check(H5Fflush(id, H5F_SCOPE_GLOBAL), file: url.path, path: "/", "cannot flush")
    }

    /// Closes the file now. Objects still open from it keep the handle until they go.
    public func close() throws {
        guard isOpen else { return }
        isOpen = false
        try HDF5Library.check(H5Fclose(id), file: url.path, path: "/", "cannot close")
    }

    deinit {
        if isOpen { H5Fclose(id) }
    }
}

/// What an HDF5 link points to.
public enum HDF5ObjectKind: Sendable, Equatable {
    case group, dataset, other
}

/// A group or a dataset: a handle, its file and its path (for error messages).
public class HDF5Object {
    /// The file the object lives in (kept alive by the object).
    public let file: HDF5File
    let id: hid_t
    /// The object's path from the root, without the leading `/` (the root is "").
    public let path: String

    init(file: HDF5File, id: hid_t, path: String) {
        self.file = file
        self.id = id
        self.path = path
    }

    deinit { H5Oclose(id) }

    /// The path of a member, for messages and for the objects opened from this one.
    func child(_ name: String) -> String { path.isEmpty ? name : path + "/" + name }

    func fail(_ message: String, at name: String? = nil) -> HDF5Error {
        HDF5Error(file: file.url.path, path: name.map(child) ?? (path.isEmpty ? "/" : path), message,
                  stack: HDF5Library.drainErrorStack())
    }

    func check<T: BinaryInteger>(_ status: T, _ message: @autoclosure () -> String, at name: String? = nil) throws {
        if status < 0 { throw fail(message(), at: name) }
    }
}

/// A group: members by name, nested groups and datasets.
public final class HDF5Group: HDF5Object {
    /// The names of the direct members, in HDF5's name order (byte-wise).
    public func memberNames() throws -> [String] {
        final class Box { var names: [String] = [] }
        let box = Box()
        let context = Unmanaged.passRetained(box).toOpaque()
        defer { Unmanaged<Box>.fromOpaque(context).release() }
        var index: hsize_t = 0
        let status = H5Literate(id, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, data in
            guard let name, let data else { return 0 }
            Unmanaged<Box>.fromOpaque(data).takeUnretainedValue().names.append(String(cString: name))
            return 0
        }, context)
        try check(status, "cannot list the members")
        return box.names
    }

    /// What `path` (relative, may contain `/`) points to, or nil when nothing does. Checks
    /// each component in turn, because HDF5 fails rather than answers "no" on a missing
    /// intermediate group.
    public func kind(of path: String) -> HDF5ObjectKind? {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += prefix.isEmpty ? String(component) : "/" + component
            if H5Lexists(id, prefix, H5.defaultProperties) <= 0 {
                _ = HDF5Library.drainErrorStack()
                return nil
            }
        }
        let object = H5Oopen(id, path, H5.defaultProperties)
        guard object >= 0 else {
            _ = HDF5Library.drainErrorStack()
            return nil
        }
        defer { H5Oclose(object) }
        switch H5Iget_type(object) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    /// Whether anything exists at `path`.
    public func contains(_ path: String) -> Bool { kind(of: path) != nil }

    /// The group at `path`.
    public func group(_ path: String) throws -> HDF5Group {
        guard kind(of: path) == .group else {
            throw HDF5Error(file: file.url.path, path: child(path), contains(path) ? "is not a group" : "no such group")
        }
        let group = H5Gopen2(id, path, H5.defaultProperties)
        try check(group, "cannot open the group", at: path)
        return HDF5Group(file: file, id: group, path: child(path))
    }

    /// The dataset at `path`.
    public func dataset(_ path: String) throws -> HDF5Dataset {
        guard kind(of: path) == .dataset else {
            throw HDF5Error(file: file.url.path, path: child(path), contains(path) ? "is not a dataset" : "no such dataset")
        }
        let dataset = H5Dopen2(id, path, H5.defaultProperties)
        try check(dataset, "cannot open the dataset", at: path)
        return HDF5Dataset(file: file, id: dataset, path: child(path))
    }

    /// Creates a group at `path`, with any missing intermediate groups; an existing group is
    /// returned as it is.
    @discardableResult
    public func createGroup(_ path: String) throws -> HDF5Group {
        if kind(of: path) == .group { return try group(path) }
        let properties = try linkCreationProperties()
        defer { H5Pclose(properties) }
        let group = H5Gcreate2(id, path, properties, H5.defaultProperties, H5.defaultProperties)
        try check(group, "cannot create the group", at: path)
        return HDF5Group(file: file, id: group, path: child(path))
    }

    /// The relative paths of every dataset below this group, depth first in name order.
    public func datasetPaths() throws -> [String] {
        var result = [String]()
        for name in try memberNames() {
            switch kind(of: name) {
            case .dataset: result.append(name)
            case .group: result += try group(name).datasetPaths().map { name + "/" + $0 }
            default: break
            }
        }
        return result
    }

    /// Link-creation properties that create missing intermediate groups, so that dataset
    /// names with `/` in them (`conv2d/kernel:0`) work as Keras's h5py calls do.
    func linkCreationProperties() throws -> hid_t {
        let properties = H5Pcreate(H5P_CLS_LINK_CREATE_ID_g)
        try check(properties, "cannot create link properties")
        try check(H5Pset_create_intermediate_group(properties, 1), "cannot set link properties")
        return properties
    }
}
