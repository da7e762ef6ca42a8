"""Model files written by every Keras line a colleague may have used, for ZooKerasTests.KerasVersionTests.

Keras 3.0.5, 3.3.3, 3.6.0, 3.9.2 and 3.12.0 (each installed without its dependencies into
`$ZOO_CACHE/keras-versions/<version>`, beside the reference environment's own Keras 3.15.1, whose
numpy, h5py and TensorFlow they use) and tf-keras 2.21.0 (TensorFlow's Keras 2) each build, with
fixed random weights, and save two models:

- `functional`: Conv2D + BatchNormalization + ReLU + MaxPooling2D + Conv2D + Dropout +
  GlobalAveragePooling2D + Dense 2 softmax, a functional model on 24x24x3;
- `nested`: a functional backbone (Conv2D, BatchNormalization, Activation) called as the first
  layer of a Sequential model under GlobalAveragePooling2D + Dense 3 softmax (the
  Sequential-of-a-Functional form of fine-tuning code, whose `.keras` files some Keras 3
  releases fail to load again).

Files, in OUT_DIR (default `$ZOO_FIXTURES/keras_versions`, else
`~/.cache/zoo/fixtures/keras_versions`); a folder that already holds `expected.json` is left
alone:

    <tag>.<model>.keras, <tag>.<model>.h5   model.save in both formats (tf-keras: its own
                                            .keras format and the Keras 2 full-model .h5)
    <tag>.<model>.input.npy / .output.npy   an input batch and that Keras's prediction on it
    expected.json                           {"files": [{"tag", "keras_version", "model", "file"}, ...]}

where <tag> is `keras-3.0.5`, ..., `tf-keras-2.21.0`.

Usage: python Tests/Fixtures/keras_versions.py [OUT_DIR]
       python Tests/Fixtures/keras_versions.py --write TAG OUT_DIR   (one version, in its own process)
"""
import json
import os
import subprocess
import sys

VERSIONS = ["3.0.5", "3.3.3", "3.6.0", "3.9.2", "3.12.0"]
TF_KERAS = "2.21.0"


def install(package, target, extra=()):
    """Installs `package` (and `extra` packages) without dependencies into `target`, once."""
    if os.path.exists(os.path.join(target, ".complete")):
        return
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target, package, *extra], check=True)
    open(os.path.join(target, ".complete"), "w").close()


def write(tag, out):
    """Builds and saves the two models with the Keras on sys.path (run in its own process)."""
    import numpy as np

    if tag.startswith("tf-keras"):
        import tf_keras as keras
    else:
        import keras
    layers = keras.layers
    keras.utils.set_random_seed(5)
    random = np.random.default_rng(5)

    inputs = keras.Input((24, 24, 3), name="image")
    x = layers.Conv2D(6, 3, padding="same", name="conv1")(inputs)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.ReLU(name="relu1")(x)
    x = layers.MaxPooling2D(name="pool1")(x)
    x = layers.Conv2D(8, 3, activation="relu", name="conv2")(x)
    x = layers.Dropout(0.3, name="drop")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    functional = keras.Model(inputs, layers.Dense(2, activation="softmax", name="head")(x), name="functional")

    backbone_input = keras.Input((24, 24, 3))
    y = layers.Conv2D(5, 3, strides=2, padding="same", name="stem_conv")(backbone_input)
    y = layers.BatchNormalization(name="stem_bn")(y)
    y = layers.Activation("relu", name="stem_relu")(y)
    backbone = keras.Model(backbone_input, y, name="backbone")
    nested = keras.Sequential(
        [backbone, layers.GlobalAveragePooling2D(name="pool"), layers.Dense(3, activation="softmax", name="classes")], name="nested")
    nested.build((None, 24, 24, 3))

    written = []
    for name, model in [("functional", functional), ("nested", nested)]:
        for layer in model.layers + (backbone.layers if name == "nested" else []):
            if isinstance(layer, layers.BatchNormalization):
                gamma, beta, mean, variance = layer.get_weights()
                layer.set_weights([gamma, beta, random.normal(0, 0.2, mean.shape).astype("float32"),
                                   random.uniform(0.5, 2, variance.shape).astype("float32")])
        x = random.normal(0, 1, (2, 24, 24, 3)).astype("float32")
        stem = os.path.join(out, f"{tag}.{name}")
        np.save(stem + ".input.npy", x)
        np.save(stem + ".output.npy", model.predict(x, verbose=0))
        for extension in ["keras", "h5"]:
            model.save(f"{stem}.{extension}")
            written.append({"tag": tag, "keras_version": keras.__version__, "model": name, "file": f"{tag}.{name}.{extension}"})
    with open(os.path.join(out, f"{tag}.json"), "w") as f:
        json.dump(written, f)


def main():
    if sys.argv[1:2] == ["--write"]:
        return write(sys.argv[2], sys.argv[3])
    fixtures = os.environ.get("ZOO_FIXTURES", os.path.expanduser("~/.cache/zoo/fixtures"))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(fixtures, "keras_versions")
    if os.path.exists(os.path.join(out, "expected.json")):
        return
    os.makedirs(out, exist_ok=True)
    cache = os.environ.get("ZOO_CACHE", os.path.expanduser("~/.cache/zoo"))
    runs = []
    for version in VERSIONS:
        target = os.path.join(cache, "keras-versions", version)
        # Keras 3.0 still imported dm-tree, which later releases replaced by optree.
        install(f"keras=={version}", target, ["dm-tree"] if version.startswith("3.0") else [])
        runs.append((f"keras-{version}", target))
    target = os.path.join(cache, "keras-versions", f"tf-keras-{TF_KERAS}")
    install(f"tf_keras=={TF_KERAS}", target)
    runs.append((f"tf-keras-{TF_KERAS}", target))
    files = []
    for tag, path in runs:
        environment = dict(os.environ, PYTHONPATH=path, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
        subprocess.run([sys.executable, __file__, "--write", tag, out], check=True, env=environment)
        with open(os.path.join(out, f"{tag}.json")) as f:
            files += json.load(f)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"files": files}, f, indent=1)


if __name__ == "__main__":
    main()
