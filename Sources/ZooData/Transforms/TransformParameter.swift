import ZooCore

/// A value in a transform's configuration (what a YAML config holds): a number, a list of
/// numbers, a string or a flag.
public enum TransformParameter: Equatable, Sendable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral
{
    case number(Double)
    case numbers([Double])
    case string(String)
    case flag(Bool)

    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .flag(value) }
    public init(arrayLiteral elements: Double...) { self = .numbers(elements) }
}

/// Typed access to a transform's parameters, with errors that name the transform and key.
struct Parameters {
    let transform: String
    let values: [String: TransformParameter]
    private(set) var used: Set<String> = []

    init(_ transform: String, _ values: [String: TransformParameter]) {
        self.transform = transform
        self.values = values
    }

    func error(_ message: String) -> DataError { DataError("transform '\(transform)'", message) }

    mutating func number(_ key: String, _ fallback: Double? = nil) throws -> Double {
        used.insert(key)
        switch values[key] {
        case .number(let v)?: return v
        case .numbers(let v)? where v.count == 1: return v[0]
        case nil: if let fallback { return fallback }; throw error("missing parameter '\(key)'")
        default: throw error("parameter '\(key)' must be a number")
        }
    }

    mutating func numbers(_ key: String, _ fallback: [Double]? = nil) throws -> [Double] {
        used.insert(key)
        switch values[key] {
        case .numbers(let v)?: return v
        case .number(let v)?: return [v]
        case nil: if let fallback { return fallback }; throw error("missing parameter '\(key)'")
        default: throw error("parameter '\(key)' must be a list of numbers")
        }
    }

    mutating func integers(_ key: String, _ fallback: [Int]? = nil) throws -> [Int] {
        try numbers(key, fallback.map { $0.map(Double.init) }).map { Int($0) }
    }

    mutating func string(_ key: String, _ fallback: String? = nil) throws -> String {
        used.insert(key)
        switch values[key] {
        case .string(let v)?: return v
        case nil: if let fallback { return fallback }; throw error("missing parameter '\(key)'")
        default: throw error("parameter '\(key)' must be a string")
        }
    }

    mutating func flag(_ key: String, _ fallback: Bool) throws -> Bool {
        used.insert(key)
        switch values[key] {
        case .flag(let v)?: return v
        case .number(let v)?: return v != 0
        case nil: return fallback
        default: throw error("parameter '\(key)' must be true or false")
        }
    }

    /// Throws if the configuration holds keys the transform did not read (a typo would
    /// otherwise be silently ignored).
    func checkAllUsed() throws {
        let unknown = Set(values.keys).subtracting(used)
        if !unknown.isEmpty { throw error("unknown parameters \(unknown.sorted()); known: \(used.sorted())") }
    }
}
