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

    /// `inputShape` is (height, width, channels), 124x124x1 in the paper. `softmax` ends the
    /// network with probabilities as the paper's Keras model does; training from logits (the
    /// stable form) builds it without.
    public init(inputShape: [Int] = [124, 124, 1], classes: Int = 2, dropoutRate: Float = 0.3, softmax: Bool = true) throws {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ModelError("SmallCNN: input shape must be (height, width, channels), got \(inputShape)")
        }
        guard inputShape.prefix(2).allSatisfy({ $0 >= 22 }) else {
            throw ModelError("SmallCNN: input \(inputShape) is too small; the minimum is 22x22")
        }
        self.inputShape = inputShape
        self.classes = classes
        // Unnamed layers take Keras's automatic names; as a Sequential model, no input layer
        // is listed among the layers.
        let (input, output) = try BuildContext.freshNames {
            let input = try Input(shape: inputShape)
            var y = input
            for filters in SmallCNN.stageFilters {
                y = try Conv2D(filters: filters, kernelSize: [3], inputChannels: y.channels, activation: .relu)(y)
                y = try BatchNormalization(channels: filters)(y)
                y = try MaxPooling2D(poolSize: [2])(y)
            }
            y = try Flatten()(y)
            y = try Dense(units: 128, inputFeatures: y.channels, activation: .relu)(y)
            y = try Dropout(rate: dropoutRate)(y)
            return (input, try Dense(units: classes, inputFeatures: 128, activation: softmax ? .softmax : .linear)(y))
        }
        try super.init(inputs: [input], outputs: [output], name: "small_cnn", listsInputLayers: false)
    }
}
