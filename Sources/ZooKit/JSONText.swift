import Foundation

/// JSON files of a run (metrics, timing, the resolved config) written by Foundation's
/// encoder: pretty, keys sorted (Foundation does not keep the order of a keyed container),
/// numbers at full precision.
enum JSONText {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}
