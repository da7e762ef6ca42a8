import Foundation

/// Readers that open files by path (HDF5, zip) get the fuzz input through one file per
/// process, rewritten for every input: creating a new name each time would fill the
/// temporary folder during a long run.
public enum TemporaryFile {
    private static let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("zoo-fuzz-\(ProcessInfo.processInfo.processIdentifier)")

    /// Writes `bytes` to this process's file (named with `suffix`) and hands its URL to `body`.
    public static func with(_ bytes: UnsafeRawBufferPointer, suffix: String, _ body: (URL) -> Void) {
        let file = url.appendingPathExtension(suffix)
        // A failed write is a broken machine, not a finding: stop loudly.
        guard FileManager.default.createFile(atPath: file.path, contents: Data(bytes)) else {
            fatalError("cannot write the fuzz input to \(file.path)")
        }
        body(file)
    }
}
