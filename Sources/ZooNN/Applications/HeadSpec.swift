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
                    let names = ActivationFunction.allCases.map(\.rawValue)
                    throw fail("unknown activation '\(word)'\(NameSuggestions.didYouMean(word, in: names)) (known: \(names.joined(separator: ", ")))")
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
                let word = words.first ?? ""
                throw fail("unknown layer '\(word)'\(NameSuggestions.didYouMean(word, in: HeadSpec.words.map { String($0.prefix { $0 != " " }) }))")
            }
        }
    }

    /// Builds the head's layers on `featureMap` and returns them with the head's output; the
    /// head must end in one vector per sample. Shapes come from the layers themselves.
    public func build(on featureMap: SymbolicTensor) throws -> (layers: [ZooCore.Layer], output: SymbolicTensor) {
        var x = featureMap
        var built = [ZooCore.Layer]()
        func describe(_ shape: [Int?]) -> String { "[" + shape.map { $0.map(String.init) ?? "None" }.joined(separator: ", ") + "]" }
        for layer in layers {
            let spatialDims = x.shape.count - 1
            let next: ZooCore.Layer
            switch layer {
            case .upSampling(let size):
                guard spatialDims >= 2 else { throw ModelError("head: up_sampling needs a feature map, got \(describe(x.shape))") }
                next = UpSampling(size: [Int](repeating: size, count: spatialDims))
            case .batchNormalization:
                next = BatchNormalization(channels: x.channels)
            case .globalAveragePooling, .globalMaxPooling:
                guard spatialDims == 2 || spatialDims == 3 else {
                    throw ModelError("head: global pooling needs a 2D or 3D feature map, got \(describe(x.shape))")
                }
                switch (layer == .globalAveragePooling, spatialDims) {
                case (true, 2): next = GlobalAveragePooling2D()
                case (true, _): next = GlobalAveragePooling3D()
                case (false, 2): next = GlobalMaxPooling2D()
                case (false, _): next = GlobalMaxPooling3D()
                }
            case .flatten:
                next = Flatten()
            case .dense(let units, let function):
                next = Dense(units: units, inputFeatures: x.channels, activation: function)
            case .dropout(let rate):
                next = Dropout(rate: rate)
            case .activation(let function):
                next = Activation(function)
            }
            x = try next(x)
            built.append(next)
        }
        guard x.shape.count == 1 else {
            throw ModelError("head ends with a feature map \(describe(x.shape)); add flatten or global_average_pooling before the last dense")
        }
        return (built, x)
    }
}