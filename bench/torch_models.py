"""The PyTorch reference models of the benchmarks, in plain torch.

torchvision has no build for the CPU torch wheel pinned in bench/requirements.txt, so its
ImageNet classifiers are written out here with torchvision's structures (layer order, widths,
bias and batch-norm conventions, so the same parameter counts): ResNet18/34/50, DenseNet121,
MobileNetV2, InceptionV3 (without the auxiliary classifier). Zoo's own networks follow
Sources/: SmallCNN (ZooSmallCNN) and the 3D U-Net (ZooUNet). Every builder returns an
nn.Module in training mode; callers switch to eval() for inference.

    from torch_models import BUILDERS, keras_count
    model = BUILDERS["resnet50"](classes=1000, size=224)
"""
import torch
from torch import nn


def conv_bn(cin, cout, kernel, stride=1, padding=0, eps=1e-5, groups=1, act=nn.ReLU):
    """Convolution without bias, batch norm, activation: torchvision's common triple."""
    layers = [nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False), nn.BatchNorm2d(cout, eps=eps)]
    return nn.Sequential(*layers, act(inplace=True)) if act else nn.Sequential(*layers)


# ResNet: torchvision's resnet18/34 (BasicBlock) and resnet50 (Bottleneck, the stride on the
# 3x3 convolution as torchvision puts it, "ResNet v1.5").

class Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, width, stride):
        super().__init__()
        self.body = nn.Sequential(conv_bn(cin, width, 3, stride, 1), conv_bn(width, width, 3, 1, 1, act=None))
        self.downsample = None
        if stride != 1 or cin != width:
            self.downsample = conv_bn(cin, width, 1, stride, act=None)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return torch.relu(self.body(x) + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * 4
        self.body = nn.Sequential(conv_bn(cin, width, 1), conv_bn(width, width, 3, stride, 1),
                                  conv_bn(width, cout, 1, act=None))
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = conv_bn(cin, cout, 1, stride, act=None)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return torch.relu(self.body(x) + identity)


def resnet(block, layers, classes=1000):
    blocks, cin = [conv_bn(3, 64, 7, 2, 3), nn.MaxPool2d(3, 2, 1)], 64
    for stage, (count, width) in enumerate(zip(layers, [64, 128, 256, 512])):
        for b in range(count):
            blocks.append(block(cin, width, 2 if b == 0 and stage > 0 else 1))
            cin = width * block.expansion
    blocks += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*blocks)


# DenseNet121: growth 32, blocks (6, 12, 24, 16), bottleneck width 4 x growth, transitions
# halving the channels; BN-ReLU-conv ordering inside each layer.

class DenseLayer(nn.Module):
    def __init__(self, cin, growth):
        super().__init__()
        self.body = nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(inplace=True), nn.Conv2d(cin, 4 * growth, 1, bias=False),
                                  nn.BatchNorm2d(4 * growth), nn.ReLU(inplace=True),
                                  nn.Conv2d(4 * growth, growth, 3, 1, 1, bias=False))

    def forward(self, features):
        return self.body(torch.cat(features, 1))


class DenseBlock(nn.Module):
    def __init__(self, count, cin, growth):
        super().__init__()
        self.layers = nn.ModuleList(DenseLayer(cin + i * growth, growth) for i in range(count))

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            features.append(layer(features))
        return torch.cat(features, 1)


def densenet121(classes=1000, growth=32, blocks=(6, 12, 24, 16)):
    layers, c = [conv_bn(3, 64, 7, 2, 3), nn.MaxPool2d(3, 2, 1)], 64
    for i, count in enumerate(blocks):
        layers.append(DenseBlock(count, c, growth))
        c += count * growth
        if i < len(blocks) - 1:
            layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.Conv2d(c, c // 2, 1, bias=False), nn.AvgPool2d(2, 2)]
            c //= 2
    layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes)]
    return nn.Sequential(*layers)


# MobileNetV2 (width 1.0): inverted residual blocks (expansion t, channels c, repeats n,
# first stride s), ReLU6, a linear 1x1 projection, residual when shape is kept.

