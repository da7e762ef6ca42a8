"""Keras fine-tuning 20 steps from a model file, for Zoo's training-parity test (ZooKitTests.TrainingParityTests).

Two cases, their moving statistics set to the batch statistics of 32 other images (as a
trained network's are), each saved before training as a `.keras` file with its frozen layers
marked `trainable: false` (as a colleague's file would be), then trained by Keras on fixed
batches:

- `small`: Conv2D 4 without bias (`conv1`) + BatchNormalization (`bn1`), both frozen (so `bn1`
  runs on its moving statistics, Keras's rule for a frozen batch normalization), MaxPooling2D,
  Conv2D 8 without bias + BatchNormalization (in training mode), GlobalAveragePooling2D, Dense 2
  softmax, on 24x24x1.
- `mobilenet`: keras.applications.MobileNetV2 (alpha 0.35, no top, random weights) on 64x64x3
  with its first 30 layers frozen, under a custom head: GlobalAveragePooling2D + Dense 2 softmax.

Training: 20 steps of `model.train_on_batch` on batches of 8 in order (no shuffling, no
dropout), Adam (learning rate 1e-3, epsilon 1e-3, Keras's convention), categorical
cross-entropy on the softmax, class weights {0: 1, 1: 2.5} (Keras's weighted mean over the batch
size).

Why epsilon 1e-3 and not Keras's 1e-7: Adam's first steps are lr * g / |g| whatever the size of
g, so a weight whose gradient lies at the level of float32 rounding (MobileNetV2's bottleneck
betas have a gradient of exactly zero: each consumer normalizes their shift away) steps by the
full learning rate in a direction no two implementations share, and the runs part within a few
steps. An epsilon well above the rounding level keeps such steps at the size of their
gradients; everything else about the update is Keras's. Why no convolution bias before a batch
normalization in `small`: the same zero gradient.

Files, in OUT_DIR (default `$ZOO_FIXTURES/keras_training_parity`, else
`~/.cache/zoo/fixtures/keras_training_parity`); a folder that already holds `expected.json` is
left alone:

    <case>.initial.keras   the model before training
    <case>.final.weights.h5    the weights after the 20 steps
    <case>.x.npy           the 160 inputs, in batch order
    <case>.y.npy           their labels (float32 0/1)
    mobilenet.before<t>.{weights,m,v}.npy, mobilenet.after<t>.{...}.npy
                           the whole state before and after steps 1, 11 and 20: every weight,
                           and Adam's moments of the trainable ones, each flattened into one
                           vector in the order of mobilenet.layout.json
    mobilenet.boundary<t>.json
                           the trainable ReLU6 inputs within BOUNDARY of 0 or 6 before step t
    mobilenet.layout.json  {"weights": [[layer, index in layer.weights], ...], "trainable": [...]}
    expected.json          {"<case>": {"losses": [20 per-step losses], "class_weight": [1, 2.5],
                            "batch_size": 8, "epsilon": 0.001, "learning_rate": 0.001}}

Free-running, 20 steps of a deep batch-normalized network part in float32 whatever the two
implementations share (Keras against itself, its batch variance taken in float64 rather than as its
E[x^2] - E[x]^2 in float32, differs by 6.5e-4 in the loss of step 6 and 1.9e-2 in that of step
20, at a learning rate of 1e-4), so the backbone is compared step
by step from Keras's state; the small network is compared over the 20 free-running steps.

ReLU6's derivative is a step, and float32 cannot say on which side of it an activation within
rounding of 0 or 6 lies: two correct implementations, or one with two convolution algorithms,
put it on either side, and the one element's whole gradient then flows or not through its
channel's batch normalization into every layer below (seen: a value of 2.3e-6 in one run was
-6e-8 in another, and 27 weights of step 1 moved by up to 1.7e-3). So before each recorded step,
every activation of a trainable ReLU6 that lies within BOUNDARY of 0 or 6 is written with
Keras's value (`mobilenet.boundary<t>.json`: [[layer, index in NHWC order, value], ...]); Zoo's
test takes Keras's side for exactly those and computes everything else itself. The values come
from the same forward pass as the step's, checked: the model's output from them gives the
step's loss.

Usage: python Tests/Fixtures/keras_training_parity.py [OUT_DIR]
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

STEPS, BATCH = 20, 8
CLASS_WEIGHT = {0: 1.0, 1: 2.5}
EPSILON = 1e-3
LEARNING_RATE = 1e-3
# The steps before and after which the backbone's whole state is written (see above).
STATE_STEPS = [1, 11, 20]
# How near 0 or 6 an activation of a trainable ReLU6 must lie for its side to be written (see
# above): ten times the largest difference seen between two of Zoo's algorithm mixes (1.4e-5).
BOUNDARY = 1e-4
# How near the probe's loss must lie to the step's for its activations to count as the step's:
# the probe is an eager call, the step a compiled one, and they round differently (1.7e-6 of the
# loss seen on an Intel Xeon); the weights after the step instead of before move it by more.
PROBE_AGREEMENT = 2e-5


def small():
    inputs = keras.Input((24, 24, 1), name="image")
    # No convolution bias before a batch normalization: its gradient is zero (see above).
    x = layers.Conv2D(4, 3, padding="same", activation="relu", use_bias=False, name="conv1")(inputs)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.MaxPooling2D(name="pool1")(x)
    x = layers.Conv2D(8, 3, padding="same", activation="relu", use_bias=False, name="conv2")(x)
    x = layers.BatchNormalization(name="bn2")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(2, activation="softmax", name="score")(x)
    model = keras.Model(inputs, outputs, name="small")
    return model, (24, 24, 1), lambda m: [m.get_layer("conv1"), m.get_layer("bn1")]


def mobilenet():
    base = keras.applications.MobileNetV2(input_shape=(64, 64, 3), alpha=0.35, include_top=False, weights=None)
    x = layers.GlobalAveragePooling2D(name="head_pool")(base.output)
    outputs = layers.Dense(2, activation="softmax", name="head")(x)
    model = keras.Model(base.input, outputs, name="mobilenet_head")
    return model, (64, 64, 3), lambda m: m.layers[:30]


def calibrate(model, images):
    """Sets every batch normalization's moving statistics to the batch statistics of `images`."""
    norms = [layer for layer in model.layers if isinstance(layer, layers.BatchNormalization)]
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0
    model(images, training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum


def weight_layout(model):
    """Every weight as (layer name, index in the layer's weights, variable), in layer order."""
    return [(layer.name, index, variable) for layer in model.layers for index, variable in enumerate(layer.weights)]


def save_state(model, layout, stem):
    """The whole training state as three flat float32 vectors: every weight (layout order), and
    Adam's first and second moments of the trainable ones (zero before the first step)."""
    np.save(stem + ".weights.npy", np.concatenate([np.asarray(v.numpy(), "float32").ravel() for _, _, v in layout]))
    optimizer = model.optimizer
    built = optimizer.built and int(optimizer.iterations.numpy()) > 0
    for slot, moments in [("m", "_momentums"), ("v", "_velocities")]:
        parts = []
        for _, _, variable in layout:
            if not variable.trainable:
                continue
            value = getattr(optimizer, moments)[optimizer._get_variable_index(variable)].numpy() if built else np.zeros(variable.shape)
            parts.append(np.asarray(value, "float32").ravel())
        np.save(f"{stem}.{slot}.npy", np.concatenate(parts))


def boundary_activations(model, first_trainable, x, onehot, loss):
    """The inputs of the trainable ReLU6 layers within BOUNDARY of 0 or 6, in training mode on
    batch `x`, as [layer, flat NHWC index, value]. Keras's training-mode call updates the moving
    statistics, so every weight is put back after it. Stops unless the model's output from the
    same call gives the step's `loss` within PROBE_AGREEMENT: the values are then the step's up to
    the rounding of an eager call against a compiled one, which can put a value within about
    1e-6 of 0 or 6 on the other side (TrainingParityTests treats those as either side)."""
    relus = [layer for layer in model.layers[first_trainable:] if isinstance(layer, layers.ReLU)]
    probe = keras.Model(model.input, [layer.input for layer in relus] + [model.output])
    saved = [variable.numpy() for variable in model.weights]
    *values, probabilities = [np.asarray(v) for v in probe(x, training=True)]
    for variable, value in zip(model.weights, saved):
        variable.assign(value)
    weights = np.array([CLASS_WEIGHT[int(label)] for label in onehot[:, 1]], "float64")
    cross_entropy = -np.sum(onehot * np.log(np.clip(probabilities.astype("float64"), 1e-7, 1 - 1e-7)), axis=1)
    probe_loss = float(np.sum(weights * cross_entropy) / len(x))
    if abs(probe_loss - loss) > PROBE_AGREEMENT * max(1.0, abs(loss)):
        raise SystemExit(f"keras_training_parity: the probe's loss {probe_loss} is not the step's {loss}")
    found = []
    for layer, value in zip(relus, values):
        flat = value.astype("float32").ravel()
        near = np.flatnonzero((np.abs(flat) < BOUNDARY) | (np.abs(flat - layer.max_value) < BOUNDARY))
        found += [[layer.name, int(index), float(flat[index])] for index in near]
    return found


def main():
    fixtures = os.environ.get("ZOO_FIXTURES", os.path.expanduser("~/.cache/zoo/fixtures"))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(fixtures, "keras_training_parity")
    # A folder written before the boundary files existed is written again.
    if os.path.exists(os.path.join(out, "expected.json")) and os.path.exists(os.path.join(out, "mobilenet.boundary1.json")):
        return
    os.makedirs(out, exist_ok=True)
    expected = {}
    for name, build in [("small", small), ("mobilenet", mobilenet)]:
        keras.backend.clear_session()
        keras.utils.set_random_seed(21)
        model, shape, frozen = build()
        random = np.random.default_rng(21)
        # Moving statistics as a trained network has them (the batch statistics of other
        # images): a frozen batch normalization runs on them, and with the initial 0 and 1 the
        # activations of a deep random network shrink below epsilon, where the sign of a
        # rounding error decides ReLU's gradient in either framework.
        calibrate(model, random.normal(0, 1, (32,) + shape).astype("float32"))
        for layer in frozen(model):
            layer.trainable = False
        model.save(os.path.join(out, f"{name}.initial.keras"))
        x = random.normal(0, 1, (STEPS * BATCH,) + shape).astype("float32")
        y = (random.uniform(size=STEPS * BATCH) < 0.4).astype("float32")
        np.save(os.path.join(out, f"{name}.x.npy"), x)
        np.save(os.path.join(out, f"{name}.y.npy"), y)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE, epsilon=EPSILON), loss=keras.losses.CategoricalCrossentropy())
        onehot = np.stack([1 - y, y], axis=1)
        losses = []
        layout = weight_layout(model)
        for step in range(STEPS):
            if name == "mobilenet" and step + 1 in STATE_STEPS:
                save_state(model, layout, os.path.join(out, f"{name}.before{step + 1}"))
            batch = slice(step * BATCH, (step + 1) * BATCH)
            before = [variable.numpy() for variable in model.weights] if name == "mobilenet" and step + 1 in STATE_STEPS else None
            loss = model.train_on_batch(x[batch], onehot[batch], class_weight=CLASS_WEIGHT)
            losses.append(float(np.asarray(loss).reshape(-1)[0]))
            if before is not None:
                save_state(model, layout, os.path.join(out, f"{name}.after{step + 1}"))
                after = [variable.numpy() for variable in model.weights]
                for variable, value in zip(model.weights, before):
                    variable.assign(value)
                near = boundary_activations(model, len(frozen(model)), x[batch], onehot[batch], losses[-1])
                for variable, value in zip(model.weights, after):
                    variable.assign(value)
                with open(os.path.join(out, f"{name}.boundary{step + 1}.json"), "w") as f:
                    json.dump(near, f)
        if name == "mobilenet":
            with open(os.path.join(out, f"{name}.layout.json"), "w") as f:
                json.dump({"weights": [[layer, index] for layer, index, _ in layout],
                           "trainable": [[layer, index] for layer, index, variable in layout if variable.trainable]}, f)
        model.save_weights(os.path.join(out, f"{name}.final.weights.h5"))
        expected[name] = {
            "losses": losses, "class_weight": [CLASS_WEIGHT[0], CLASS_WEIGHT[1]], "batch_size": BATCH, "epsilon": EPSILON,
            "learning_rate": LEARNING_RATE}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
