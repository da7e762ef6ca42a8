"""What Keras predicts for image files, for `zoo predict MODEL` (ZooKit's ModelFilePrediction).

Writes three PNG images (RGB and gray, sizes other than the model's), then reads them as a Keras
user does, `keras.utils.load_img(path, color_mode="rgb", target_size=(32, 32),
interpolation=...)` and `img_to_array`, rescales by 1/255 and predicts with the SmallCNN
`.keras` file of Tests/Fixtures/keras_weight_files.py, for the bilinear and nearest
interpolations.

Files, in OUT_DIR (default `$ZOO_FIXTURES/keras_predict`, else
`~/.cache/zoo/fixtures/keras_predict`); a folder that already holds `expected.json` is left alone:

    images/<name>.png   the images
    expected.json       {"bilinear": {"<name>.png": [p0, p1]}, "nearest": {...}}

Usage: python Tests/Fixtures/keras_predict_reference.py [OUT_DIR]
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def main():
    fixtures = os.environ.get("ZOO_FIXTURES", os.path.expanduser("~/.cache/zoo/fixtures"))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(fixtures, "keras_predict")
    if os.path.exists(os.path.join(out, "expected.json")):
        return
    model = keras.saving.load_model(os.path.join(fixtures, "keras_weight_files", "small_cnn.keras"), compile=False)
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    random = np.random.default_rng(7)
    images = {
        "rgb_45x37.png": Image.fromarray(random.integers(0, 256, (45, 37, 3), dtype=np.uint8), "RGB"),
        "gray_30x50.png": Image.fromarray(random.integers(0, 256, (30, 50), dtype=np.uint8), "L"),
        "rgb_20x64.png": Image.fromarray(random.integers(0, 256, (20, 64, 3), dtype=np.uint8), "RGB"),
    }
    for name, image in images.items():
        image.save(os.path.join(out, "images", name))
    expected = {}
    for interpolation in ["bilinear", "nearest"]:
        expected[interpolation] = {}
        for name in images:
            image = keras.utils.load_img(
                os.path.join(out, "images", name), color_mode="rgb", target_size=(32, 32), interpolation=interpolation)
            x = keras.utils.img_to_array(image)[None] * (1 / 255)
            expected[interpolation][name] = [float(v) for v in model.predict(x, verbose=0)[0]]
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
