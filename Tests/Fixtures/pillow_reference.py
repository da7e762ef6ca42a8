"""Pillow's resizing of 8-bit images, for ZooData's `pillow_resize` test.

Keras's `load_img(target_size=...)` resizes with Pillow's `Image.resize`. For gray and RGB images
of odd and even sizes filled with random 8-bit values, this writes Pillow's NEAREST and
BILINEAR results for targets smaller and larger along each axis (both smaller, both larger,
and each of the mixed cases), and BILINEAR for size pairs that decide its pass order (`order_*`:
Pillow 13 runs the vertical pass first when the height loses more than twice the columns the
width loses, and each pass rounds to 8 bits): the boundary, a tie, and 60 random pairs.

Files, in OUT_DIR (default `$ZOO_FIXTURES/pillow`, else `~/.cache/zoo/fixtures/pillow`); a folder
whose `cases.json` already lists the pass-order cases is left alone:

    <case>.input.npy    (height, width, channels) float32 of the 8-bit values
    <case>.output.npy   Pillow's result, the same layout
    cases.json          [{name, filter, size: [height, width]}, ...]

Usage: python Tests/Fixtures/pillow_reference.py [OUT_DIR]
"""
import json
import os
import sys

import numpy as np
from PIL import Image

FILTERS = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR}


def main():
    default = os.path.join(os.environ.get("ZOO_FIXTURES", os.path.expanduser("~/.cache/zoo/fixtures")), "pillow")
    out = sys.argv[1] if len(sys.argv) > 1 else default
    listed = os.path.join(out, "cases.json")
    if os.path.exists(listed):
        with open(listed) as f:
            if any(case["name"].startswith("order_") for case in json.load(f)):
                return
    os.makedirs(out, exist_ok=True)
    random = np.random.default_rng(2026)
    cases = []
    sources = [("gray", (37, 23), 1), ("rgb", (29, 41), 3), ("even", (64, 48), 3)]
    targets = [(17, 11), (80, 55), (13, 50), (60, 9), (224, 224), (7, 7)]
    for label, (height, width), channels in sources:
        pixels = random.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
        image = Image.fromarray(pixels[:, :, 0] if channels == 1 else pixels, "L" if channels == 1 else "RGB")
        for filter_name, resample in FILTERS.items():
            for target_height, target_width in targets:
                name = f"{label}_{height}x{width}_{filter_name}_{target_height}x{target_width}"
                result = np.asarray(image.resize((target_width, target_height), resample))
                if channels == 1:
                    result = result[:, :, None]
                np.save(os.path.join(out, f"{name}.input.npy"), pixels.astype(np.float32))
                np.save(os.path.join(out, f"{name}.output.npy"), result.astype(np.float32))
                cases.append({"name": name, "filter": filter_name, "size": [target_height, target_width]})
    # Pass order: (source height, width) -> (target height, width).
    pairs = [((45, 37), (32, 32)), ((40, 35), (20, 30)), ((30, 20), (20, 15)), ((30, 20), (19, 15)), ((47, 20), (20, 19)),
             ((15, 40), (5, 10)), ((30, 10), (10, 30)), ((10, 30), (30, 10))]
    pairs += [((int(a), int(b)), (int(c), int(d))) for a, b, c, d in random.integers(5, 61, size=(60, 4))]
    for index, ((height, width), (target_height, target_width)) in enumerate(pairs):
        channels = 3 if index % 2 else 1
        pixels = random.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
        image = Image.fromarray(pixels[:, :, 0] if channels == 1 else pixels, "L" if channels == 1 else "RGB")
        name = f"order_{index}_{height}x{width}_bilinear_{target_height}x{target_width}"
        result = np.asarray(image.resize((target_width, target_height), Image.BILINEAR))
        if channels == 1:
            result = result[:, :, None]
        np.save(os.path.join(out, f"{name}.input.npy"), pixels.astype(np.float32))
        np.save(os.path.join(out, f"{name}.output.npy"), result.astype(np.float32))
        cases.append({"name": name, "filter": "bilinear", "size": [target_height, target_width]})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)


if __name__ == "__main__":
    main()
