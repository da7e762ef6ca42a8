"""Converts a torchvision ResNet18/ResNet34 `state_dict` into Zoo's checkpoint layout.

    python tools/torch_to_zoo.py MODEL.pth OUT.h5 [--arch resnet18|resnet34] [--classifier NAME]

MODEL.pth is what `torch.save(model.state_dict(), path)` writes for torchvision's `resnet18` /
`resnet34` (keys `conv1.weight`, `bn1.running_mean`, `layer1.0.conv1.weight`,
`layer2.0.downsample.0.weight`, `fc.weight`, ...; a whole pickled model or a dict holding the
state dict under `state_dict` / `model` is accepted too). OUT.h5 is the Keras 2 weights-file
layout Zoo's checkpoints use (root attribute `layer_names`, one group per layer with
`weight_names` `<layer>/<weight>:0`), so `KerasWeights.load(into: ModelZoo.make("resnet18"),
from: OUT.h5)` loads it (ZooHDF5Tests.ParityTests compares the outputs with PyTorch's).

Conversion:
- names: `conv1`/`bn1` -> `conv1_conv`/`conv1_bn`; `layer<s>.<b>.conv<i>`/`bn<i>` ->
  `conv<s+1>_block<b+1>_<i>_conv`/`_<i>_bn`; `layer<s>.<b>.downsample.0`/`.1` ->
  `conv<s+1>_block<b+1>_0_conv`/`_0_bn`; `fc` -> `predictions` (or --classifier).
- convolution kernels OIHW -> HWIO; the linear weight (out, in) -> (in, out).
- batch norm: weight -> gamma, bias -> beta, running_mean -> moving_mean, running_var ->
  moving_variance; `num_batches_tracked` is dropped.
Every key of the state dict must be converted or be a `num_batches_tracked`: anything else is
an error naming the keys, and so is a ResNet other than the one --arch names (block counts
are checked).

Needs torch (to read the .pth) and h5py.
"""
import argparse
import re
import sys

import h5py
import numpy as np

BLOCKS = {"resnet18": [2, 2, 2, 2], "resnet34": [3, 4, 6, 3]}
BN = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_variance"}
# Zoo's parameter order within a layer (Keras's trainable then non-trainable weights).
ORDER = {"conv": ["kernel", "bias"], "bn": ["gamma", "beta", "moving_mean", "moving_variance"],
         "dense": ["kernel", "bias"]}


def load_state_dict(path):
    import torch

    obj = torch.load(path, map_location="cpu", weights_only=False)
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    elif isinstance(obj, dict) and "model" in obj and isinstance(obj["model"], dict):
        obj = obj["model"]
    elif hasattr(obj, "state_dict"):
        obj = obj.state_dict()
    result = {}
    for key, value in obj.items():
        if key.startswith("module."):  # saved from DataParallel
            key = key[len("module."):]
        result[key] = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
    return result


def zoo_layer(module, classifier):
    """torchvision module path -> (Zoo layer name, kind)."""
    if module == "conv1":
        return "conv1_conv", "conv"
    if module == "bn1":
        return "conv1_bn", "bn"
    if module == "fc":
        return classifier, "dense"
    m = re.fullmatch(r"layer(\d+)\.(\d+)\.(conv|bn)(\d+)", module)
    if m:
        stage, block, kind, index = int(m[1]), int(m[2]), m[3], int(m[4])
        return f"conv{stage + 1}_block{block + 1}_{index}_{kind}", kind
    m = re.fullmatch(r"layer(\d+)\.(\d+)\.downsample\.([01])", module)
    if m:
        stage, block, which = int(m[1]), int(m[2]), m[3]
        kind = "conv" if which == "0" else "bn"
        return f"conv{stage + 1}_block{block + 1}_0_{kind}", kind
    return None, None


