"""Parity fixtures: Keras Applications and torchvision ResNets with random weights, their
weight files, an input batch and the frameworks' own outputs, for ZooHDF5's parity tests.

    python Tests/Fixtures/parity_fixtures.py [OUT_DIR] [name ...]

OUT_DIR defaults to `$ZOO_FIXTURES/parity` (else `~/.cache/zoo/fixtures/parity`); a file
that exists is kept (delete it to regenerate). For each Keras variant (seeded random weights,
random batch norm gamma/beta/moving statistics and biases so inference exercises them):

    <name>.weights.h5    Keras 3 `model.save_weights`
    <name>.keras2.h5     the tf-keras 2 `save_weights` layout (keras_weight_files.py)
    <name>.input.npy     2 images, NHWC float32
    <name>.logits.npy    Keras's output before the softmax (the classifier built linear)
    <name>.softmax.npy   the softmax of the logits
    <name>.json          how the model was built (input, classes, include_top, pooling)

Small valid inputs keep the files and the run short: 32x32 (ResNet, DenseNet, MobileNetV2),
75x75 (InceptionV3, InceptionResNetV2), 71x71 (Xception), with a 10-class top. VGG's top is
Flatten + two 4096 Dense layers whose input size fixes the input at 224x224 (and 120 M
parameters, ~500 MB per file), so VGG16/19 are built without it: include_top=False,
pooling="avg", at 32x32; their `.features.npy` (512 values per image) replaces logits and
softmax. The classifier's kernel is scaled so the logits spread over a few units: with
random weights they could otherwise saturate the softmax and make its comparison vacuous.

torchvision ResNet18/34 (`resnet18_torch`, `resnet34_torch`): the plain-PyTorch module with
torchvision's module names (torchvision itself has no wheel for the CPU build of torch),
seeded random weights and batch norm statistics, 10 classes, at 64x64:

    <name>.pth           torch.save(model.state_dict())
    <name>.h5            tools/torch_to_zoo.py's conversion of it
    <name>.input.npy     2 images, NHWC (torch ran on the NCHW transpose)
    <name>.logits.npy, <name>.softmax.npy

Whole-model import (`head_model`): a MobileNetV2 backbone (include_top=False, 32x32) called
as one layer, then GlobalAveragePooling2D, Dense 32 relu, Dropout, Dense 5 softmax:

    head_model.keras, head_model.full.h5, head_model.input.npy, head_model.output.npy
"""
import json
import os
import subprocess
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

# name: (keras.applications class, input extent, include_top)
KERAS = {
    "resnet50": ("ResNet50", 32, True),
    "resnet101": ("ResNet101", 32, True),
    "resnet152": ("ResNet152", 32, True),
    "vgg16": ("VGG16", 32, False),
    "vgg19": ("VGG19", 32, False),
    "densenet121": ("DenseNet121", 32, True),
    "densenet201": ("DenseNet201", 32, True),
    "mobilenetv2": ("MobileNetV2", 32, True),
    "inceptionv3": ("InceptionV3", 75, True),
    "inceptionresnetv2": ("InceptionResNetV2", 75, True),
    "xception": ("Xception", 71, True),
}
TORCH = {"resnet18_torch": [2, 2, 2, 2], "resnet34_torch": [3, 4, 6, 3]}
CLASSES = 10
BATCH = 2


def softmax(logits):
    z = logits.astype(np.float64)
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return (z / z.sum(axis=-1, keepdims=True)).astype(np.float32)


def randomize_keras(model, rng):
    """Batch norm gamma/beta/moving statistics and every bias random; kernels keep Keras's
    seeded initializers."""
    values = []
    for w in model.weights:
        shape, leaf = tuple(w.shape), w.path.split("/")[-1]
        if leaf == "moving_variance":
            values.append(rng.uniform(0.5, 1.5, shape))
        elif leaf == "gamma":
            values.append(rng.uniform(0.8, 1.2, shape))
        elif leaf in ("beta", "moving_mean", "bias"):
            values.append(rng.standard_normal(shape) * 0.1)
        else:
            values.append(np.asarray(w.numpy()))
    model.set_weights([v.astype("float32") for v in values])


