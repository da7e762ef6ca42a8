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
            var container = encoder.container(keyedBy: DynamicCodingKey.self)
            for (key, value) in entries { try container.encode(value, forKey: DynamicCodingKey(key)) }
        }
    }

    /// A finite decimal number written as YAML writes one (`0.5`, `1e-3`, `-2.`); not hex
    /// floats, infinities or NaN, which stay text.
    public static func decimal(_ text: String) -> Double? {
        guard let first = text.first, "+-.0123456789".contains(first), !text.lowercased().contains("x"),
            let value = Double(text), value.isFinite
        else { return nil }
        return value
    }
}

/// A coding key named at run time (maps whose keys are data: config sections, metric names).
public struct DynamicCodingKey: CodingKey {
    public let stringValue: String
    public var intValue: Int? { nil }
    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
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
    public func removing(_ key: String) -> ConfigValue {
        guard case .map(let entries) = self else { return self }
        return .map(entries.filter { $0.key != key })
    }
}
