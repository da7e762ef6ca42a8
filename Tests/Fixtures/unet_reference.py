"""The Keras twins of ZooUNet's networks, for the parameter counts and layer order in
UNetTests.swift. Run with the reference Python (Keras 3, TensorFlow backend):

    python unet_reference.py            # counts of every configuration the tests check
    python unet_reference.py --layers   # also the layer order of the small configurations

Each network is built layer by layer as ZooUNet builds it: Conv2D/Conv3D with bias,
BatchNormalization (or GroupNormalization with one group per channel: instance norm),
ReLU, max pooling, Conv*DTranspose (kernel 2, stride 2) or UpSampling + a kernel-2 conv,
Concatenate([skip, up]), a final 1x1 conv to logits; U-Net++ nodes X^{i,j} as Zhou et al.
"""
import sys

import keras
from keras import layers


def conv_block(x, filters, name, dims, normalization):
    conv = layers.Conv2D if dims == 2 else layers.Conv3D
    for k in (1, 2):
        x = conv(filters, 3, padding="same", name=f"{name}_conv{k}")(x)
        if normalization == "batch":
            x = layers.BatchNormalization(name=f"{name}_bn{k}")(x)
        else:
            x = layers.GroupNormalization(groups=-1, epsilon=1e-5, name=f"{name}_in{k}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{k}")(x)
    return x


def up(x, filters, name, dims, decoder):
    if decoder == "transpose":
        transpose = layers.Conv2DTranspose if dims == 2 else layers.Conv3DTranspose
        return transpose(filters, 2, strides=2, name=f"{name}_transpose")(x)
    upsampling = layers.UpSampling2D if dims == 2 else layers.UpSampling3D
    conv = layers.Conv2D if dims == 2 else layers.Conv3D
    x = upsampling(2, name=f"{name}_upsample")(x)
    return conv(filters, 2, padding="same", name=f"{name}_upconv")(x)


def pool(x, name, dims):
    return (layers.MaxPooling2D if dims == 2 else layers.MaxPooling3D)(2, name=name)(x)


def unet(dims, features, spatial, channels, classes, normalization="batch", decoder="transpose"):
    inputs = keras.Input(tuple(spatial) + (channels,), name="input_layer")
    conv = layers.Conv2D if dims == 2 else layers.Conv3D
    x, skips = inputs, []
    for level, filters in enumerate(features[:-1], start=1):
        x = conv_block(x, filters, f"down{level}", dims, normalization)
        skips.append(x)
        x = pool(x, f"down{level}_pool", dims)
    x = conv_block(x, features[-1], "bottleneck", dims, normalization)
    for level in range(len(features) - 1, 0, -1):
        u = up(x, features[level - 1], f"up{level}", dims, decoder)
        x = layers.Concatenate(name=f"up{level}_concat")([skips[level - 1], u])
        x = conv_block(x, features[level - 1], f"up{level}", dims, normalization)
    outputs = conv(classes, 1, name="final_conv")(x)
    return keras.Model(inputs, outputs, name="unet")


def unet_plus_plus(dims, features, spatial, channels, classes, normalization="batch",
                   decoder="transpose", deep_supervision=None):
    inputs = keras.Input(tuple(spatial) + (channels,), name="input_layer")
    conv = layers.Conv2D if dims == 2 else layers.Conv3D
    depth = len(features)
    nodes = {}
    for j in range(depth):
        for i in range(depth - j):
            name = f"x{i}_{j}"
            if j == 0:
                x = inputs if i == 0 else pool(nodes[(i - 1, 0)], f"{name}_pool", dims)
            else:
                u = up(nodes[(i + 1, j - 1)], features[i], name, dims, decoder)
                x = layers.Concatenate(name=f"{name}_concat")(
                    [nodes[(i, k)] for k in range(j)] + [u])
            nodes[(i, j)] = conv_block(x, features[i], name, dims, normalization)
    if deep_supervision is None:
        outputs = conv(classes, 1, name="final_conv")(nodes[(0, depth - 1)])
    else:
        heads = [conv(classes, 1, name=f"final_conv{j}")(nodes[(0, j)]) for j in range(1, depth)]
        if deep_supervision == "average":
            outputs = layers.Average(name="final_average")(heads)
        else:
            outputs = layers.Concatenate(name="final_concat")(heads)
    return keras.Model(inputs, outputs, name="unet_plus_plus")


CONFIGURATIONS = {
    # The variants' metadata: default input, 1000 classes (ArchitectureOptions' default).
    "unet2d": lambda: unet(2, [32, 64, 128, 256], (224, 224), 1, 1000),
    "unet3d": lambda: unet(3, [16, 32, 64, 128], (64, 64, 64), 1, 1000),
    "unetplusplus": lambda: unet_plus_plus(2, [32, 64, 128, 256, 512], (224, 224), 1, 1000),
    # What the tests build.
    "unet2d_classes2": lambda: unet(2, [32, 64, 128, 256], (224, 224), 1, 2),
    "unet2d_instance_upsampling": lambda: unet(
        2, [32, 64, 128, 256], (224, 224), 3, 2, normalization="instance", decoder="upsampling"),
    "unet3d_classes2_instance": lambda: unet(
        3, [16, 32, 64, 128], (64, 64, 64), 1, 2, normalization="instance"),
    "unetplusplus_classes2_average": lambda: unet_plus_plus(
        2, [32, 64, 128, 256, 512], (224, 224), 1, 2, deep_supervision="average"),
    "small2d": lambda: unet(2, [4, 8, 16], (16, 16), 1, 3),
    "small3d": lambda: unet(3, [4, 8, 16], (16, 16, 16), 2, 3),
    "small_plusplus": lambda: unet_plus_plus(2, [4, 8, 16], (16, 16), 1, 3),
    "small_plusplus_all": lambda: unet_plus_plus(
        2, [4, 8, 16], (16, 16), 1, 3, deep_supervision="all"),
}

if __name__ == "__main__":
    for key, build in CONFIGURATIONS.items():
        model = build()
        trainable = sum(keras.ops.size(w) for w in model.trainable_weights)
        print(f"{key}: total {model.count_params()}, trainable {int(trainable)}")
        if "--layers" in sys.argv and key.startswith("small"):
            print("   ", [layer.name for layer in model.layers])