class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expansion):
        super().__init__()
        hidden = cin * expansion
        layers = [conv_bn(cin, hidden, 1, act=nn.ReLU6)] if expansion != 1 else []
        layers += [conv_bn(hidden, hidden, 3, stride, 1, groups=hidden, act=nn.ReLU6),
                   conv_bn(hidden, cout, 1, act=None)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


def mobilenetv2(classes=1000):
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    layers, cin = [conv_bn(3, 32, 3, 2, 1, act=nn.ReLU6)], 32
    for t, c, n, s in settings:
        for i in range(n):
            layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
            cin = c
    layers += [conv_bn(cin, 1280, 1, act=nn.ReLU6), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
               nn.Linear(1280, classes)]
    return nn.Sequential(*layers)


# InceptionV3 (299x299): torchvision's modules A-E, every convolution conv-BN(eps 1e-3)-ReLU
# without bias; no auxiliary classifier and no input transform.

def bc(cin, cout, kernel, stride=1, padding=0):
    return conv_bn(cin, cout, kernel, stride, padding, eps=1e-3)


class Branches(nn.Module):
    """Runs its branches on one input and joins their outputs along the channels."""

    def __init__(self, *branches):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches], 1)


def avg_pool_branch(cin, cout):
    return nn.Sequential(nn.AvgPool2d(3, 1, 1), bc(cin, cout, 1))


def inception_a(cin, pool):
    return Branches(bc(cin, 64, 1),
                    nn.Sequential(bc(cin, 48, 1), bc(48, 64, 5, padding=2)),
                    nn.Sequential(bc(cin, 64, 1), bc(64, 96, 3, padding=1), bc(96, 96, 3, padding=1)),
                    avg_pool_branch(cin, pool))


def inception_b(cin):
    return Branches(bc(cin, 384, 3, 2),
                    nn.Sequential(bc(cin, 64, 1), bc(64, 96, 3, padding=1), bc(96, 96, 3, 2)),
                    nn.MaxPool2d(3, 2))


def inception_c(cin, c7):
    def row(a, b):  # 1x7
        return bc(a, b, (1, 7), padding=(0, 3))

    def col(a, b):  # 7x1
        return bc(a, b, (7, 1), padding=(3, 0))

    return Branches(bc(cin, 192, 1),
                    nn.Sequential(bc(cin, c7, 1), row(c7, c7), col(c7, 192)),
                    nn.Sequential(bc(cin, c7, 1), col(c7, c7), row(c7, c7), col(c7, c7), row(c7, 192)),
                    avg_pool_branch(cin, 192))


def inception_d(cin):
    return Branches(nn.Sequential(bc(cin, 192, 1), bc(192, 320, 3, 2)),
                    nn.Sequential(bc(cin, 192, 1), bc(192, 192, (1, 7), padding=(0, 3)),
                                  bc(192, 192, (7, 1), padding=(3, 0)), bc(192, 192, 3, 2)),
                    nn.MaxPool2d(3, 2))


def inception_e(cin):
    def split(c):  # 1x3 and 3x1 side by side
        return Branches(bc(c, 384, (1, 3), padding=(0, 1)), bc(c, 384, (3, 1), padding=(1, 0)))

    return Branches(bc(cin, 320, 1),
                    nn.Sequential(bc(cin, 384, 1), split(384)),
                    nn.Sequential(bc(cin, 448, 1), bc(448, 384, 3, padding=1), split(384)),
                    avg_pool_branch(cin, 192))


def inceptionv3(classes=1000):
    return nn.Sequential(
        bc(3, 32, 3, 2), bc(32, 32, 3), bc(32, 64, 3, padding=1), nn.MaxPool2d(3, 2),
        bc(64, 80, 1), bc(80, 192, 3), nn.MaxPool2d(3, 2),
        inception_a(192, 32), inception_a(256, 64), inception_a(288, 64),
        inception_b(288), inception_c(768, 128), inception_c(768, 160), inception_c(768, 160), inception_c(768, 192),
        inception_d(768), inception_e(1280), inception_e(2048),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.5), nn.Linear(2048, classes))


