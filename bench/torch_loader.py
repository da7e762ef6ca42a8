"""PyTorch's DataLoader over a PNG class-folder tree, timed as Zoo's testLoaderThroughput times
Zoo's loader: every image as RGB, a random horizontal flip, a bilinear resize to 224 x 224,
float tensors, shuffled batches, the same batch size and number of workers.

    python bench/torch_loader.py ROOT [--batch 32] [--workers 2] [--epochs 3]

torchvision has no build for the CPU torch wheel pinned here, so ImageFolder, its loader and
the three transforms are written out below with PIL, as torchvision implements them for PIL
images (ImageFolder: sorted class folders, sorted files, `Image.open(...).convert("RGB")`;
RandomHorizontalFlip: `transpose(FLIP_LEFT_RIGHT)` with p = 0.5; Resize: `img.resize(size,
BILINEAR)`; the tensor conversion as ToTensor without its division by 255, which Zoo does not do).
Prints one line: "torch loader: N images/s ...".
"""
import argparse
import os
import random
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

EXTENSIONS = (".png", ".jpg", ".jpeg")


class PILImageFolder(Dataset):
    """torchvision.datasets.ImageFolder with its default PIL loader."""

    def __init__(self, root, transform):
        self.classes = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
        self.samples = []
        for label, name in enumerate(self.classes):
            folder = os.path.join(root, name)
            for directory, _, files in sorted(os.walk(folder, followlinks=True)):
                for file in sorted(files):
                    if file.lower().endswith(EXTENSIONS):
                        self.samples.append((os.path.join(directory, file), label))
        self.transform = transform

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, label = self.samples[index]
        with open(path, "rb") as f:
            image = Image.open(f).convert("RGB")
        return self.transform(image), label


def flip_resize_to_tensor(image, size=224):
    if random.random() < 0.5:  # RandomHorizontalFlip(p=0.5)
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = image.resize((size, size), Image.Resampling.BILINEAR)  # Resize((size, size))
    return torch.from_numpy(np.array(image, np.uint8, copy=True)).permute(2, 0, 1).float()  # ToTensor, unscaled


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    dataset = PILImageFolder(args.root, flip_resize_to_tensor)
    loader = DataLoader(dataset, batch_size=args.batch, shuffle=True, num_workers=args.workers,
                        prefetch_factor=2 if args.workers > 0 else None)
    rates = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        seen = 0
        for images, labels in loader:
            seen += len(labels)
        rates.append(seen / (time.perf_counter() - start))
    print("torch loader: %.1f images/s (best of %d epochs: %s; %d images, batch %d, %d workers; torch %s)"
          % (max(rates), args.epochs, ", ".join("%.1f" % r for r in rates), len(dataset), args.batch, args.workers,
             torch.__version__))


if __name__ == "__main__":
    main()
