"""Forward time of the reference frameworks' models at batch 1, as zoo-model-bench measures Zoo's.

Keras Applications for every Keras architecture; for ResNet18/34, which Keras lacks, PyTorch
with torchvision's ResNet structure (written out in bench/torch_models.py, because no
torchvision wheel matches the CPU build of torch on PyPI). Prints one JSON document.

    python bench/reference_models.py [--repeats 5] [--threads N] [--models a,b,...]
"""
import argparse
import json
import os
import statistics
import sys
import time

KERAS = {
    "resnet50": ("ResNet50", 224), "resnet101": ("ResNet101", 224), "resnet152": ("ResNet152", 224),
    "vgg16": ("VGG16", 224), "vgg19": ("VGG19", 224), "densenet121": ("DenseNet121", 224),
    "densenet201": ("DenseNet201", 224), "mobilenetv2": ("MobileNetV2", 224),
    "inceptionv3": ("InceptionV3", 299), "inceptionresnetv2": ("InceptionResNetV2", 299),
    "xception": ("Xception", 299),
}
TORCH = ["resnet18", "resnet34"]


def timed(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--models", default=None)
    args = parser.parse_args()
    wanted = set(args.models.split(",")) if args.models else set(KERAS) | set(TORCH)
    rows = []
    if wanted & set(KERAS):
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        try:
            import numpy as np
            import tensorflow as tf
            import keras
        except ImportError:
            sys.exit("reference_models.py: Keras is missing; install it with: pip install -r Tests/Fixtures/requirements.txt")
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        for name in [n for n in KERAS if n in wanted]:
            cls, size = KERAS[name]
            model = getattr(keras.applications, cls)(weights=None)
            x = tf.constant(np.random.rand(1, size, size, 3).astype("float32"))
            call = tf.function(lambda t: model(t, training=False))
            rows.append({"name": name, "framework": "keras " + keras.__version__,
                         "forward_s": timed(lambda: call(x).numpy(), args.repeats)})
            keras.backend.clear_session()
    if wanted & set(TORCH):
        try:
            import torch
            from torch_models import BUILDERS
        except ImportError:
            sys.exit("reference_models.py: PyTorch is missing; install it with: pip install -r Tests/Fixtures/requirements.txt")
        torch.set_num_threads(args.threads)
        for name in [n for n in TORCH if n in wanted]:
            model = BUILDERS[name]().eval()
            x = torch.rand(1, 3, 224, 224)
            with torch.no_grad():
                rows.append({"name": name, "framework": "torch " + torch.__version__,
                             "forward_s": timed(lambda: model(x), args.repeats)})
    print(json.dumps({"threads": args.threads, "results": rows}))


if __name__ == "__main__":
    main()
