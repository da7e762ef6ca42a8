"""What Keras's `model.summary(show_trainable=True)` prints for each layer, for ZooNN's summary test.

For `keras.applications.ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3))`
(shortcuts, so the table has its `Connected to` column) and `DenseNet121` at the same input
(concatenations), it writes one JSON file per model with a row per entry of `model.layers`:
the name, the class, the output shape (None for the batch and unknown extents), the parameter
count, the trainable mark (`Y`, `N`, `-` without weights) and the connections, each formed as
keras/src/utils/summary_utils.py forms them (`layer[node][tensor]` of every input tensor of the
layer's nodes inside the model).

Files, in OUT_DIR (default `$ZOO_FIXTURES/summary`, else `~/.cache/zoo/fixtures/summary`); a
folder that already holds `resnet50.json` is left alone:

    <model>.json   {"name", "rows": [{name, class, shape, params, trainable, connected_to}],
                    "total", "trainable", "non_trainable"}

Usage: python Tests/Fixtures/summary_reference.py [OUT_DIR]
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402


def rows(model):
    relevant = set()
    for nodes in model._nodes_by_depth.values():
        relevant.update(nodes)
    table = []
    for layer in model.layers:
        connections = []
        for node in layer._inbound_nodes:
            if node not in relevant:
                continue
            for tensor in node.input_tensors:
                history = tensor._keras_history
                connections.append(f"{history.operation.name}[{history.node_index}][{history.tensor_index}]")
        table.append({
            "name": layer.name,
            "class": layer.__class__.__name__,
            "shape": list(layer.output.shape),
            "params": layer.count_params(),
            "trainable": ("Y" if layer.trainable else "N") if layer.weights else "-",
            "connected_to": connections,
        })
    return table


def main():
    default = os.path.join(os.environ.get("ZOO_FIXTURES", os.path.expanduser("~/.cache/zoo/fixtures")), "summary")
    out = sys.argv[1] if len(sys.argv) > 1 else default
    if os.path.exists(os.path.join(out, "resnet50.json")):
        return
    os.makedirs(out, exist_ok=True)
    builders = {
        "resnet50": keras.applications.ResNet50,
        "densenet121": keras.applications.DenseNet121,
    }
    for name, build in builders.items():
        # Each model in a fresh session, so automatic names start afresh as in a new program.
        keras.backend.clear_session()
        model = build(weights=None, include_top=False, input_shape=(32, 32, 3))
        trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
        total = model.count_params()
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            json.dump({"name": model.name, "rows": rows(model), "total": total, "trainable": trainable,
                       "non_trainable": total - trainable}, f)


if __name__ == "__main__":
    main()