def scale_classifier(keras, model, x):
    """Scale `predictions` so the logits have standard deviation ~2."""
    layer = model.get_layer("predictions")
    features = keras.Model(model.inputs, layer.input)(x, training=False)
    kernel, bias = layer.get_weights()
    logits = np.asarray(features) @ kernel + bias
    scale = 2.0 / max(float(np.std(logits)), 1e-12)
    layer.set_weights([(kernel * scale).astype("float32"), (bias * scale).astype("float32")])


def atomic(path, write):
    """Writes through a temporary name with the same suffix, so a crash leaves no partial
    file that a later run would keep."""
    tmp = os.path.join(os.path.dirname(path), "tmp-" + os.path.basename(path))
    write(tmp)
    os.replace(tmp, path)


def keras_variant(name, out):
    import keras
    from keras_weight_files import write_keras2_layout

    def path(suffix):
        return os.path.join(out, name + suffix)

    outputs = [".weights.h5", ".keras2.h5", ".input.npy", ".json"]
    outputs += [".logits.npy", ".softmax.npy"] if KERAS[name][2] else [".features.npy"]
    if all(os.path.exists(path(s)) for s in outputs):
        return
    cls, extent, top = KERAS[name]
    keras.backend.clear_session()
    keras.utils.set_random_seed(1234)
    kwargs = {"weights": None, "input_shape": (extent, extent, 3)}
    if top:
        kwargs.update(classes=CLASSES, classifier_activation=None)
    else:
        kwargs.update(include_top=False, pooling="avg")
    model = getattr(keras.applications, cls)(**kwargs)
    rng = np.random.default_rng(sum(map(ord, name)))
    randomize_keras(model, rng)
    x = rng.standard_normal((BATCH, extent, extent, 3)).astype("float32")
    if top:
        scale_classifier(keras, model, x)
    y = np.asarray(model(x, training=False)).astype("float32")
    if not np.all(np.isfinite(y)):
        raise RuntimeError(f"{name}: Keras's output is not finite")
    for suffix, write in [
        (".input.npy", lambda p: np.save(p, x)),
        (".logits.npy" if top else ".features.npy", lambda p: np.save(p, y)),
        (".softmax.npy", lambda p: np.save(p, softmax(y)) if top else None),
        (".weights.h5", lambda p: model.save_weights(p)),
        (".keras2.h5", lambda p: write_keras2_layout(model, p)),
        (".json", lambda p: json.dump({"application": cls, "input": [extent, extent, 3],
                                       "classes": CLASSES if top else None, "include_top": top,
                                       "pooling": None if top else "avg"}, open(p, "w"))),
    ]:
        if suffix in outputs and not os.path.exists(path(suffix)):
            atomic(path(suffix), write)
    print(f"{name}: {model.count_params():,} parameters, output {y.shape}, "
          f"max |output| {float(np.max(np.abs(y))):.3g}")


