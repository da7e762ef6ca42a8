"""Writes what keras.applications builds, for Zoo's architecture tests to compare against.

For every application (random weights, 1000 classes, top included, default input) it writes
<out>/<name>.json with the total and trainable parameter counts and, in `model.layers` order,
each layer's name, class and weights (name and shape). The test command runs it once per
machine into ~/.cache/zoo/fixtures/keras_applications (see scripts/reference-env.sh).

    python Tests/Fixtures/keras_applications.py OUT_DIR [name ...]
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402

APPLICATIONS = {
    "resnet50": keras.applications.ResNet50,
    "resnet101": keras.applications.ResNet101,
    "resnet152": keras.applications.ResNet152,
    "vgg16": keras.applications.VGG16,
    "vgg19": keras.applications.VGG19,
    "densenet121": keras.applications.DenseNet121,
    "densenet201": keras.applications.DenseNet201,
    "mobilenetv2": keras.applications.MobileNetV2,
    "inceptionv3": keras.applications.InceptionV3,
    "inceptionresnetv2": keras.applications.InceptionResNetV2,
    "xception": keras.applications.Xception,
}


def describe(model):
    layers = []
    for layer in model.layers:
        layers.append({
            "name": layer.name,
            "class": layer.__class__.__name__,
            "weights": [[w.path.split("/")[-1], list(w.shape)] for w in layer.weights],
        })
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    return {"total": int(model.count_params()), "trainable": trainable, "layers": layers}


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or list(APPLICATIONS)
    os.makedirs(out, exist_ok=True)
    for name in names:
        path = os.path.join(out, name + ".json")
        if os.path.exists(path):
            continue
        keras.backend.clear_session()  # automatic names count from a fresh program
        model = APPLICATIONS[name](weights=None)
        with open(path + ".tmp", "w") as f:
            json.dump(describe(model), f)
        os.replace(path + ".tmp", path)
        print(f"{name}: {len(model.layers)} layers, {model.count_params():,} parameters")


if __name__ == "__main__":
    main()
