import ZooCore
import ZooTensor

/// A custom classification head as data, built on a backbone's feature map. The CT paper's
/// head: `[.upSampling(4), .batchNormalization, .globalAveragePooling, .dense(512, .relu),
/// .dropout(0.5), .dense(2, .softmax)]`. In a config each layer is a string such as
/// `up_sampling 4`, `batch_norm`, `dense 512 relu`, `dropout 0.5`.
public struct HeadSpec: Sendable, Equatable {
    public enum Layer: Sendable, Equatable {
        case upSampling(Int)
        case batchNormalization
        case globalAveragePooling
        case globalMaxPooling
        case flatten
        case dense(Int, ActivationFunction)
        case dropout(Float)
        case activation(ActivationFunction)
    }

    public let layers: [Layer]

    public init(_ layers: [Layer]) { self.layers = layers }

    /// Layer words a config may use, for error messages.
    public static let words = [
        "up_sampling N", "batch_norm", "global_average_pooling", "global_max_pooling", "flatten",
        "dense UNITS [ACTIVATION]", "dropout RATE", "activation NAME",
    ]

    /// Parses `["up_sampling 4", "batch_norm", "dense 512 relu", ...]`.
    public init(parsing lines: [String]) throws {
        layers = try lines.enumerated().map { index, line in
            let words = line.split(separator: " ").map(String.init)
            func fail(_ why: String) -> ModelError {
                ModelError("head layer \(index + 1) '\(line)': \(why); known layers: \(HeadSpec.words.joined(separator: ", "))")
            }
            func activation(_ word: String) throws -> ActivationFunction {
                guard let function = ActivationFunction(rawValue: word) else {
                    throw fail("unknown activation '\(word)' (known: \(ActivationFunction.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return function
            }
            switch words.first {
            case "up_sampling":
                guard words.count == 2, let size = Int(words[1]), size > 0 else { throw fail("needs a positive size") }
                return .upSampling(size)
            case "batch_norm": return .batchNormalization
            case "global_average_pooling": return .globalAveragePooling
            case "global_max_pooling": return .globalMaxPooling
            case "flatten": return .flatten
            case "dense":
                guard words.count >= 2, words.count <= 3, let units = Int(words[1]), units > 0 else {
                    throw fail("needs a positive unit count")
                }
                return .dense(units, words.count == 3 ? try activation(words[2]) : .linear)
            case "dropout":
                guard words.count == 2, let rate = Float(words[1]), rate >= 0, rate < 1 else {
                    throw fail("needs a rate in [0, 1)")
                }
                return .dropout(rate)
            case "activation":
                guard words.count == 2 else { throw fail("needs a function name") }
                return .activation(try activation(words[1]))
            default:
                throw fail("unknown layer")
            }
        }
    }

    /// Builds the head's layers for a feature map of `shape` (batch axis excluded); the head
    /// must end in one vector per sample.
    public func build(featureShape shape: [Int]) throws -> [ZooCore.Layer] {
        var shape = shape
        var built = [ZooCore.Layer]()
        for layer in layers {
            switch layer {
            case .upSampling(let size):
                guard shape.count >= 3 else { throw ModelError("head: up_sampling needs a feature map, got \(shape)") }
                let spatial = shape.count - 1
                built.append(UpSampling(size: [Int](repeating: size, count: spatial)))
                shape = shape.dropLast().map { $0 * size } + [shape.last!]
            case .batchNormalization:
                built.append(BatchNormalization(channels: shape.last!))
            case .globalAveragePooling, .globalMaxPooling:
                guard shape.count == 3 || shape.count == 4 else {
                    throw ModelError("head: global pooling needs a 2D or 3D feature map, got \(shape)")
                }
                let average = layer == .globalAveragePooling
                switch (average, shape.count) {
                case (true, 3): built.append(GlobalAveragePooling2D())
                case (true, _): built.append(GlobalAveragePooling3D())
                case (false, 3): built.append(GlobalMaxPooling2D())
                case (false, _): built.append(GlobalMaxPooling3D())
                }
                shape = [shape.last!]
            case .flatten:
                built.append(Flatten())
                shape = [shape.reduce(1, *)]
            case .dense(let units, let function):
                built.append(Dense(units: units, inputFeatures: shape.last!, activation: function))
                shape = shape.dropLast() + [units]
            case .dropout(let rate):
                built.append(Dropout(rate: rate))
            case .activation(let function):
                built.append(Activation(function))
            }
        }
        guard shape.count == 1 else {
            throw ModelError("head ends with a feature map \(shape); add flatten or global_average_pooling before the last dense")
        }
        return built
    }
}
