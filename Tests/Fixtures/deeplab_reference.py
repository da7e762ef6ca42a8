"""The Keras twin of ZooDeepLab's DeepLabv3, for the parameter counts and layer order in
DeepLabTests.swift. Run with the reference Python (Keras 3, TensorFlow backend):

    python deeplab_reference.py            # counts of the configurations the tests check
    python deeplab_reference.py --layers   # also the layer order of the ASPP head

The backbone is Keras's ResNet50 (keras/src/applications/resnet.py: the same layer names,
biases and epsilon) with the last stage(s) dilated instead of strided; the script checks that
its backbone layers carry the names and weight shapes of keras.applications.ResNet50, so
ImageNet weights load by name. The head follows Chen et al. (arXiv:1706.05587), section 3.3.
"""
import sys

import keras
from keras import layers

EPSILON = 1.001e-5


def block(x, filters, stride, dilation, shortcut_conv, name):
    if shortcut_conv:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(x)
        shortcut = layers.BatchNormalization(epsilon=EPSILON, name=name + "_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=name + "_1_conv")(x)
    x = layers.BatchNormalization(epsilon=EPSILON, name=name + "_1_bn")(x)
    x = layers.Activation("relu", name=name + "_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", dilation_rate=dilation, name=name + "_2_conv")(x)
    x = layers.BatchNormalization(epsilon=EPSILON, name=name + "_2_bn")(x)
    x = layers.Activation("relu", name=name + "_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    x = layers.BatchNormalization(epsilon=EPSILON, name=name + "_3_bn")(x)
    x = layers.Add(name=name + "_add")([shortcut, x])
    return layers.Activation("relu", name=name + "_out")(x)


def deeplabv3(size=224, channels=3, classes=1000, output_stride=16):
    inputs = keras.Input((size, size, channels), name="input_layer")
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = layers.BatchNormalization(epsilon=EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    # (filters, blocks, stride, dilation) per stage; dilation replaces the stride past the
    # output stride.
    stages = [(64, 3, 1, 1), (128, 4, 2, 1), (256, 6, 2, 1), (512, 3, 2, 1)]
    if output_stride == 16:
        stages[3] = (512, 3, 1, 2)
    else:
        stages[2], stages[3] = (256, 6, 1, 2), (512, 3, 1, 4)
    for index, (filters, blocks, stride, dilation) in enumerate(stages, start=2):
        for b in range(1, blocks + 1):
            x = block(x, filters, stride if b == 1 else 1, dilation, b == 1,
                      f"conv{index}_block{b}")
    rates = [6, 12, 18] if output_stride == 16 else [12, 24, 36]
    feature = size // output_stride
    branches = []
    y = layers.Conv2D(256, 1, use_bias=False, name="aspp_conv1x1")(x)
    y = layers.BatchNormalization(epsilon=1e-5, name="aspp_conv1x1_bn")(y)
    branches.append(layers.Activation("relu", name="aspp_conv1x1_relu")(y))
    for base, rate in zip([6, 12, 18], rates):
        y = layers.Conv2D(256, 3, padding="same", dilation_rate=rate, use_bias=False,
                          name=f"aspp_atrous{base}")(x)
        y = layers.BatchNormalization(epsilon=1e-5, name=f"aspp_atrous{base}_bn")(y)
        branches.append(layers.Activation("relu", name=f"aspp_atrous{base}_relu")(y))
    y = layers.AveragePooling2D(feature, name="aspp_pooling")(x)
    y = layers.Conv2D(256, 1, use_bias=False, name="aspp_pooling_conv")(y)
    y = layers.BatchNormalization(epsilon=1e-5, name="aspp_pooling_bn")(y)
    y = layers.Activation("relu", name="aspp_pooling_relu")(y)
    branches.append(layers.UpSampling2D(feature, interpolation="bilinear",
                                        name="aspp_pooling_upsample")(y))
    x = layers.Concatenate(name="aspp_concat")(branches)
    x = layers.Conv2D(256, 1, use_bias=False, name="aspp_project")(x)
    x = layers.BatchNormalization(epsilon=1e-5, name="aspp_project_bn")(x)
    x = layers.Activation("relu", name="aspp_project_relu")(x)
    x = layers.Dropout(0.1, name="aspp_dropout")(x)
    x = layers.Conv2D(classes, 1, name="classifier")(x)
    x = layers.UpSampling2D(output_stride, interpolation="bilinear", name="output_upsample")(x)
    return keras.Model(inputs, x, name="deeplabv3")


def check_backbone(model):
    resnet = keras.applications.ResNet50(weights=None, include_top=False,
                                         input_shape=(224, 224, 3))
    ours = {layer.name: [tuple(w.shape) for w in layer.weights] for layer in model.layers}
    for layer in resnet.layers[1:]:
        assert ours[layer.name] == [tuple(w.shape) for w in layer.weights], layer.name
    names = [layer.name for layer in model.layers]
    assert names[1:len(resnet.layers)] == [layer.name for layer in resnet.layers[1:]]


CONFIGURATIONS = {
    "deeplabv3": lambda: deeplabv3(),
    "deeplabv3_os8": lambda: deeplabv3(output_stride=8),
    "deeplabv3_classes2_1channel": lambda: deeplabv3(channels=1, classes=2),
    "deeplabv3_32_classes3": lambda: deeplabv3(size=32, classes=3),
    "deeplabv3_32_1channel_classes3_os8": lambda: deeplabv3(
        size=32, channels=1, classes=3, output_stride=8),
}

if __name__ == "__main__":
    check_backbone(deeplabv3())
    check_backbone(deeplabv3(output_stride=8))
    for key, build in CONFIGURATIONS.items():
        model = build()
        trainable = sum(keras.ops.size(w) for w in model.trainable_weights)
        print(f"{key}: total {model.count_params()}, trainable {int(trainable)}")
    if "--layers" in sys.argv:
        names = [layer.name for layer in deeplabv3().layers]
        print(names[names.index("conv5_block3_out"):])
