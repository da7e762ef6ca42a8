"""Keras-written weight files for ZooHDF5's import and export tests.

Builds two small Keras models with fixed random weights and saves each in every format Keras 3
can write, with an input batch and Keras's own output on it:

- `small_cnn`: Zoo's SmallCNN at 32x32x3 (Conv2D 32/64/64 + BatchNormalization + MaxPooling2D,
  Flatten, Dense 128, Dropout, Dense 2 softmax), a Sequential model with automatic names.
- `nested`: a functional backbone (Conv2D 8 + BatchNormalization + GlobalAveragePooling2D,
  named `backbone`) as the first layer of a Sequential model under a Dense 3 softmax head.

Files, in OUT_DIR (default `$ZOO_FIXTURES/keras_weight_files`, else
`~/.cache/zoo/fixtures/keras_weight_files`); existing files are kept:

    <name>.weights.h5         Keras 3 `model.save_weights` (layers/<class>[_n]/vars/<i>)
    <name>.keras              Keras 3 `model.save` (zip: config.json, model.weights.h5)
    <name>.full.h5            Keras 3 `model.save("x.h5")`, the legacy full-model file
                              (model_weights/<layer>/<layer>/<weight>)
    <name>.legacy.h5          Keras 3's legacy writer `save_weights_to_hdf5_group` on a file
                              root: the Keras 2 weights-file layout as Keras 3 writes it
                              (weight names `conv2d/kernel`, no `:0`)
    <name>.keras2.h5          the layout tf-keras 2 `model.save_weights("x.h5")` writes
                              (weight names `conv2d/kernel:0`, `top_level_model_weights`),
                              written with h5py because Keras 3 cannot write it and tf-keras
                              is not installed; Keras 3 loads it (checked here)
    <name>.input.npy          the input batch (float32, NHWC)
    <name>.output.npy         Keras's softmax output on it

Keras 3 refuses `model.save_weights("x.h5")` (it wants `.weights.h5`), but it still ships the
legacy writer and reader (`keras.src.legacy.saving.legacy_h5_format`) and `load_weights` of a
`.h5` file goes through that reader, so files in the Keras 2 layout load in Keras 3 as they
did in Keras 2.

Export check. Run the Swift tests with `ZOO_EXPORT_DIR=DIR` and `KerasImportTests.
testExportRoundTrip` leaves `<name>.zoo-export.h5` (Zoo's Keras 2 export) and
`<name>.zoo-checkpoint.h5` (a Zoo checkpoint) in DIR; then, for each:

    python Tests/Fixtures/keras_weight_files.py check-export FILE.h5 small_cnn|nested [OUT_DIR]

loads FILE.h5 with `model.load_weights` into a fresh Keras model of that kind and compares
its output with `<name>.output.npy` (softmax, 1e-4 absolute); exit status 1 on a difference.
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras_small_cnn import small_cnn_32  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402


def small_cnn():
    return small_cnn_32(), (4, 32, 32, 3)


def nested():
    keras.backend.clear_session()
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, activation="relu", name="stem_conv")(inputs)
    x = keras.layers.BatchNormalization(name="stem_bn")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    backbone = keras.Model(inputs, x, name="backbone")
    model = keras.Sequential(
        [keras.Input((16, 16, 3)), backbone, keras.layers.Dense(3, activation="softmax", name="head")],
        name="classifier")
    return model, (3, 16, 16, 3)


MODELS = {"small_cnn": small_cnn, "nested": nested}


def randomize(model, seed):
    """Fixed random values for every weight; variances positive, kernels small."""
    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:
        shape = tuple(w.shape)
        if "variance" in w.path:
            values.append(rng.uniform(0.5, 1.5, shape).astype("float32"))
        elif "gamma" in w.path:
            values.append(rng.uniform(0.8, 1.2, shape).astype("float32"))
        else:
            values.append((rng.standard_normal(shape) * 0.1).astype("float32"))
    model.set_weights(values)


def write_keras2_layout(model, path):
    """The file tf-keras 2 `save_weights` writes: root attributes `layer_names`, `backend`,
    `keras_version`; per layer (sorted by name) a group with `weight_names` (`<layer>/<w>:0`,
    trainable then non-trainable; an empty float64 array when the layer has none) and the
    datasets at `<layer>/<layer>/<w>:0`; and an empty `top_level_model_weights` group."""

    def weight_names(layer, prefix):
        names = []
        for w in layer.trainable_weights + layer.non_trainable_weights:
            # tf-keras names a variable `<layer>/<weight>:0`, without the outer models.
            names.append((prefix + "/".join(w.path.split("/")[-2:]) + ":0", w))
        return names

    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([layer.name.encode() for layer in model.layers])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        for layer in sorted(model.layers, key=lambda layer: layer.name):
            group = f.create_group(layer.name)
            entries = weight_names(layer, "")
            group.attrs["weight_names"] = (
                np.array([name.encode() for name, _ in entries]) if entries else np.array([])
            )
            for name, w in entries:
                group.create_dataset(name, data=np.asarray(w.numpy()))
        top = f.create_group("top_level_model_weights")
        top.attrs["weight_names"] = np.array([])


def write_all(out):
    os.makedirs(out, exist_ok=True)
    for seed, (name, build) in enumerate(MODELS.items()):
        model, input_shape = build()
        randomize(model, seed + 1)
        x = np.random.default_rng(100 + seed).standard_normal(input_shape).astype("float32")
        y = np.asarray(model(x, training=False))

        def target(suffix):
            path = os.path.join(out, name + suffix)
            return None if os.path.exists(path) else path

        if p := target(".input.npy"):
            np.save(p, x)
        if p := target(".output.npy"):
            np.save(p, y)
        if p := target(".weights.h5"):
            model.save_weights(p)
        if p := target(".keras"):
            model.save(p)
        if p := target(".full.h5"):
            model.save(p)
        if p := target(".legacy.h5"):
            with h5py.File(p, "w") as f:
                legacy_h5_format.save_weights_to_hdf5_group(f, model)
        if p := target(".keras2.h5"):
            write_keras2_layout(model, p)
            check(p, name, out)  # Keras itself must accept what was written by hand
        print(f"{name}: {len(model.layers)} layers, {model.count_params():,} parameters")


def check(path, name, out):
    model, _ = MODELS[name]()
    model.load_weights(path)
    x = np.load(os.path.join(out, name + ".input.npy"))
    expected = np.load(os.path.join(out, name + ".output.npy"))
    got = np.asarray(model(x, training=False))
    difference = float(np.max(np.abs(got - expected)))
    if difference > 1e-4:
        print(f"{path}: Keras's output differs from the reference by {difference}")
        return False
    print(f"{path}: Keras loads it; output within {difference:.2e} of the reference")
    return True


def default_out():
    base = os.environ.get("ZOO_FIXTURES") or os.path.expanduser("~/.cache/zoo/fixtures")
    return os.path.join(base, "keras_weight_files")


def main():
    args = sys.argv[1:]
    if args and args[0] == "check-export":
        path, name = args[1], args[2]
        out = args[3] if len(args) > 3 else default_out()
        sys.exit(0 if check(path, name, out) else 1)
    write_all(args[0] if args else default_out())


if __name__ == "__main__":
    main()