def torch_resnet(blocks, classes):
    """torchvision's ResNet (BasicBlock) with torchvision's module names."""
    from torch import nn

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            y = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(y)) + identity)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            cin = 64
            for stage, (count, cout) in enumerate(zip(blocks, [64, 128, 256, 512])):
                layers = []
                for b in range(count):
                    layers.append(BasicBlock(cin, cout, 2 if b == 0 and stage > 0 else 1))
                    cin = cout
                setattr(self, f"layer{stage + 1}", nn.Sequential(*layers))
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(512, classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            for stage in range(4):
                x = getattr(self, f"layer{stage + 1}")(x)
            return self.fc(self.avgpool(x).flatten(1))

    return ResNet()


def torch_variant(name, out):
    import torch

    def path(suffix):
        return os.path.join(out, name + suffix)

    outputs = [".pth", ".h5", ".input.npy", ".logits.npy", ".softmax.npy"]
    if all(os.path.exists(path(s)) for s in outputs):
        return
    torch.manual_seed(1234)
    model = torch_resnet(TORCH[name], CLASSES)
    generator = torch.Generator().manual_seed(sum(map(ord, name)))
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                c = module.num_features
                module.weight.copy_(torch.rand(c, generator=generator) * 0.4 + 0.8)
                module.bias.copy_(torch.randn(c, generator=generator) * 0.1)
                module.running_mean.copy_(torch.randn(c, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
    model.eval()
    x = torch.randn(BATCH, 3, 64, 64, generator=generator)
    with torch.no_grad():
        features = model.avgpool(torch.nn.Sequential(
            model.conv1, model.bn1, model.relu, model.maxpool,
            model.layer1, model.layer2, model.layer3, model.layer4)(x)).flatten(1)
        std = float(torch.std(model.fc(features)))
        model.fc.weight.mul_(2.0 / std)
        model.fc.bias.mul_(2.0 / std)
        y = model(x).numpy().astype("float32")
    atomic(path(".pth"), lambda p: torch.save(model.state_dict(), p))
    atomic(path(".input.npy"),
           lambda p: np.save(p, x.permute(0, 2, 3, 1).contiguous().numpy().astype("float32")))
    atomic(path(".logits.npy"), lambda p: np.save(p, y))
    atomic(path(".softmax.npy"), lambda p: np.save(p, softmax(y)))
    atomic(path(".h5"), lambda p: subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "torch_to_zoo.py"), path(".pth"), p,
         "--arch", name.split("_")[0]], check=True))
    print(f"{name}: output {y.shape}, max |logit| {float(np.max(np.abs(y))):.3g}")


def head_model(out):
    import keras

    def path(suffix):
        return os.path.join(out, "head_model" + suffix)

    outputs = [".keras", ".full.h5", ".input.npy", ".output.npy"]
    if all(os.path.exists(path(s)) for s in outputs):
        return
    keras.backend.clear_session()
    keras.utils.set_random_seed(99)
    backbone = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3))
    inputs = keras.Input((32, 32, 3), name="image")
    x = backbone(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dense(32, activation="relu", name="hidden")(x)
    x = keras.layers.Dropout(0.3, name="dropout")(x)
    outputs_ = keras.layers.Dense(5, activation="softmax", name="classes")(x)
    model = keras.Model(inputs, outputs_, name="head_model")
    rng = np.random.default_rng(5)
    randomize_keras(model, rng)
    x = rng.standard_normal((BATCH, 32, 32, 3)).astype("float32")
    y = np.asarray(model(x, training=False)).astype("float32")
    atomic(path(".input.npy"), lambda p: np.save(p, x))
    atomic(path(".output.npy"), lambda p: np.save(p, y))
    atomic(path(".keras"), model.save)
    atomic(path(".full.h5"), model.save)
    print(f"head_model: {model.count_params():,} parameters, output {y.shape}")


def main():
    args = sys.argv[1:]
    if args and not (args[0] in KERAS or args[0] in TORCH or args[0] == "head_model"):
        out, names = args[0], args[1:]
    else:
        base = os.environ.get("ZOO_FIXTURES") or os.path.expanduser("~/.cache/zoo/fixtures")
        out, names = os.path.join(base, "parity"), args
    names = names or list(TORCH) + ["head_model"] + list(KERAS)
    os.makedirs(out, exist_ok=True)
    for name in names:
        if name in KERAS:
            keras_variant(name, out)
        elif name in TORCH:
            torch_variant(name, out)
        elif name == "head_model":
            head_model(out)
        else:
            raise SystemExit(f"unknown fixture {name}")


if __name__ == "__main__":
    main()
