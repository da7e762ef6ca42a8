import Foundation

/// Reads one map of a config with types, recording which keys were read so that `finish()` can
/// reject the rest: a misspelled key is an error naming its path and the nearest valid keys.
public final class ConfigReader {
    public let source: String
    /// Dotted path of this map (`train.optimizer`); empty at the root.
    public let path: String
    /// The map's entries, in the document's order.
    public let entries: [(key: String, value: ConfigValue)]
    private var known = [String]()

    public init(_ value: ConfigValue, source: String, path: String = "") throws {
        self.source = source
        self.path = path
        switch value {
        case .map(let entries): self.entries = entries
        case .null: self.entries = []
        default: throw ConfigError(source: source, path: path, "must be a map of keys")
        }
    }

    /// The dotted path of `key` in this map.
    public func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// An error about `key`, naming the file and the key's path.
    public func error(_ key: String, _ message: String) -> ConfigError {
        ConfigError(source: source, path: keyPath(key), message)
    }

    /// The raw value at `key`, marking the key as known.
    public func value(_ key: String) -> ConfigValue? {
        known.append(key)
        guard let value = entries.first(where: { $0.key == key })?.value, value != .null else { return nil }
        return value
    }

    public func has(_ key: String) -> Bool { entries.contains { $0.key == key && $0.value != .null } }

    public func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard case .scalar(let text) = value else { throw error(key, "must be a single value") }
        return text
    }

    public func string(_ key: String, default fallback: String) throws -> String { try string(key) ?? fallback }

    public func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw error(key, "is required") }
        return text
    }

    /// A string that must be one of `choices`.
    public func choice(_ key: String, _ choices: [String], default fallback: String? = nil) throws -> String? {
        guard let text = try string(key) else { return fallback }
        guard choices.contains(text) else {
            throw error(key, "'\(text)' is not one of \(choices.joined(separator: ", "))" + suggestion(text, choices))
        }
        return text
    }

    public func int(_ key: String) throws -> Int? {
        guard let text = try string(key) else { return nil }
        guard let number = Int(text.replacingOccurrences(of: "_", with: "")) else { throw error(key, "'\(text)' is not an integer") }
        return number
    }

    /// An integer of at least `minimum`; nil when absent.
    public func int(_ key: String, minimum: Int) throws -> Int? {
        guard let number = try int(key) else { return nil }
        guard number >= minimum else { throw error(key, "must be at least \(minimum), got \(number)") }
        return number
    }

    public func int(_ key: String, default fallback: Int, minimum: Int? = nil) throws -> Int {
        try int(key, minimum: minimum ?? .min) ?? fallback
    }

    public func double(_ key: String) throws -> Double? {
        guard let text = try string(key) else { return nil }
        guard let number = Double(text) else { throw error(key, "'\(text)' is not a number") }
        return number
    }

    public func double(_ key: String, default fallback: Double, in range: ClosedRange<Double>? = nil) throws -> Double {
        let number = try double(key) ?? fallback
        if let range, !range.contains(number) {
            throw error(key, "must lie in \(range.lowerBound)...\(range.upperBound), got \(number)")
        }
        return number
    }

    public func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let text = try string(key) else { return fallback }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(key, "'\(text)' is not true or false")
        }
    }

    public func list(_ key: String) throws -> [ConfigValue]? {
        guard let value = value(key) else { return nil }
        guard case .list(let items) = value else { throw error(key, "must be a list") }
        return items
    }

    public func strings(_ key: String) throws -> [String]? {
        guard let items = try list(key) else { return nil }
        return try items.enumerated().map { index, item in
            guard case .scalar(let text) = item else { throw error("\(key)[\(index)]", "must be a single value") }
            return text
        }
    }

    public func ints(_ key: String) throws -> [Int]? {
        try strings(key)?.enumerated().map { index, text in
            guard let number = Int(text) else { throw error("\(key)[\(index)]", "'\(text)' is not an integer") }
            return number
        }
    }

    public func doubles(_ key: String) throws -> [Double]? {
        try strings(key)?.enumerated().map { index, text in
            guard let number = Double(text) else { throw error("\(key)[\(index)]", "'\(text)' is not a number") }
            return number
        }
    }

    /// `value`, read at `key`, or an error saying the key is required.
    public func required<Value>(_ key: String, _ value: Value?) throws -> Value {
        guard let value else { throw error(key, "is required") }
        return value
    }

    /// One of an enum's names (`CaseIterable` lists the valid ones in the error); nil when absent.
    public func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, _ type: Choice.Type = Choice.self) throws -> Choice?
    where Choice.RawValue == String {
        try choice(key, Choice.allCases.map(\.rawValue)).flatMap(Choice.init(rawValue:))
    }

    /// One of an enum's names, or `fallback` when absent.
    public func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, default fallback: Choice) throws -> Choice
    where Choice.RawValue == String {
        try choice(key, Choice.self) ?? fallback
    }

    /// An optional name: absent, empty or `none` is nil.
    public func optionalString(_ key: String, default fallback: String? = nil) throws -> String? {
        guard has(key) else {
            _ = value(key)
            return fallback
        }
        let text = try requiredString(key)
        return text.isEmpty || text.lowercased() == "none" ? nil : text
    }

    /// One integer or a list of them, each at least `minimum`; nil when absent.
    public func oneOrMoreInts(_ key: String, minimum: Int) throws -> [Int]? {
        guard let value = value(key) else { return nil }
        let texts: [(String, String)]
        if case .scalar(let text) = value {
            texts = [(key, text)]
        } else {
            texts = try (strings(key) ?? []).enumerated().map { ("\(key)[\($0)]", $1) }
        }
        return try texts.map { path, text in
            guard let number = Int(text.trimmingCharacters(in: .whitespaces)), number >= minimum else {
                throw error(path, "must be an integer of at least \(minimum), got '\(text)'")
            }
            return number
        }
    }

    /// One number or a list of them; nil when absent.
    public func oneOrMoreDoubles(_ key: String) throws -> [Double]? {
        guard let value = value(key) else { return nil }
        if case .scalar(let text) = value {
            guard let number = Double(text) else { throw error(key, "'\(text)' is not a number") }
            return [number]
        }
        return try doubles(key)
    }

    /// A nested map, or nil when absent.
    public func map(_ key: String) throws -> ConfigReader? {
        guard let value = value(key) else { return nil }
        return try ConfigReader(value, source: source, path: keyPath(key))
    }

    /// Rejects the first key that is not among `keys`, before anything is read: a misspelled
    /// key is reported as such, not as the required key it left missing.
    public func rejectKeys(notIn keys: [String]) throws {
        guard let unknown = entries.map(\.key).first(where: { !keys.contains($0) }) else { return }
        throw error(unknown, "unknown key" + suggestion(unknown, keys.sorted()) + " (valid keys here: \(keys.sorted().joined(separator: ", ")))")
    }

    /// Rejects every key that was never read.
    public func finish() throws {
        let unknown = entries.map(\.key).filter { !known.contains($0) }
        guard let first = unknown.first else { return }
        throw error(first, "unknown key" + suggestion(first, Array(Set(known)).sorted()) + " (valid keys here: \(Array(Set(known)).sorted().joined(separator: ", ")))")
    }

    func suggestion(_ text: String, _ choices: [String]) -> String { NameSuggestions.didYouMean(text, in: choices) }
}