# Zoo's networks (Sources/ZooSmallCNN/SmallCNN.swift, Sources/ZooUNet/UNet.swift), with
# Keras's conventions as Zoo builds them: convolutions keep their bias, batch norm eps 1e-3.

def small_cnn(classes=2, size=124, channels=1, filters=(32, 64, 64)):
    """Three conv3x3 ('valid', ReLU) - BN - maxpool 2 stages, Dense 128 ReLU, Dropout 0.3, logits."""
    layers, cin = [], channels
    for f in filters:
        layers += [nn.Conv2d(cin, f, 3), nn.ReLU(inplace=True), nn.BatchNorm2d(f, eps=1e-3), nn.MaxPool2d(2)]
        cin, size = f, (size - 2) // 2
    layers += [nn.Flatten(), nn.Linear(size * size * cin, 128), nn.ReLU(inplace=True), nn.Dropout(0.3),
               nn.Linear(128, classes)]
    return nn.Sequential(*layers)


def unet_block(cin, cout):
    """Two 3x3x3 'same' convolutions with bias, each followed by batch norm and ReLU."""
    return nn.Sequential(nn.Conv3d(cin, cout, 3, padding=1), nn.BatchNorm3d(cout, eps=1e-3), nn.ReLU(inplace=True),
                         nn.Conv3d(cout, cout, 3, padding=1), nn.BatchNorm3d(cout, eps=1e-3), nn.ReLU(inplace=True))


class UNet3D(nn.Module):
    """Encoder blocks with max-pool 2 between them (the last is the bottleneck); each decoder
    level: transposed conv (kernel 2, stride 2) to that level's width, concat [skip, up], block;
    a final 1x1x1 convolution to per-voxel logits."""

    def __init__(self, classes=2, channels=1, features=(16, 32, 64, 128)):
        super().__init__()
        widths = [channels] + list(features)
        self.down = nn.ModuleList(unet_block(widths[i], widths[i + 1]) for i in range(len(features)))
        self.ups = nn.ModuleList(nn.ConvTranspose3d(features[i + 1], features[i], 2, 2)
                                 for i in reversed(range(len(features) - 1)))
        self.up_blocks = nn.ModuleList(unet_block(2 * features[i], features[i]) for i in reversed(range(len(features) - 1)))
        self.pool = nn.MaxPool3d(2)
        self.final = nn.Conv3d(features[0], classes, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else self.pool(x))
            skips.append(x)
        skips.pop()  # the bottleneck's output is x itself
        for up, block in zip(self.ups, self.up_blocks):
            x = block(torch.cat([skips.pop(), up(x)], 1))
        return self.final(x)


# Every builder takes (classes, size); only SmallCNN, which flattens, depends on the size.
BUILDERS = {
    "small_cnn": lambda classes=2, size=124: small_cnn(classes, size),
    "resnet18": lambda classes=1000, size=224: resnet(Basic, [2, 2, 2, 2], classes),
    "resnet34": lambda classes=1000, size=224: resnet(Basic, [3, 4, 6, 3], classes),
    "resnet50": lambda classes=1000, size=224: resnet(Bottleneck, [3, 4, 6, 3], classes),
    "densenet121": lambda classes=1000, size=224: densenet121(classes),
    "mobilenetv2": lambda classes=1000, size=224: mobilenetv2(classes),
    "inceptionv3": lambda classes=1000, size=299: inceptionv3(classes),
    "unet3d": lambda classes=2, size=64: UNet3D(classes),
}


def parameter_count(model):
    """PyTorch's count: trainable parameters only."""
    return sum(p.numel() for p in model.parameters())


def keras_count(model):
    """Keras's (and Zoo's) count: parameters plus batch norm's moving mean and variance."""
    stats = sum(b.numel() for name, b in model.named_buffers() if name.endswith(("running_mean", "running_var")))
    return parameter_count(model) + stats
