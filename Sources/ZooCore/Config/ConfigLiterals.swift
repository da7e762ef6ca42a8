/// A config written in Swift reads as its YAML does:
///
/// ```swift
/// let document: ConfigValue = [
///     "experiment": "phantom-nodules",
///     "data": ["source": "phantom", "phantom": ["kind": "lidc_nodules", "count": 120]],
///     "train": ["epochs": 2, "optimizer": ["name": "adam", "lr": 1e-3]],
/// ]
/// ```
///
/// Numbers and booleans become the text YAML would hold, so the config reads them with the
/// same checks and the same errors.
extension ConfigValue: ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral
{
    public init(dictionaryLiteral elements: (String, ConfigValue)...) { self = .map(elements.map { (key: $0.0, value: $0.1) }) }
    public init(arrayLiteral elements: ConfigValue...) { self = .list(elements) }
    public init(stringLiteral value: String) { self.init(value) }
    public init(integerLiteral value: Int) { self.init(value) }
    public init(floatLiteral value: Double) { self.init(value) }
    public init(booleanLiteral value: Bool) { self.init(value) }
    public init(nilLiteral: ()) { self = .null }
}

extension ConfigValue {
    /// A value computed in Swift (`"epochs": ConfigValue(epochs)`), held as YAML would hold it.
    public init(_ value: Int) { self = .scalar(String(value)) }
    // Swift's shortest round-trip text: 1e-3 is "0.001", read back as the same Double.
    public init(_ value: Double) { self = .scalar(value.description) }
    public init(_ value: Bool) { self = .scalar(value ? "true" : "false") }
    public init(_ value: String) { self = .scalar(value) }
}
