import ZooCore
import ZooNN

/// The LIDC small CNN as a catalog entry.
public enum SmallCNNFamily: ArchitectureFamily {
    /// 124x124x1 nodule patches, two classes, as in the paper; counts as Keras reports them.
    public static let small_cnn = ArchitectureVariant(
        name: "small_cnn", family: "SmallCNN",
        reference: "Deep learning for pulmonary nodule classification in CT images (LIDC-IDRI; shared/papers/004)",
        defaultInput: [124, 124, 1], minimumInput: [22, 22], preprocessing: .none,
        parameterCount: 1_441_218, trainableParameterCount: 1_440_898,
        firstConvolution: "conv2d", lastConvolution: "conv2d_2", classifier: "dense_1",
        source: "keras.Sequential (the paper's description)", defaultClasses: 2
    ) { options in
        guard options.includeTop, options.head == nil else {
            throw ModelError("small_cnn: the network is its own classifier; it has no backbone-only form or custom head")
        }
        return try SmallCNN(
            inputShape: options.inputShape ?? [124, 124, 1], classes: options.classes, softmax: options.classifierActivation == .softmax)
    }

    public static var variants: [ArchitectureVariant] { [small_cnn] }
}
