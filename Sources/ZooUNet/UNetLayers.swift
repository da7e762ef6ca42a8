// Dimension-generic constructors for the 2D/3D layer pairs U-Net builds from (its instance
// normalization and the heads' `Average` are ZooNN's).
import ZooCore
import ZooNN
import ZooTensor

/// The 2D or 3D member of each layer pair, so one assembly serves slices and volumes.
enum SpatialLayers {
    static func conv(
        _ dims: Int, filters: Int, kernel: Int, inputChannels: Int, padding: Padding = .same,
        name: String
    ) -> Layer {
        dims == 2
            ? Conv2D(
                filters: filters, kernelSize: [kernel], inputChannels: inputChannels,
                padding: padding, name: name)
            : Conv3D(
                filters: filters, kernelSize: [kernel], inputChannels: inputChannels,
                padding: padding, name: name)
    }

    static func transpose(_ dims: Int, filters: Int, inputChannels: Int, name: String) -> Layer {
        dims == 2
            ? Conv2DTranspose(
                filters: filters, kernelSize: [2], inputChannels: inputChannels, strides: [2],
                name: name)
            : Conv3DTranspose(
                filters: filters, kernelSize: [2], inputChannels: inputChannels, strides: [2],
                name: name)
    }

    static func maxPool(_ dims: Int, name: String) -> Layer {
        dims == 2
            ? MaxPooling2D(poolSize: [2], name: name) : MaxPooling3D(poolSize: [2], name: name)
    }
}
