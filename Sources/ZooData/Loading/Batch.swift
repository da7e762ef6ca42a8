import ZooCore
import ZooTensor

/// Samples stacked for a model: images NHWC or NDHWC, labels, masks.
public struct Batch {
    /// The images, stacked on a new leading axis.
    public let images: Tensor
    /// Class labels (-1 where a sample has none).
    public let labels: [Int]
    /// The masks stacked like the images (one channel), when every sample has one.
    public let masks: Tensor?
    /// Sample ids, in batch order.
    public let ids: [String]
    /// Dataset indices, in batch order.
    public let indices: [Int]
    /// Each sample's voxel spacing in mm (spatial axes), when its source knows it.
    public let spacings: [[Float]?]

    /// Stacks samples; all must share the image shape, and masks are kept only when every
    /// sample has one.
    public init(samples: [Sample], indices: [Int]) throws {
        guard let first = samples.first else { throw DataError("batch", "no samples") }
        let shape = first.image.shape
        for sample in samples where sample.image.shape != shape {
            throw DataError("batch", "sample '\(sample.id)' has shape \(sample.image.shape), '\(first.id)' has \(shape); add a resize or crop")
        }
        images = Batch.stack(samples.map(\.image), shape: shape)
        let withMasks = samples.compactMap(\.mask)
        if withMasks.count == samples.count {
            let maskShape = withMasks[0].shape
            for (sample, mask) in zip(samples, withMasks) where mask.shape != maskShape {
                throw DataError("batch", "mask of sample '\(sample.id)' has shape \(mask.shape), expected \(maskShape)")
            }
            masks = Batch.stack(withMasks, shape: maskShape)
        } else {
            masks = nil
        }
        labels = samples.map { $0.label ?? -1 }
        ids = samples.map(\.id)
        spacings = samples.map(\.spacing)
        self.indices = indices
    }

    private init(images: Tensor, labels: [Int], masks: Tensor?, ids: [String], indices: [Int], spacings: [[Float]?]) {
        self.images = images
        self.labels = labels
        self.masks = masks
        self.ids = ids
        self.indices = indices
        self.spacings = spacings
    }

    /// The samples `range` of the batch, in order: one process's shard of a global batch in
    /// data-parallel training. An empty range gives an empty batch (no images).
    public func rows(_ range: Range<Int>) throws -> Batch {
        func rowsOf(_ tensor: Tensor) throws -> Tensor {
            try tensor.sliced([range] + tensor.shape.dropFirst().map { 0..<$0 })
        }
        return Batch(
            images: try rowsOf(images), labels: Array(labels[range]), masks: try masks.map(rowsOf), ids: Array(ids[range]),
            indices: Array(indices[range]), spacings: Array(spacings[range]))
    }

    static func stack(_ arrays: [ImageArray], shape: [Int]) -> Tensor {
        let size = shape.reduce(1, *)
        let tensor = Tensor(zeros: [arrays.count] + shape)
        tensor.withUnsafeMutableBufferPointer { target in
            for (i, array) in arrays.enumerated() {
                array.values.withUnsafeBufferPointer { source in
                    (target.baseAddress! + i * size).update(from: source.baseAddress!, count: size)
                }
            }
        }
        return tensor
    }

    /// The labels as a one-hot tensor [batch, classes] (a sample without label is all zero).
    public func oneHotLabels(classes: Int) -> Tensor {
        let tensor = Tensor(zeros: [labels.count, classes])
        tensor.withUnsafeMutableBufferPointer { values in
            for (i, label) in labels.enumerated() where label >= 0 && label < classes { values[i * classes + label] = 1 }
        }
        return tensor
    }
}
