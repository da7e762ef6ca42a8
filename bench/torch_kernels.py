"""The shapes of zoo-kernel-bench, timed in PyTorch on the CPU with the same thread count.

PyTorch runs in its native NCHW layout (what its users run); the input and kernel shapes are
the same problems as Zoo's NHWC ones. Prints one JSON document like `zoo-kernel-bench --json`.
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.exit("torch_kernels.py: PyTorch is missing; install it with: pip install -r bench/requirements.txt")


def conv_flops(batch, output, kernel, cin, cout):
    n = batch * cin * cout
    for extent in output + kernel:
        n *= extent
    return 2.0 * n


def workloads():
    result = []
    for size, c in [(56, 64), (28, 128), (14, 256), (7, 512)]:
        result.append((f"conv3x3_{size}x{size}x{c}_b8", conv_flops(8, [size, size], [3, 3], c, c),
                       (8, c, size, size), (c, c, 3, 3), lambda x, w: F.conv2d(x, w, padding=1)))
    for size, c in [(56, 64), (28, 128), (14, 256), (7, 512)]:
        result.append((f"conv1x1_{size}x{size}x{c}to{4 * c}_b8", conv_flops(8, [size, size], [1, 1], c, 4 * c),
                       (8, c, size, size), (4 * c, c, 1, 1), lambda x, w: F.conv2d(x, w)))
    result.append(("conv3d3x3x3_64^3x16to32_b1", conv_flops(1, [64, 64, 64], [3, 3, 3], 16, 32),
                   (1, 16, 64, 64, 64), (32, 16, 3, 3, 3), lambda x, w: F.conv3d(x, w, padding=1)))
    result.append(("depthwise3x3_112x112x32_b8", conv_flops(8, [112, 112], [3, 3], 32, 1),
                   (8, 32, 112, 112), (32, 1, 3, 3), lambda x, w: F.conv2d(x, w, padding=1, groups=32)))
    return result


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--filter", default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = []
    for size in (1024, 2048):
        a = torch.rand(size, size)
        b = torch.rand(size, size)
        a @ b
        sgemm = statistics.median(timed(lambda: a @ b) for _ in range(args.repeats))
        rows.append({"name": f"sgemm_{size}", "forward_s": sgemm, "forward_gflops": 2 * size ** 3 / sgemm / 1e9})
    for name, flops, xshape, wshape, fn in workloads():
        if args.filter and args.filter not in name:
            continue
        x = torch.rand(*xshape) * 2 - 1
        w = (torch.rand(*wshape) * 2 - 1) * 0.1
        with torch.no_grad():
            fn(x, w)
            forward = statistics.median(timed(lambda: fn(x, w)) for _ in range(args.repeats))
        x.requires_grad_(True)
        w.requires_grad_(True)

        def step():
            x.grad = None
            w.grad = None
            y = fn(x, w)
            y.backward(torch.ones_like(y))

        step()
        train = statistics.median(timed(step) for _ in range(args.repeats))
        rows.append({"name": name, "forward_s": forward, "forward_backward_s": train,
                     "forward_gflops": flops / forward / 1e9, "forward_backward_gflops": 3 * flops / train / 1e9})
    print(json.dumps({"framework": "torch " + torch.__version__, "threads": torch.get_num_threads(),
                      "results": rows}, sort_keys=True))


if __name__ == "__main__":
    main()
