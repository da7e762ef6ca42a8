"""Keras model files and Keras's own outputs for `zoo predict|eval|gradcam MODEL` and `model.from`.

Three small models, built and saved by Keras with fixed random weights, each as a `.keras`
archive and a full-model `.h5`, with inputs and what Keras predicts on them:

- `binary_cnn`: a classifier of 24x24 gray images ending in one sigmoid unit (the usual
  binary medical classifier): Conv2D 4 + MaxPooling2D + Conv2D 8 + BatchNormalization +
  GlobalAveragePooling2D (`gap`) + Dense 1 sigmoid. Three 24x24 PNG images; expected: the
  sigmoid of each, the images rescaled by 1/255.
- `unet2d`: a 2D segmentation model of 16x16 gray images ending in a 2-class softmax
  (Conv2D, MaxPooling2D, Conv2D, UpSampling2D, Concatenate, Conv2D 1x1 softmax). Two 16x16 PNG
  images; expected: the softmax maps, the images rescaled by 1/255.
- `unet3d`: a 3D segmentation model of 8x16x16 volumes ending in one sigmoid channel (Conv3D,
  MaxPooling3D, Conv3D, UpSampling3D, Concatenate, Conv3D 1x1x1 sigmoid). One volume (float32
  .npy, values as they reach the model); expected: the sigmoid map.

- `layer_zoo`: a model of two inputs, an RGB image (`image`, 20x20x3) and three clinical
  variables (`clinical`), through every layer class Zoo reads beyond the applications': per-channel
  Rescaling, an adapted Normalization (mean, variance and count as weights) on each input,
  LeakyReLU, PReLU (shared over the spatial axes), ELU, Cropping2D, SpatialDropout2D,
  GaussianNoise, GaussianDropout, an attention gate (Conv2D sigmoid, Multiply, Subtract),
  LayerNormalization, Reshape, Conv1D, Permute, Dense on the tabular input, Concatenate and a
  Softmax layer. Three PNG images and `layer_zoo.tabular.csv` (path, clinical_0..clinical_2);
  expected: Keras's probabilities, images as they are (no rescaling outside the model).
- `volume_layers`: a 3D classifier with Cropping3D and SpatialDropout3D (8x8x8x1 volume).
  `volume_layers.input.npy` (1, 8, 8, 8, 1) and `volume_layers.output.npy`.

Files, in OUT_DIR (default `$ZOO_FIXTURES/keras_model_files`, else
`~/.cache/zoo/fixtures/keras_model_files`); a folder that already holds `expected.json` is
left alone:

    <name>.keras, <name>.h5     the models (model.save)
    images/<name>/<image>.png   the images of binary_cnn and unet2d
    unet3d.volume.npy           the volume (D, H, W, 1)
    unet3d.output.npy           Keras's output on it (D, H, W, 1)
    layer_zoo.tabular.csv       the clinical variables of each layer_zoo image, by path
    expected.json               {"binary_cnn": {"<image>.png": p}, "unet2d": {"<image>.png": [[[p0, p1], ...]]},
                                 "layer_zoo": {"<image>.png": [p0, p1]}}

Usage: python Tests/Fixtures/keras_model_files.py [OUT_DIR]
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402
from PIL import Image  # noqa: E402


def binary_cnn():
    inputs = keras.Input((24, 24, 1), name="image")
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(name="pool1")(x)
    x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.BatchNormalization(name="bn2")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="score")(x)
    return keras.Model(inputs, outputs, name="binary_cnn")


def unet(rank, classes, activation):
    conv = layers.Conv2D if rank == 2 else layers.Conv3D
    pool = layers.MaxPooling2D if rank == 2 else layers.MaxPooling3D
    up = layers.UpSampling2D if rank == 2 else layers.UpSampling3D
    shape = (16, 16, 1) if rank == 2 else (8, 16, 16, 1)
    inputs = keras.Input(shape, name="image")
    c1 = conv(4, 3, padding="same", activation="relu", name="enc1")(inputs)
    p1 = pool(name="down1")(c1)
    c2 = conv(6, 3, padding="same", activation="relu", name="enc2")(p1)
    u1 = up(name="up1")(c2)
    m1 = layers.Concatenate(name="skip1")([u1, c1])
    c3 = conv(4, 3, padding="same", activation="relu", name="dec1")(m1)
    outputs = conv(classes, 1, activation=activation, name="segmentation")(c3)
    return keras.Model(inputs, outputs, name=f"unet{rank}d")


def layer_zoo(random):
    image = keras.Input((20, 20, 3), name="image")
    clinical = keras.Input((3,), name="clinical")
    x = layers.Rescaling(scale=[1 / 255, 1 / 128, 1 / 64], offset=[0.0, -1.0, 0.5], name="rescale")(image)
    pixels = layers.Normalization(axis=-1, name="pixel_norm")
    pixels.adapt(random.normal(0.5, 0.3, (64, 20, 20, 3)).astype("float32"))
    x = pixels(x)
    x = layers.Conv2D(6, 3, padding="same", name="conv_a")(x)
    x = layers.LeakyReLU(negative_slope=0.2, name="leaky")(x)
    x = layers.Cropping2D(((1, 1), (2, 0)), name="crop")(x)
    x = layers.PReLU(shared_axes=[1, 2], alpha_initializer=keras.initializers.Constant(0.25), name="prelu")(x)
    x = layers.SpatialDropout2D(0.2, name="spatial_dropout")(x)
    x = layers.GaussianNoise(0.1, name="noise")(x)
    features = layers.Conv2D(6, 3, padding="same", name="conv_b")(x)
    features = layers.ELU(alpha=0.7, name="elu")(features)
    gate = layers.Conv2D(6, 1, activation="sigmoid", name="gate")(features)
    gated = layers.Multiply(name="attend")([features, gate])
    x = layers.Subtract(name="residual")([gated, x])
    x = layers.LayerNormalization(name="layer_norm")(x)
    x = layers.GaussianDropout(0.1, name="gaussian_dropout")(x)
    pooled = layers.GlobalAveragePooling2D(name="pool")(x)
    sequence = layers.Reshape((-1, 6), name="to_sequence")(x)
    sequence = layers.Conv1D(4, 3, strides=2, padding="same", activation="relu", name="conv_seq")(sequence)
    sequence = layers.Permute((2, 1), name="permute")(sequence)
    sequence = layers.Flatten(name="flatten_seq")(sequence)
    sequence = layers.Dense(4, name="seq_dense")(sequence)
    variables = layers.Normalization(name="clinical_norm")
    variables.adapt(random.normal([60, 1, 25], [10, 0.5, 4], (128, 3)).astype("float32"))
    c = variables(clinical)
    c = layers.Dense(4, activation="relu", name="clinical_dense")(c)
    joined = layers.Concatenate(name="join")([pooled, sequence, c])
    logits = layers.Dense(2, name="logits")(joined)
    outputs = layers.Softmax(name="probabilities")(logits)
    return keras.Model([image, clinical], outputs, name="layer_zoo")


def volume_layers():
    volume = keras.Input((8, 8, 8, 1), name="volume")
    x = layers.Cropping3D(((1, 0), (1, 1), (0, 2)), name="crop3d")(volume)
    x = layers.Conv3D(3, 3, padding="same", activation="relu", name="conv3d")(x)
    x = layers.SpatialDropout3D(0.3, name="spatial_dropout3d")(x)
    x = layers.GlobalAveragePooling3D(name="pool3d")(x)
    outputs = layers.Dense(2, activation="softmax", name="classes")(x)
    return keras.Model(volume, outputs, name="volume_layers")


def randomize_batch_norm(model, random):
    # Moving statistics other than 0 and 1, so that inference mode is tested.
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([
                random.uniform(0.5, 1.5, gamma.shape).astype("float32"), random.normal(0, 0.1, beta.shape).astype("float32"),
                random.normal(0, 0.2, mean.shape).astype("float32"), random.uniform(0.5, 2, variance.shape).astype("float32")])


def main():
    fixtures = os.environ.get("ZOO_FIXTURES", os.path.expanduser("~/.cache/zoo/fixtures"))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(fixtures, "keras_model_files")
    if os.path.exists(os.path.join(out, "expected.json")):
        return
    os.makedirs(out, exist_ok=True)
    keras.utils.set_random_seed(11)
    random = np.random.default_rng(11)
    expected = {}
    for name, model, size in [("binary_cnn", binary_cnn(), 24), ("unet2d", unet(2, 2, "softmax"), 16)]:
        randomize_batch_norm(model, random)
        model.save(os.path.join(out, f"{name}.keras"))
        model.save(os.path.join(out, f"{name}.h5"))
        folder = os.path.join(out, "images", name)
        os.makedirs(folder, exist_ok=True)
        expected[name] = {}
        for index in range(3 if name == "binary_cnn" else 2):
            pixels = random.integers(0, 256, (size, size), dtype=np.uint8)
            image_name = f"{name}_{index}.png"
            Image.fromarray(pixels, "L").save(os.path.join(folder, image_name))
            x = pixels.astype("float32")[None, :, :, None] / 255
            y = model.predict(x, verbose=0)[0]
            expected[name][image_name] = float(y[0]) if name == "binary_cnn" else y.tolist()
    model = unet(3, 1, "sigmoid")
    model.save(os.path.join(out, "unet3d.keras"))
    model.save(os.path.join(out, "unet3d.h5"))
    volume = random.normal(0, 1, (8, 16, 16, 1)).astype("float32")
    np.save(os.path.join(out, "unet3d.volume.npy"), volume)
    np.save(os.path.join(out, "unet3d.output.npy"), model.predict(volume[None], verbose=0)[0])
    model = layer_zoo(random)
    model.save(os.path.join(out, "layer_zoo.keras"))
    model.save(os.path.join(out, "layer_zoo.h5"))
    folder = os.path.join(out, "images", "layer_zoo")
    os.makedirs(folder, exist_ok=True)
    expected["layer_zoo"] = {}
    rows = ["path,clinical_0,clinical_1,clinical_2"]
    for index in range(3):
        pixels = random.integers(0, 256, (20, 20, 3), dtype=np.uint8)
        variables = random.normal([60, 1, 25], [10, 0.5, 4]).astype("float32")
        image_name = f"layer_zoo_{index}.png"
        Image.fromarray(pixels, "RGB").save(os.path.join(folder, image_name))
        rows.append(f"images/layer_zoo/{image_name}," + ",".join(repr(float(v)) for v in variables))
        y = model.predict([pixels.astype("float32")[None], variables[None]], verbose=0)[0]
        expected["layer_zoo"][image_name] = y.tolist()
    with open(os.path.join(out, "layer_zoo.tabular.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    model = volume_layers()
    model.save(os.path.join(out, "volume_layers.keras"))
    volume = random.normal(0, 1, (1, 8, 8, 8, 1)).astype("float32")
    np.save(os.path.join(out, "volume_layers.input.npy"), volume)
    np.save(os.path.join(out, "volume_layers.output.npy"), model.predict(volume, verbose=0))
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main()
