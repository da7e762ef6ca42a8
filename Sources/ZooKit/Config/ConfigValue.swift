import Foundation
import Yams

/// A parsed config document: maps keep their key order, scalars keep their text until a
/// reader asks for a type, so that errors can quote what the user wrote.
public indirect enum ConfigValue: Equatable, Sendable {
    case map([(key: String, value: ConfigValue)])
    case list([ConfigValue])
    case scalar(String)
    case null

    public static func == (a: ConfigValue, b: ConfigValue) -> Bool {
        switch (a, b) {
        case (.map(let x), .map(let y)): return x.map(\.key) == y.map(\.key) && zip(x, y).allSatisfy { $0.value == $1.value }
        case (.list(let x), .list(let y)): return x == y
        case (.scalar(let x), .scalar(let y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }

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

    /// This map's value for `key`, if this is a map holding it.
    public subscript(key: String) -> ConfigValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// `overlay` laid over this value: maps merge key by key, anything else is replaced.
    public func merged(with overlay: ConfigValue) -> ConfigValue {
        guard case .map(var base) = self, case .map(let top) = overlay else { return overlay }
        for (key, value) in top {
            if let index = base.firstIndex(where: { $0.key == key }) {
                base[index].value = base[index].value.merged(with: value)
            } else {
                base.append((key, value))
            }
        }
        return .map(base)
    }

    /// Sets the value at a dotted path (`train.optimizer.lr`), creating maps on the way.
    public func setting(_ path: [String], to value: ConfigValue) -> ConfigValue {
        guard let first = path.first else { return value }
        var entries: [(key: String, value: ConfigValue)]
        if case .map(let existing) = self { entries = existing } else { entries = [] }
        let rest = Array(path.dropFirst())
        if let index = entries.firstIndex(where: { $0.key == first }) {
            entries[index].value = entries[index].value.setting(rest, to: value)
        } else {
            entries.append((first, ConfigValue.null.setting(rest, to: value)))
        }
        return .map(entries)
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

extension ConfigValue: Encodable {
    public func encode(to encoder: Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .scalar(let text):
            var container = encoder.singleValueContainer()
            if let integer = Int(text) {
                try container.encode(integer)
            } else if let number = ConfigValue.decimal(text) {
                try container.encode(number)
            } else if text == "true" || text == "false" {
                try container.encode(text == "true")
            } else {
                try container.encode(text)
            }
        case .list(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .map(let entries):
            var container = encoder.container(keyedBy: JSONKey.self)
            for (key, value) in entries { try container.encode(value, forKey: JSONKey(key)) }
        }
    }

    /// A finite decimal number written as YAML writes one (`0.5`, `1e-3`, `-2.`); not hex
    /// floats, infinities or NaN, which stay text.
    static func decimal(_ text: String) -> Double? {
        guard let first = text.first, "+-.0123456789".contains(first), !text.lowercased().contains("x"),
            let value = Double(text), value.isFinite
        else { return nil }
        return value
    }
}

/// A config error: the file, the key path and what is wrong.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let source: String
    public let path: String
    public let message: String

    public init(source: String, path: String, _ message: String) {
        self.source = source
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? "\(source): \(message)" : "\(source): \(path): \(message)" }
}

extension ConfigValue {
    /// The map without `key`.
    func removing(_ key: String) -> ConfigValue {
        guard case .map(let entries) = self else { return self }
        return .map(entries.filter { $0.key != key })
    }
}
