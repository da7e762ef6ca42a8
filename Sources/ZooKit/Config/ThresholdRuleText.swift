import ZooCore
import ZooMetrics

extension ThresholdRule {
    /// `eval.threshold` as a config writes it: a probability in 0...1, `youden`, or
    /// `sensitivity:S`.
    public init(configText text: String, file: String = "config", path: String = "eval.threshold") throws {
        if text == "youden" {
            self = .youden
        } else if text.hasPrefix("sensitivity:"), let target = Double(text.dropFirst("sensitivity:".count)), (0...1).contains(target) {
            self = .sensitivity(target)
        } else if let value = Double(text), (0...1).contains(value) {
            self = .fixed(value)
        } else {
            throw ConfigError(source: file, path: path, "'\(text)' is not a probability in 0...1, youden, or sensitivity:S")
        }
    }

    /// The rule as a config writes it (and as reports and metrics.json name it).
    public var configText: String {
        switch self {
        case .fixed(let value): return "\(value)"
        case .youden: return "youden"
        case .sensitivity(let target): return "sensitivity:\(target)"
        }
    }
}
