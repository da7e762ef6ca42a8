// SmallCNN: the nodule classifier of "Deep learning for pulmonary nodule classification in
// CT images" (LIDC-IDRI benign versus malignant; shared/papers/004), rebuilt as Keras's
// Sequential model would build it.
//
// The paper gives the filters (32, 64, 64), batch normalization and max pooling after each
// convolution, Dense 128 ReLU, Dropout 0.3 and Dense 2 softmax, on 124x124x1 input. It does
// not give the kernel size or activations of the convolutions: they are 3x3, ReLU, 'valid'
// padding, and 2x2 pooling, the Keras defaults of such a network.
import ZooCore
import ZooNN
import ZooTensor

/// The LIDC paper's network: three conv-BN-pool stages, Dense 128, Dropout, Dense classes.
public final class SmallCNN: Model {
    /// Filters of the three convolutional stages.
    public static let stageFilters = [32, 64, 64]

    public let inputShape: [Int]
    public let classes: Int
    private var stages: [(conv: Conv2D, norm: BatchNormalization, pool: MaxPooling2D)] = []
    private var flatten: Flatten!
    private var hidden: Dense!
    private var dropout: Dropout!
    private var classifier: Dense!

    /// `inputShape` is (height, width, channels), 124x124x1 in the paper. `softmax` ends the
    /// network with probabilities as the paper's Keras model does; training from logits (the
    /// stable form) builds it without.
    public init(inputShape: [Int] = [124, 124, 1], classes: Int = 2, dropoutRate: Float = 0.3, softmax: Bool = true) throws {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ModelError("SmallCNN: input shape must be (height, width, channels), got \(inputShape)")
        }
        self.inputShape = inputShape
        self.classes = classes
        super.init(name: "small_cnn")
        try BuildContext.freshNames { try buildLayers(dropoutRate: dropoutRate, softmax: softmax) }
    }

    /// The layers in Keras's order; unnamed, so they take Keras's automatic names.
    private func buildLayers(dropoutRate: Float, softmax: Bool) throws {
        var (height, width, channels) = (inputShape[0], inputShape[1], inputShape[2])
        for filters in SmallCNN.stageFilters {
            let conv = add(Conv2D(filters: filters, kernelSize: [3], inputChannels: channels, activation: .relu))
            let norm = add(BatchNormalization(channels: filters))
            let pool = add(MaxPooling2D(poolSize: [2]))
            stages.append((conv, norm, pool))
            (height, width, channels) = ((height - 2) / 2, (width - 2) / 2, filters)
            guard height >= 1, width >= 1 else {
                throw ModelError("SmallCNN: input \(inputShape) is too small; the minimum is 22x22")
            }
        }
        flatten = add(Flatten())
        hidden = add(Dense(units: 128, inputFeatures: height * width * channels, activation: .relu))
        dropout = add(Dropout(rate: dropoutRate))
        classifier = add(Dense(units: classes, inputFeatures: 128, activation: softmax ? .softmax : .linear))
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        var y = x
        for stage in stages { y = try stage.pool(stage.norm(stage.conv(y))) }
        return try classifier(dropout(hidden(flatten(y))))
    }
}
