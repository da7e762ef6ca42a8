"""Keras's side of whole-model export: `keras.saving.load_model` must read every `.keras`
archive and full-model `.h5` that Zoo's tests exported (Tests/ZooKerasTests) and predict what
Zoo predicted.

    python Tests/Fixtures/keras_model_check.py DIR

For each `DIR/<name>.zoo-model.keras` and `.h5`, loads the model (compile=False), predicts
`<name>.zoo-model.input.npy` (with `input1.npy`, ... for a model of several inputs) and compares with `<name>.zoo-model.output.npy`: the largest
difference must be at most 1e-5 of the largest output magnitude (at least 1: logits of deep
networks reach the hundreds, where float32 itself resolves about 1e-5).

Beyond that, a difference is still float32's if Keras differs as much from itself: the deepest
networks' rounding reaches 1e-5 of their outputs in Keras alone (InceptionResNetV2, 782 layers:
1.20e-5 between TensorFlow's oneDNN kernels and its Eigen kernels, TF_ENABLE_ONEDNN_OPTS=1 and
0, on an output of 3.1; Zoo against either 1.29e-5 and 1.38e-5). So such a file predicts again
on TensorFlow's other kernels, in a process of its own (the setting is read once, at import),
and passes if Zoo's difference is at most twice Keras's own, and at most 1e-4 of the output (a
weight read into the wrong place moves it by far more). Prints one line per file; exit status
1 on any failure, 2 when there is nothing to check.
"""
import glob
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402

TOLERANCE = 1e-5
# The most a difference may reach, whatever Keras's own spread.
CEILING = 1e-4


def load_inputs(stem):
    """The model's input array, or the list of them for a model of several inputs."""
    x = np.load(stem + ".zoo-model.input.npy")
    # A model of several inputs: input.npy, input1.npy, input2.npy, ... in the model's order.
    extra = []
    while os.path.exists(f"{stem}.zoo-model.input{len(extra) + 1}.npy"):
        extra.append(np.load(f"{stem}.zoo-model.input{len(extra) + 1}.npy"))
    return [x] + extra if extra else x


def predict(path):
    keras.backend.clear_session()
    model = keras.saving.load_model(path, compile=False)
    return model, np.asarray(model.predict(load_inputs(path.rsplit(".zoo-model.", 1)[0]), verbose=0))


def other_kernels_prediction(path):
    """Keras's prediction of the file on TensorFlow's other kernel set, from a new process."""
    other = "0" if os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0" else "1"
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "prediction.npy")
        subprocess.run([sys.executable, __file__, "--predict", path, out], check=True,
                       env=dict(os.environ, TF_ENABLE_ONEDNN_OPTS=other))
        return np.load(out)


def check(path):
    expected = np.load(path.rsplit(".zoo-model.", 1)[0] + ".zoo-model.output.npy")
    model, predicted = predict(path)
    if predicted.shape != expected.shape:
        print(f"FAIL {os.path.basename(path)}: Keras's output {predicted.shape}, Zoo's {expected.shape}")
        return False
    difference = float(np.max(np.abs(predicted - expected)))
    scale = max(1.0, float(np.max(np.abs(expected))))
    passed = difference <= TOLERANCE * scale
    spread = ""
    if not passed and difference <= CEILING * scale:
        own = float(np.max(np.abs(other_kernels_prediction(path) - predicted)))
        passed = difference <= 2 * own
        spread = f"; Keras against itself on TensorFlow's other kernels {own:.2e}"
    verdict = "ok  " if passed else "FAIL"
    print(f"{verdict} {os.path.basename(path)}: {len(model.layers)} layers, largest difference {difference:.2e} "
          f"(largest output {scale:.3g}){spread}")
    return passed


def main():
    if sys.argv[1] == "--predict":
        np.save(sys.argv[3], predict(sys.argv[2])[1])
        return
    files = sorted(glob.glob(os.path.join(sys.argv[1], "*.zoo-model.keras")) + glob.glob(os.path.join(sys.argv[1], "*.zoo-model.h5")))
    if not files:
        print("keras_model_check: no exported models to check")
        sys.exit(2)
    failures = []
    for path in files:
        try:
            if not check(path):
                failures.append(path)
        except Exception as error:  # report every file, then fail
            print(f"FAIL {os.path.basename(path)}: {type(error).__name__}: {error}"[:2000])
            failures.append(path)
    print(f"keras_model_check: {len(files) - len(failures)} of {len(files)} files load and predict as Zoo does")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
