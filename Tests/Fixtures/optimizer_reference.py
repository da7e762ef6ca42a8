"""Reference trajectories for ZooNN's optimizer tests, printed as Swift array literals.

PyTorch's own optimizers (torch.optim) give the PyTorch-convention numbers; Keras's update
rules are evaluated by `keras.optimizers` when Keras is installed. Run with the reference
environment (`~/.cache/zoo/ref-venv/bin/python Tests/Fixtures/optimizer_reference.py`) and
paste the output into Tests/ZooNNTests/OptimizerTests.swift.
"""
import torch

P0 = [0.5, -1.0, 2.0]
GRADS = [[0.1, -0.2, 0.3], [-0.5, 0.4, 0.05], [0.2, 0.2, -0.7]]


def trajectory(make):
    p = torch.tensor(P0, dtype=torch.float32, requires_grad=True)
    opt = make([p])
    out = []
    for g in GRADS:
        p.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
        out.append([round(float(v), 7) for v in p.detach()])
    return out


cases = {
    "torchSGDMomentumDampeningDecay": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "torchSGDNesterov": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "torchAdamL2": lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=0.1),
    "torchAdamW": lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.1),
}
for name, make in cases.items():
    print(f"let {name}: [[Float]] = {trajectory(make)}")

try:
    import os
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras
    import numpy as np

    def keras_trajectory(opt):
        v = keras.Variable(np.array(P0, dtype="float32"))
        out = []
        for g in GRADS:
            opt.apply_gradients([(np.array(g, dtype="float32"), v)])
            out.append([round(float(x), 7) for x in keras.ops.convert_to_numpy(v)])
        return out

    kcases = {
        "kerasAdam": lambda: keras.optimizers.Adam(learning_rate=0.01),
        "kerasAdamDecay": lambda: keras.optimizers.Adam(learning_rate=0.01, weight_decay=0.1),
        "kerasSGDNesterov": lambda: keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    }
    for name, make in kcases.items():
        print(f"let {name}: [[Float]] = {keras_trajectory(make())}")
except ImportError:
    print("// Keras is not installed: Keras trajectories not printed")
