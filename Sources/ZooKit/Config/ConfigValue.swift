import Foundation
import Yams
import ZooCore

extension ConfigValue {
    /// Parses YAML text; `source` names the file in errors.
    public static func parse(yaml text: String, source: String) throws -> ConfigValue {
        do {
            guard let node = try Yams.compose(yaml: text) else { return .map([]) }
            return try ConfigValue(node, source: source)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(source: source, path: "", "is not valid YAML: \(error)")
        }
    }

    init(_ node: Node, source: String) throws {
        switch node {
        case .scalar(let scalar):
            let isNull = scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
            self = isNull ? .null : .scalar(scalar.string)
        case .sequence(let sequence):
            self = .list(try sequence.map { try ConfigValue($0, source: source) })
        case .mapping(let mapping):
            var entries = [(key: String, value: ConfigValue)]()
            for (key, value) in mapping {
                guard case .scalar(let name) = key else {
                    throw ConfigError(source: source, path: "", "has a key that is not a plain name")
                }
                if entries.contains(where: { $0.key == name.string }) {
                    throw ConfigError(source: source, path: name.string, "appears twice")
                }
                entries.append((name.string, try ConfigValue(value, source: source)))
            }
            self = .map(entries)
        case .alias:
            throw ConfigError(source: source, path: "", "uses a YAML alias; write the value out")
        }
    }

    /// The value as JSON text (the run directory's resolved config, and the config a
    /// checkpoint carries), written by Foundation's encoder with the types YAML gives plain
    /// scalars: integers and finite decimals as numbers, true/false as booleans, the rest as
    /// strings. Keys come out sorted; read back, the document is the same config.
    public var json: String {
        get throws { try JSONText.encode(self) }
    }
}

extension ConfigValue {
    /// The key paths whose values differ between `old` and `new`, as `path: old -> new`,
    /// compared in the form config.json writes (so `1e-3` equals `0.001`).
    public static func differences(_ old: ConfigValue, _ new: ConfigValue) throws -> [String] {
        func canonical(_ value: ConfigValue) throws -> ConfigValue {
            try ConfigValue.parse(yaml: try value.json, source: "config.json")
        }
        func text(_ value: ConfigValue?) -> String {
            switch value {
            case nil, .null?: return "unset"
            case .scalar(let text)?: return text
            // A value that cannot be written as JSON would not have been read from YAML: "?".
            case let other?: return (try? other.json)?.replacingOccurrences(of: "\n", with: "").replacingOccurrences(of: "  ", with: "") ?? "?"
            }
        }
        func walk(_ a: ConfigValue?, _ b: ConfigValue?, _ path: String, into out: inout [String]) {
            if case .map(let x)? = a, case .map(let y)? = b {
                for key in Set(x.map(\.key) + y.map(\.key)).sorted() {
                    walk(a?[key], b?[key], path.isEmpty ? key : "\(path).\(key)", into: &out)
                }
            } else if a != b, !(a == nil && b == .null), !(a == .null && b == nil) {
                out.append("\(path.isEmpty ? "config" : path): \(text(a)) -> \(text(b))")
            }
        }
        var out = [String]()
        walk(try canonical(old), try canonical(new), "", into: &out)
        return out
    }
}

