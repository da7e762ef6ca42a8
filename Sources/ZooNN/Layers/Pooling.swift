import ZooCore
import ZooTensor

/// Keras `MaxPooling2D/3D` and `AveragePooling2D/3D`. Strides default to the pool size.
public class Pooling: Layer {
    public enum Kind: Sendable { case max, average }
    public let kind: Kind
    public let spatialDims: Int
    public let poolSize: [Int]
    public let strides: [Int]
    public let padding: Padding

    init(kind: Kind, spatialDims: Int, poolSize: [Int], strides: [Int]?, padding: Padding, name: String?) {
        self.kind = kind
        self.spatialDims = spatialDims
        self.poolSize = spatial(poolSize, spatialDims)
        self.strides = spatial(strides ?? poolSize, spatialDims)
        self.padding = padding
        let base = (kind == .max ? "max_pooling" : "average_pooling") + "\(spatialDims)d"
        super.init(named: name ?? BuildContext.automaticName(base))
    }

    public override var kerasClassName: String { (kind == .max ? "MaxPooling" : "AveragePooling") + "\(spatialDims)D" }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: spatialDims, channels: nil)
        return try windowedShape(
            shape, kernel: poolSize, strides: strides, dilations: [Int](repeating: 1, count: spatialDims), padding: padding,
            channels: shape.last.flatMap { $0 } ?? 0)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        switch (kind, spatialDims) {
        case (.max, 2): return try maxPool2d(x, poolSize: poolSize, strides: strides, padding: padding)
        case (.max, _): return try maxPool3d(x, poolSize: poolSize, strides: strides, padding: padding)
        case (.average, 2): return try avgPool2d(x, poolSize: poolSize, strides: strides, padding: padding)
        case (.average, _): return try avgPool3d(x, poolSize: poolSize, strides: strides, padding: padding)
        }
    }
}

public final class MaxPooling2D: Pooling {
    public init(poolSize: [Int] = [2], strides: [Int]? = nil, padding: Padding = .valid, name: String? = nil) {
        super.init(kind: .max, spatialDims: 2, poolSize: poolSize, strides: strides, padding: padding, name: name)
    }
}

public final class MaxPooling3D: Pooling {
    public init(poolSize: [Int] = [2], strides: [Int]? = nil, padding: Padding = .valid, name: String? = nil) {
        super.init(kind: .max, spatialDims: 3, poolSize: poolSize, strides: strides, padding: padding, name: name)
    }
}

public final class AveragePooling2D: Pooling {
    public init(poolSize: [Int] = [2], strides: [Int]? = nil, padding: Padding = .valid, name: String? = nil) {
        super.init(kind: .average, spatialDims: 2, poolSize: poolSize, strides: strides, padding: padding, name: name)
    }
}

public final class AveragePooling3D: Pooling {
    public init(poolSize: [Int] = [2], strides: [Int]? = nil, padding: Padding = .valid, name: String? = nil) {
        super.init(kind: .average, spatialDims: 3, poolSize: poolSize, strides: strides, padding: padding, name: name)
    }
}

/// Keras `GlobalAveragePooling2D/3D` and `GlobalMaxPooling2D/3D`: (N, spatial..., C) -> (N, C).
public class GlobalPooling: Layer {
    public let kind: Pooling.Kind
    public let spatialDims: Int

    init(kind: Pooling.Kind, spatialDims: Int, name: String?) {
        self.kind = kind
        self.spatialDims = spatialDims
        let base = "global_" + (kind == .max ? "max" : "average") + "_pooling\(spatialDims)d"
        super.init(named: name ?? BuildContext.automaticName(base))
    }

    public override var kerasClassName: String {
        "Global" + (kind == .max ? "Max" : "Average") + "Pooling\(spatialDims)D"
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: spatialDims, channels: nil)
        return [shape.last.flatMap { $0 }]
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == spatialDims + 2 else {
            throw LayerError(layer: name, "\(kerasClassName) expects rank \(spatialDims + 2), got \(x.shape)")
        }
        return kind == .max ? try globalMaxPool(x) : try globalAvgPool(x)
    }
}

public final class GlobalAveragePooling2D: GlobalPooling {
    public init(name: String? = nil) { super.init(kind: .average, spatialDims: 2, name: name) }
}

public final class GlobalAveragePooling3D: GlobalPooling {
    public init(name: String? = nil) { super.init(kind: .average, spatialDims: 3, name: name) }
}

public final class GlobalMaxPooling2D: GlobalPooling {
    public init(name: String? = nil) { super.init(kind: .max, spatialDims: 2, name: name) }
}

public final class GlobalMaxPooling3D: GlobalPooling {
    public init(name: String? = nil) { super.init(kind: .max, spatialDims: 3, name: name) }
}
