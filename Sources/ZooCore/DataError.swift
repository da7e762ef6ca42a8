/// An error in reading or preparing data. Its description names the file (and the manifest
/// line, where there is one), so that one bad image among thousands can be found.
public struct DataError: Error, CustomStringConvertible, Equatable {
    /// The file concerned, or the dataset or component when no file is involved.
    public let source: String
    /// The 1-based line of a manifest, when the error comes from one.
    public let line: Int?
    /// What was wrong.
    public let message: String

    /// An error about `source` (a file path or a component name).
    public init(_ source: String, line: Int? = nil, _ message: String) {
        self.source = source
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(source), line \(line): \(message)" }
        return "\(source): \(message)"
    }
}
