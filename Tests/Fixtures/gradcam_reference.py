"""Grad-CAM references computed by TensorFlow's GradientTape, for ZooExplain's tests.

For a few small Keras models with fixed random weights it saves the weights (Keras 3
`.weights.h5`), an input batch, and Grad-CAM maps of named layers for chosen classes, computed
the way the Grad-CAM paper (Selvaraju et al., arXiv:1610.02391) and Keras's Grad-CAM example
define them:

    A      = the named layer's output
    logits = the classifier Dense's input times its kernel plus its bias (the pre-softmax
             score; the saved models keep their softmax)
    alpha  = mean over positions of d logits[c] / d A          (tf.GradientTape)
    coarse = ReLU(sum_k alpha_k A_k)
    heatmap = coarse resized to the input (tf.image.resize, bilinear, half-pixel centres;
              3D: the same rule along each axis in NumPy), divided by its maximum

Models:
- `small_cnn`: Zoo's SmallCNN at 32x32x3 (Sequential, automatic names), layers `conv2d_2`
  and `conv2d_1`.
- `resnet50`: keras.applications.ResNet50(weights=None, input 96x96x3, 3 classes), random
  batch-norm statistics, layers `conv5_block3_out` (the last convolutional block) and
  `conv5_block3_2_relu` (the CT paper's `conv5_block3_2`).
- `cnn3d`: a small 3D CNN at 12x12x12x1 (Conv3D 8, BatchNormalization, MaxPooling3D,
  Conv3D 16, GlobalAveragePooling3D, Dense 2 softmax), layer `conv3d_1`.

Files, in OUT_DIR (default `$ZOO_FIXTURES/gradcam`, else `~/.cache/zoo/fixtures/gradcam`);
a folder that already holds `cases.json` is left alone:

    <model>.weights.h5       the weights
    <model>.input.npy        the input batch (float32, channels last)
    <case>.coarse.npy        (N, spatial...) maps at the layer's resolution
    <case>.heatmap.npy       (N, input spatial...) normalized maps
    <case>.weights.npy       (N, channels) the channel weights alpha
    cases.json               [{name, model, layer, classes (per sample), scores}, ...]

Usage: python Tests/Fixtures/gradcam_reference.py [OUT_DIR]
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras_small_cnn import small_cnn_32  # noqa: E402
import tensorflow as tf  # noqa: E402


def small_cnn():
    return small_cnn_32(), (3, 32, 32, 3)


def resnet50():
    keras.backend.clear_session()
    model = keras.applications.ResNet50(weights=None, input_shape=(96, 96, 3), classes=3)
    return model, (2, 96, 96, 3)


def cnn3d():
    keras.backend.clear_session()
    model = keras.Sequential([
        keras.Input((12, 12, 12, 1)),
        keras.layers.Conv3D(8, 3, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.MaxPooling3D(),
        keras.layers.Conv3D(16, 3, activation="relu"),
        keras.layers.GlobalAveragePooling3D(),
        keras.layers.Dense(2, activation="softmax"),
    ])
    return model, (2, 12, 12, 12, 1)


MODELS = {"small_cnn": small_cnn, "resnet50": resnet50, "cnn3d": cnn3d}
# (case name, model, layer, classes per sample; None = the predicted class)
CASES = [
    ("small_cnn_last_predicted", "small_cnn", "conv2d_2", None),
    ("small_cnn_last_class1", "small_cnn", "conv2d_2", [1, 1, 1]),
    ("small_cnn_inner_class0", "small_cnn", "conv2d_1", [0, 0, 0]),
    ("resnet50_last_predicted", "resnet50", "conv5_block3_out", None),
    ("resnet50_conv5_block3_2_mixed", "resnet50", "conv5_block3_2_relu", [0, 1]),
    ("resnet50_conv4_mixed", "resnet50", "conv4_block6_out", [2, 1]),
    ("cnn3d_predicted", "cnn3d", "conv3d_1", None),
    ("cnn3d_class1", "cnn3d", "conv3d_1", [1, 1]),
]


def randomize(model, seed, all_weights):
    """Random batch-norm statistics and biases; kernels keep Keras's initializers unless
    `all_weights`."""
    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:
        shape = tuple(w.shape)
        current = np.array(w.numpy())
        if "variance" in w.path:
            values.append(rng.uniform(0.5, 1.5, shape).astype("float32"))
        elif "gamma" in w.path:
            values.append(rng.uniform(0.8, 1.2, shape).astype("float32"))
        elif "moving_mean" in w.path or "beta" in w.path or "bias" in w.path:
            values.append((rng.standard_normal(shape) * 0.1).astype("float32"))
        elif all_weights:
            values.append((rng.standard_normal(shape) * 0.1).astype("float32"))
        else:
            values.append(current)
    model.set_weights(values)


def linear_resize(values, size):
    """Half-pixel linear resize along every axis (NumPy), the rule of tf.image.resize."""
    out = values
    for axis, m in enumerate(size):
        n = out.shape[axis]
        source = np.maximum((np.arange(m) + 0.5) * n / m - 0.5, 0)
        low = np.minimum(np.floor(source).astype(int), n - 1)
        high = np.minimum(low + 1, n - 1)
        weight = (source - low).astype("float32")
        shape = [1] * out.ndim
        shape[axis] = m
        weight = weight.reshape(shape)
        out = np.take(out, low, axis=axis) * (1 - weight) + np.take(out, high, axis=axis) * weight
    return out


def grad_cam(model, x, layer_name, classes):
    classifier = model.layers[-1]
    probe = keras.Model(model.inputs, [model.get_layer(layer_name).output, classifier.input])
    with tf.GradientTape() as tape:
        activation, features = probe(x, training=False)
        logits = tf.matmul(features, classifier.kernel) + classifier.bias
        if classes is None:
            classes = [int(c) for c in np.argmax(model(x, training=False).numpy(), axis=-1)]
        mask = tf.one_hot(classes, logits.shape[-1])
        score = tf.reduce_sum(logits * mask)
    grads = tape.gradient(score, activation).numpy()
    activation = activation.numpy()
    spatial_axes = tuple(range(1, activation.ndim - 1))
    alpha = grads.mean(axis=spatial_axes, keepdims=True)
    coarse = np.maximum((alpha * activation).sum(axis=-1), 0)
    size = x.shape[1:-1]
    heatmaps = []
    for cam in coarse:
        if cam.ndim == 2:
            full = tf.image.resize(cam[..., None], size, method="bilinear").numpy()[..., 0]
        else:
            full = linear_resize(cam, size)
        peak = full.max()
        heatmaps.append(full / peak if peak > 0 else np.zeros_like(full))
    scores = (logits.numpy() * mask.numpy()).sum(axis=-1)
    return coarse.astype("float32"), np.stack(heatmaps).astype("float32"), classes, scores, alpha


def write_all(out):
    os.makedirs(out, exist_ok=True)
    built = {}
    for seed, (name, make) in enumerate(MODELS.items()):
        keras.utils.set_random_seed(seed + 1)  # Keras's initial kernels, reproducibly
        model, input_shape = make()
        randomize(model, seed + 11, all_weights=False)
        model.save_weights(os.path.join(out, f"{name}.weights.h5"))
        rng = np.random.default_rng(seed + 101)
        x = rng.standard_normal(input_shape).astype("float32")
        np.save(os.path.join(out, f"{name}.input.npy"), x)
        built[name] = (model, x)
    cases = []
    for case, name, layer, classes in CASES:
        model, x = built[name]
        coarse, heatmap, chosen, scores, alpha = grad_cam(model, x, layer, classes)
        np.save(os.path.join(out, f"{case}.weights.npy"), alpha.reshape(len(chosen), -1).astype("float32"))
        np.save(os.path.join(out, f"{case}.coarse.npy"), coarse)
        np.save(os.path.join(out, f"{case}.heatmap.npy"), heatmap)
        cases.append({"name": case, "model": name, "layer": layer, "requested": classes,
                      "classes": chosen, "scores": [float(s) for s in scores]})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)


def default_out():
    base = os.environ.get("ZOO_FIXTURES", os.path.expanduser("~/.cache/zoo/fixtures"))
    return os.path.join(base, "gradcam")


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else default_out()
    if os.path.exists(os.path.join(target, "cases.json")):
        print(f"{target}: up to date (remove it to rebuild)")
    else:
        write_all(target)
