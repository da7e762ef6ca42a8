"""Writes the fuzz targets' seed corpora (Fuzz/corpus/<target>/), a few small valid files per
reader, so that libFuzzer starts from inputs that reach deep into each parser.

Needs numpy and h5py (the reference environment of Tests/Fixtures has both). Run from the
repository root: python Fuzz/make_corpus.py

The JPEG seeds are not written here: they are Zoo's own encoder's output (JPEG.encode of an
8x8 pattern, baseline and progressive, as HostileFileTests writes before patching sizes).
"""
import gzip
import io
import json
import os
import struct
import zipfile
import zlib

import h5py
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def png(width, height, depth, color, rows, extra=b""):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    raw = b"".join(b"\0" + bytes(r) for r in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def pngs():
    put("png", "gray8.png", png(4, 2, 8, 0, [[0, 64, 128, 255], [1, 2, 3, 4]]))
    put("png", "rgb8.png", png(2, 2, 8, 2, [[255, 0, 0, 0, 255, 0], [0, 0, 255, 9, 9, 9]]))
    put("png", "rgba16.png", png(1, 1, 16, 6, [[1, 2, 3, 4, 5, 6, 7, 8]]))
    put("png", "gray1.png", png(8, 1, 1, 0, [[0b10100000]]))
    plte = struct.pack(">I", 6) + b"PLTE" + bytes([10, 20, 30, 200, 100, 50])
    plte += struct.pack(">I", zlib.crc32(b"PLTE" + bytes([10, 20, 30, 200, 100, 50])))
    put("png", "palette.png", png(2, 1, 8, 3, [[1, 0]], extra=plte))


def nifti(shape, datatype, bitpix, values):
    header = bytearray(352)
    struct.pack_into("<i", header, 0, 348)
    struct.pack_into("<8h", header, 40, len(shape), *shape, *([1] * (7 - len(shape))))
    struct.pack_into("<hh", header, 70, datatype, bitpix)
    struct.pack_into("<8f", header, 76, 1, 1, 1, 2, 1, 1, 1, 1)
    struct.pack_into("<ff", header, 108, 352, 1)
    header[344:348] = b"n+1\0"
    return bytes(header) + values


def niftis():
    put("nifti", "uint8.nii", nifti([2, 2, 2], 2, 8, bytes(range(8))))
    put("nifti", "float32-4d.nii", nifti([2, 1, 1, 2], 16, 32, struct.pack("<4f", 0, 1.5, -2, 3)))
    put("nifti", "int16.nii.gz", gzip.compress(nifti([3, 1, 1], 4, 16, struct.pack("<3h", -5, 0, 7)), mtime=0))


def keras2_weights():
    """A Keras 2 weights file: one Dense layer."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.attrs["layer_names"] = np.array([b"dense"])
        f.attrs["keras_version"] = b"2.15.0"
        group = f.create_group("dense")
        group.attrs["weight_names"] = np.array([b"dense/kernel:0", b"dense/bias:0"])
        group.create_dataset("dense/kernel:0", data=np.ones((2, 2), np.float32))
        group.create_dataset("dense/bias:0", data=np.zeros(2, np.float32))
    return buffer.getvalue()


def keras3_weights():
    """A Keras 3 weights file: layers/dense/vars/0 and 1."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        variables = f.create_group("layers/dense/vars")
        variables.create_dataset("0", data=np.ones((2, 2), np.float32))
        variables.create_dataset("1", data=np.zeros(2, np.float32))
    return buffer.getvalue()


CONFIG = {
    "class_name": "Sequential",
    "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"name": "input", "batch_shape": [None, 2]}},
        {"class_name": "Dense", "config": {"name": "dense", "units": 2, "activation": "relu", "use_bias": True}},
    ]},
}


def hdf5s():
    put("hdf5", "keras2.h5", keras2_weights())
    put("hdf5", "keras3.weights.h5", keras3_weights())
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.attrs["model_config"] = json.dumps(CONFIG)
        f.create_group("model_weights")
        f["model_weights"].attrs["layer_names"] = np.array([], dtype="S1")
    put("hdf5", "full-model.h5", buffer.getvalue())


def archives():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.4.1"}))
        archive.writestr("config.json", json.dumps(CONFIG))
        archive.writestr("model.weights.h5", keras3_weights())
    put("keras-archive", "dense.keras", buffer.getvalue())


def texts():
    put("csv", "manifest.csv", b'path,label,split\nimages/a.png,1,train\n"images/b, c.png",0,test\r\n"say ""hi""",2,\n')
    put("config", "small.yaml", b"experiment: fuzz\nseed: 3\ndata:\n  source: folder\n  path: data\n"
        b"model:\n  architecture: small_cnn\ntraining:\n  epochs: 2\n  batch_size: 4\n  optimizer: {name: adam, learning_rate: 0.001}\n")


if __name__ == "__main__":
    pngs()
    niftis()
    hdf5s()
    archives()
    texts()
