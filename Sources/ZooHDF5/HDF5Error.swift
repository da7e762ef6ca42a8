import CHDF5

/// An HDF5 failure, naming the file and the object path, with the messages of HDF5's own
/// error stack (innermost last), so that a broken file reads as "what, where, why".
public struct HDF5Error: Error, CustomStringConvertible, Equatable {
    /// The file's path on disk.
    public let file: String
    /// The object inside the file (`/`, `model_weights/conv2d`), empty when not about one.
    public let path: String
    /// What Zoo was doing or found.
    public let message: String
    /// HDF5's error stack, outermost first ("H5Fopen: unable to open file", ...).
    public let stack: [String]

    public init(file: String, path: String, _ message: String, stack: [String] = []) {
        self.file = file
        self.path = path
        self.message = message
        self.stack = stack
    }

    public var description: String {
        var text = "\(file)"
        if !path.isEmpty { text += ": '\(path)'" }
        text += ": \(message)"
        if !stack.isEmpty { text += " (HDF5: " + stack.joined(separator: "; ") + ")" }
        return text
    }
}

/// Brings up the library once: `H5open` (which makes the `H5T_NATIVE_*_g` globals valid, as
/// the C macros would) and silences HDF5's automatic printing of its error stack to stderr,
/// because every failure is turned into an `HDF5Error` instead.
enum HDF5Library {
    static let ready: Void = {
        H5open()
        H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
    }()

    /// Call before any HDF5 function.
    @inline(__always) static func start() { _ = ready }

    /// The current error stack's messages (outermost first), then clears it.
    static func drainErrorStack() -> [String] {
        final class Box { var messages: [String] = [] }
        let box = Box()
        let context = Unmanaged.passRetained(box).toOpaque()
        defer { Unmanaged<Box>.fromOpaque(context).release() }
        H5Ewalk2(hid_t(H5E_DEFAULT), H5E_WALK_DOWNWARD, { _, description, data in
            guard let description, let data else { return 0 }
            let box = Unmanaged<Box>.fromOpaque(data).takeUnretainedValue()
            let function = description.pointee.func_name.map { String(cString: $0) } ?? "?"
            let text = description.pointee.desc.map { String(cString: $0) } ?? ""
            box.messages.append("\(function): \(text)")
            return 0
        }, context)
        H5Eclear2(hid_t(H5E_DEFAULT))
        return box.messages
    }

    /// Throws an `HDF5Error` with the error stack when `status` is negative (HDF5's failure).
    @discardableResult
    static func check<T: BinaryInteger>(_ status: T, file: String, path: String, _ message: @autoclosure () -> String) throws -> T {
        if status < 0 { throw HDF5Error(file: file, path: path, message(), stack: drainErrorStack()) }
        return status
    }
}

/// Constants that the C headers define as macros Swift cannot import.
enum H5 {
    static let defaultProperties = hid_t(H5P_DEFAULT)
    static let all = hid_t(0)  // H5S_ALL
    static let readOnly: UInt32 = 0x0000  // H5F_ACC_RDONLY
    static let readWrite: UInt32 = 0x0001  // H5F_ACC_RDWR
    static let truncate: UInt32 = 0x0002  // H5F_ACC_TRUNC
    static let variableLength = Int(bitPattern: UInt(bitPattern: -1))  // H5T_VARIABLE
}
