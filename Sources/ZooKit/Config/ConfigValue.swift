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

    /// The value as JSON text, keys in their order (the run directory's resolved config, and
    /// the config a checkpoint carries). Scalars stay strings: the typed reading is the
    /// config's, not the file's.
    public var json: String {
        func quoted(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
                }
            }
            return out + "\""
        }
        func render(_ value: ConfigValue, _ indent: String) -> String {
            let inner = indent + "  "
            switch value {
            case .null: return "null"
            case .scalar(let text): return quoted(text)
            case .list(let items):
                if items.isEmpty { return "[]" }
                return "[\n" + items.map { inner + render($0, inner) }.joined(separator: ",\n") + "\n\(indent)]"
            case .map(let entries):
                if entries.isEmpty { return "{}" }
                return "{\n" + entries.map { inner + quoted($0.key) + ": " + render($0.value, inner) }.joined(separator: ",\n") + "\n\(indent)}"
            }
        }
        return render(self, "") + "\n"
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