def convert(state, arch, classifier="predictions"):
    """state dict (numpy values) -> {layer: {weight: array}} in Zoo's names and layouts."""
    layers, problems = {}, []
    for key, value in state.items():
        module, _, field = key.rpartition(".")
        if field == "num_batches_tracked":
            continue
        layer, kind = zoo_layer(module, classifier)
        if layer is None:
            problems.append(f"{key}: not a torchvision ResNet key")
            continue
        value = np.asarray(value, dtype=np.float32)
        if kind == "conv" and field == "weight":
            name, value = "kernel", value.transpose(2, 3, 1, 0)  # OIHW -> HWIO
        elif kind == "conv" and field == "bias":
            name = "bias"
        elif kind == "bn" and field in BN:
            name = BN[field]
        elif kind == "dense" and field == "weight":
            name, value = "kernel", value.T
        elif kind == "dense" and field == "bias":
            name = "bias"
        else:
            problems.append(f"{key}: unexpected field '{field}' of a {kind} layer")
            continue
        layers.setdefault(layer, {})[name] = np.ascontiguousarray(value)
    found = {}
    for layer in layers:
        m = re.fullmatch(r"conv(\d+)_block(\d+)_\d_(conv|bn)", layer)
        if m:
            stage = int(m[1]) - 2
            found[stage] = max(found.get(stage, 0), int(m[2]))
    counts = [found.get(stage, 0) for stage in range(4)]
    if counts != BLOCKS[arch]:
        problems.append(f"blocks per stage {counts}, but {arch} has {BLOCKS[arch]}")
    if problems:
        raise ValueError("cannot convert:\n  " + "\n  ".join(problems))
    return layers


def layer_order(arch, layers, classifier):
    """Zoo's `model.layers` order of the layers with weights (what Keras loads by position)."""
    order = ["conv1_conv", "conv1_bn"]
    for stage, count in enumerate(BLOCKS[arch]):
        for block in range(count):
            name = f"conv{stage + 2}_block{block + 1}"
            projection = f"{name}_0_conv" in layers
            order += [f"{name}_1_conv", f"{name}_1_bn"]
            if projection:
                order.append(f"{name}_0_conv")
            order.append(f"{name}_2_conv")
            if projection:
                order.append(f"{name}_0_bn")
            order.append(f"{name}_2_bn")
    order.append(classifier)
    return [name for name in order if name in layers]


def write_keras2(layers, order, path):
    """The tf-keras 2 `save_weights` layout (what Zoo's export and checkpoints write)."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([name.encode() for name in order])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        for name in sorted(order):
            weights = layers[name]
            kind = "bn" if "gamma" in weights else "conv" if weights["kernel"].ndim == 4 else "dense"
            names = [w for w in ORDER[kind] if w in weights]
            group = f.create_group(name)
            group.attrs["weight_names"] = np.array([f"{name}/{w}:0".encode() for w in names])
            for w in names:
                group.create_dataset(f"{name}/{w}:0", data=weights[w])
        f.create_group("top_level_model_weights").attrs["weight_names"] = np.array([])


def main(argv=None):
    parser = argparse.ArgumentParser(description="torchvision ResNet18/34 state_dict -> Zoo HDF5")
    parser.add_argument("source", help="the .pth file (torch.save of a state_dict)")
    parser.add_argument("output", help="the .h5 file to write")
    parser.add_argument("--arch", choices=sorted(BLOCKS), default=None,
                        help="resnet18 or resnet34 (default: from the block counts)")
    parser.add_argument("--classifier", default="predictions", help="Zoo name of torchvision's fc")
    args = parser.parse_args(argv)
    state = load_state_dict(args.source)
    arch = args.arch
    if arch is None:
        blocks = {int(m[1]) for k in state if (m := re.match(r"layer3\.(\d+)\.", k))}
        arch = "resnet34" if len(blocks) == 6 else "resnet18"
    try:
        layers = convert(state, arch, args.classifier)
    except ValueError as error:
        print(f"{args.source}: {error}", file=sys.stderr)
        return 1
    order = layer_order(arch, layers, args.classifier)
    write_keras2(layers, order, args.output)
    total = sum(v.size for layer in layers.values() for v in layer.values())
    print(f"{args.output}: {arch}, {len(order)} layers, {total:,} values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
