"""The Keras reference models of the benchmarks that Keras Applications lacks.

SmallCNN and the 3D U-Net as Zoo builds them (Sources/ZooSmallCNN/SmallCNN.swift,
Sources/ZooUNet/UNet.swift: Keras's own conventions, so the same layers and counts), and
ResNet18 with torchvision's structure, as Zoo's ResNet18 follows it. The others come from
keras.applications (weights=None). Every builder returns a keras.Model giving logits.

    from keras_models import BUILDERS
    model = BUILDERS["resnet50"](classes=1000, size=224)
"""
import keras
from keras import layers


def small_cnn(classes=2, size=124, channels=1, filters=(32, 64, 64)):
    """Three conv3x3 ('valid', ReLU) - BN - maxpool 2 stages, Dense 128 ReLU, Dropout 0.3, logits."""
    stack = [keras.Input((size, size, channels))]
    for f in filters:
        stack += [layers.Conv2D(f, 3, activation="relu"), layers.BatchNormalization(), layers.MaxPooling2D(2)]
    stack += [layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dropout(0.3), layers.Dense(classes)]
    return keras.Sequential(stack, name="small_cnn")


def resnet18(classes=1000, size=224):
    """torchvision's resnet18: basic blocks, convolutions without bias, BN eps 1e-5. 'same'
    padding gives torchvision's output sizes (TensorFlow pads a strided convolution on the
    bottom/right only, which changes values, not cost)."""

    def conv_bn(x, filters, kernel, stride=1, relu=True):
        x = layers.Conv2D(filters, kernel, stride, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(epsilon=1e-5)(x)
        return layers.ReLU()(x) if relu else x

    inputs = keras.Input((size, size, 3))
    x = conv_bn(inputs, 64, 7, 2)
    x = layers.MaxPooling2D(3, 2, padding="same")(x)
    for stage, width in enumerate([64, 128, 256, 512]):
        for block in range(2):
            stride = 2 if block == 0 and stage > 0 else 1
            shortcut = x
            if stride != 1 or x.shape[-1] != width:
                shortcut = conv_bn(x, width, 1, stride, relu=False)
            y = conv_bn(conv_bn(x, width, 3, stride), width, 3, relu=False)
            x = layers.ReLU()(layers.Add()([y, shortcut]))
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(classes)(x), name="resnet18")


def unet3d(classes=2, size=64, channels=1, features=(16, 32, 64, 128)):
    """Zoo's 3D U-Net: per level two 3x3x3 'same' convolutions (with bias), each BN + ReLU;
    max-pool 2 down; transposed conv (kernel 2, stride 2) up; concat [skip, up]; 1x1x1 logits."""

    def block(x, filters):
        for _ in range(2):
            x = layers.Conv3D(filters, 3, padding="same")(x)
            x = layers.ReLU()(layers.BatchNormalization()(x))
        return x

    inputs = keras.Input((size, size, size, channels))
    x, skips = inputs, []
    for level, filters in enumerate(features):
        x = block(x if level == 0 else layers.MaxPooling3D(2)(x), filters)
        skips.append(x)
    skips.pop()  # the bottleneck
    for filters in reversed(features[:-1]):
        up = layers.Conv3DTranspose(filters, 2, strides=2)(x)
        x = block(layers.Concatenate()([skips.pop(), up]), filters)
    return keras.Model(inputs, layers.Conv3D(classes, 1)(x), name="unet3d")


def application(name):
    """A keras.applications model with random weights, giving logits."""
    def build(classes=1000, size=None):
        shape = None if size is None else (size, size, 3)
        return getattr(keras.applications, name)(weights=None, classes=classes, input_shape=shape,
                                                 classifier_activation=None)
    return build


BUILDERS = {
    "small_cnn": small_cnn,
    "resnet18": resnet18,
    "resnet50": application("ResNet50"),
    "densenet121": application("DenseNet121"),
    "mobilenetv2": application("MobileNetV2"),
    "inceptionv3": application("InceptionV3"),
    "unet3d": unet3d,
}
