"""One workload of `zoo bench`, timed in PyTorch or Keras, printed as one JSON line.

    python bench/reference_workloads.py --framework {torch,keras} --workload NAME
        [--repeats 5] [--threads T] [--batch B] [--size S]

Random input and labels from a fixed seed; 2 warm-up steps, then `repeats` timed steps. A
training step is forward, softmax cross-entropy on logits, backward and an Adam (lr 1e-3)
update; inference is the forward pass in eval mode. PyTorch runs eagerly in NCHW (its native
layout), Keras a compiled TensorFlow function in NHWC; `input` is reported as (spatial...,
channels) for both. The `loader` workload times PyTorch's DataLoader only (Keras has no
equivalent of Zoo's FolderDataset + DataLoader; it reports itself unavailable).

Fields: framework, version, workload, batch, input, median_seconds, seconds, images_per_second,
peak_rss_mb, threads, parameters (Keras's count: batch norm's moving statistics included), and
"unavailable" (with median_seconds null) when the framework cannot run the workload.
Exit status 3 when the framework cannot be imported, 2 for an unknown workload.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import namedtuple

# model: key of torch_models/keras_models.BUILDERS; dims: spatial dimensions of the input.
Workload = namedtuple("Workload", "model mode batch size classes channels dims")
WORKLOADS = {
    "w1_small_cnn_train": Workload("small_cnn", "train", 20, 124, 2, 1, 2),
    "w2_resnet18_train": Workload("resnet18", "train", 8, 224, 1000, 3, 2),
    "w3_resnet50_infer_b1": Workload("resnet50", "infer", 1, 224, 1000, 3, 2),
    "w3_resnet50_infer_b8": Workload("resnet50", "infer", 8, 224, 1000, 3, 2),
    "w4_resnet50_train": Workload("resnet50", "train", 4, 224, 1000, 3, 2),
    "w5_unet3d_train": Workload("unet3d", "train", 1, 64, 2, 1, 3),
    "w6_densenet121_infer": Workload("densenet121", "infer", 1, 224, 1000, 3, 2),
    "w6_mobilenetv2_infer": Workload("mobilenetv2", "infer", 1, 224, 1000, 3, 2),
    "w6_inceptionv3_infer": Workload("inceptionv3", "infer", 1, 299, 1000, 3, 2),
    # 256 gray 128x128 PNGs in class0/ and class1/, read as RGB (ImageFolder's default), random
    # horizontal flip, bilinear resize to `size`, tensors; batch 32, 2 workers, one epoch a repeat.
    "loader": Workload(None, "loader", 32, 112, 2, 3, 2),
}
WARMUP = 2
LOADER_IMAGES, LOADER_IMAGE_SIZE, LOADER_WORKERS = 256, 128, 2


def cannot_import(package):
    print(f"reference_workloads.py: cannot import {package}; install the pinned references: "
          "pip install -r bench/requirements.txt", file=sys.stderr)
    sys.exit(3)


def timed(step, repeats, warmup=WARMUP):
    for _ in range(warmup):
        step()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    return seconds


def torch_run(w, args):
    """(version, seconds, parameters) of the workload in eager PyTorch."""
    try:
        import torch
        from torch import nn
    except ImportError:
        cannot_import("torch")
    from torch_models import BUILDERS, keras_count
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    if w.mode == "loader":
        return torch.__version__, torch_loader_epochs(w, args), None
    model = BUILDERS[w.model](classes=w.classes, size=args.size)
    x = torch.randn(args.batch, w.channels, *[args.size] * w.dims)
    if w.mode == "infer":
        model.eval()

        def step():
            with torch.inference_mode():
                model(x)
    else:
        model.train()
        y = torch.randint(0, w.classes, (args.batch,) + ((args.size,) * w.dims if w.model == "unet3d" else ()))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()  # softmax cross-entropy on logits, per voxel for the U-Net

        def step():
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()
            optimizer.step()
    return torch.__version__, timed(step, args.repeats), keras_count(model)


def torch_loader_epochs(w, args):
    """Seconds per batch of each epoch (the workers start afresh every epoch, as a training
    loop's do, so there is no warm-up) over a folder of PNGs written for the run."""
    import functools

    import numpy as np
    import torch
    from PIL import Image
    from torch.utils.data import DataLoader
    from torch_loader import PILImageFolder, flip_resize_to_tensor

    with tempfile.TemporaryDirectory(prefix="zoo-loader-") as root:
        # Deterministic rings, different per image: a pattern, not noise, so PNG compresses
        # it as it compresses real scans; Zoo writes the same formula.
        yy, xx = np.mgrid[0:LOADER_IMAGE_SIZE, 0:LOADER_IMAGE_SIZE]
        for i in range(LOADER_IMAGES):
            folder = os.path.join(root, f"class{i * 2 // LOADER_IMAGES}")
            os.makedirs(folder, exist_ok=True)
            pixels = ((xx * xx + yy * yy + 37 * i) % 256).astype(np.uint8)
            Image.fromarray(pixels, "L").save(os.path.join(folder, f"{i:04d}.png"))
        dataset = PILImageFolder(root, functools.partial(flip_resize_to_tensor, size=args.size))
        loader = DataLoader(dataset, batch_size=args.batch, shuffle=True, num_workers=LOADER_WORKERS,
                            generator=torch.Generator().manual_seed(0))
        seconds = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            batches = sum(1 for _ in loader)
            seconds.append((time.perf_counter() - start) / batches)
        return seconds


def keras_run(w, args):
    """(version, seconds, parameters) of the workload in Keras on TensorFlow."""
    if w.mode == "loader":
        return None, None, None
    try:
        import numpy as np
        import tensorflow as tf
        import keras
    except ImportError as error:
        cannot_import(error.name or "keras")
    from keras_models import BUILDERS
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(0)
    version = f"{keras.__version__} (tensorflow {tf.__version__})"
    model = BUILDERS[w.model](classes=w.classes, size=args.size)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((args.batch,) + (args.size,) * w.dims + (w.channels,), dtype=np.float32))
    if w.mode == "infer":
        forward = tf.function(lambda t: model(t, training=False))

        def step():
            forward(x).numpy()
    else:
        labels = (args.batch,) + ((args.size,) * w.dims if w.model == "unet3d" else ())
        y = tf.constant(rng.integers(0, w.classes, labels, dtype=np.int32))
        # Keras's own compiled train step (a tf.function); XLA off, as Keras users run it on CPU.
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=False)

        def step():
            model.train_on_batch(x, y)
    return version, timed(step, args.repeats), model.count_params()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--framework", choices=["torch", "keras"], required=True)
    parser.add_argument("--workload", required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--size", type=int, default=None)
    args = parser.parse_args()
    if args.workload not in WORKLOADS:
        print(f"reference_workloads.py: unknown workload {args.workload!r}; valid: {', '.join(WORKLOADS)}",
              file=sys.stderr)
        sys.exit(2)
    w = WORKLOADS[args.workload]
    args.batch = args.batch or w.batch
    args.size = args.size or w.size
    # Before the frameworks load: OpenMP (torch) reads it once, at start-up.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")

    version, seconds, parameters = (torch_run if args.framework == "torch" else keras_run)(w, args)
    median = statistics.median(seconds) if seconds else None
    result = {"framework": args.framework, "version": version, "workload": args.workload, "batch": args.batch,
              "input": [args.size] * w.dims + [w.channels], "median_seconds": median, "seconds": seconds or [],
              "images_per_second": args.batch / median if median else None,
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "threads": args.threads,
              "parameters": parameters}
    if seconds is None:
        result["unavailable"] = "Keras has no data loader comparable to Zoo's; the loader is compared with PyTorch only"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
