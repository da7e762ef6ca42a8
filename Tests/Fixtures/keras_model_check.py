"""Keras's side of whole-model export: `keras.saving.load_model` must read every `.keras`
archive and full-model `.h5` that Zoo's tests exported (Tests/ZooKerasTests) and predict what
Zoo predicted.

    python Tests/Fixtures/keras_model_check.py DIR

For each `DIR/<name>.zoo-model.keras` and `.h5`, loads the model (compile=False), predicts
`<name>.zoo-model.input.npy` (with `input1.npy`, ... for a model of several inputs) and compares with `<name>.zoo-model.output.npy`: the largest
difference must be at most 1e-5 of the largest output magnitude (at least 1: logits of deep
networks reach the hundreds, where float32 itself resolves about 1e-5). Prints one line per file; exit status 1 on any
failure, 2 when there is nothing to check.
"""
import glob
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402

TOLERANCE = 1e-5


def check(path):
    stem = path.rsplit(".zoo-model.", 1)[0]
    x = np.load(stem + ".zoo-model.input.npy")
    # A model of several inputs: input.npy, input1.npy, input2.npy, ... in the model's order.
    extra = []
    while os.path.exists(f"{stem}.zoo-model.input{len(extra) + 1}.npy"):
        extra.append(np.load(f"{stem}.zoo-model.input{len(extra) + 1}.npy"))
    if extra:
        x = [x] + extra
    expected = np.load(stem + ".zoo-model.output.npy")
    keras.backend.clear_session()
    model = keras.saving.load_model(path, compile=False)
    predicted = np.asarray(model.predict(x, verbose=0))
    if predicted.shape != expected.shape:
        print(f"FAIL {os.path.basename(path)}: Keras's output {predicted.shape}, Zoo's {expected.shape}")
        return False
    difference = float(np.max(np.abs(predicted - expected)))
    scale = max(1.0, float(np.max(np.abs(expected))))
    verdict = "ok  " if difference <= TOLERANCE * scale else "FAIL"
    print(f"{verdict} {os.path.basename(path)}: {len(model.layers)} layers, largest difference {difference:.2e} "
          f"(largest output {scale:.3g})")
    return difference <= TOLERANCE * scale


def main():
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
