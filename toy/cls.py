"""Small generated data sets in the real on-disk formats, for tests and demos.

``make_toy_dataset(kind, out_dir, seed=0)`` writes one of

- ``cifar100``: ``<out>/cifar-100-python/{train,test,meta}`` pickles with the
  keys torchvision's files carry (``data``, ``fine_labels``, ``coarse_labels``,
  ``filenames``, ``batch_label``; meta ``fine_label_names``, ``coarse_label_names``);
- ``imagenet``: ``<out>/imagenet/{train,val}/<wnid>/*.JPEG``;
- ``tiny-imagenet``: ``<out>/tiny-imagenet-200/`` with ``wnids.txt``,
  ``words.txt``, ``train/<wnid>/images/*.JPEG`` + ``<wnid>_boxes.txt`` and
  ``val/images/*.JPEG`` + ``val/val_annotations.txt``;
- ``cub200``: ``<out>/CUB_200_2011/`` with ``images/<class>/*.jpg``,
  ``images.txt``, ``classes.txt``, ``image_class_labels.txt``,
  ``train_test_split.txt``;

and returns the data set's folder. The class list has the real size (100,
1000, 200, 200 classes) so that the real configs fit; only the first
``active_classes`` classes hold images. Images depend on their class (a colour
and a stripe pattern per class, plus noise), so a model can learn them.
"""

import os
import pickle

import numpy as np
from PIL import Image

from ldrld_core.errors import ConfigError

KINDS = ("cifar100", "imagenet", "tiny-imagenet", "cub200")
CLASS_COUNTS = {"cifar100": 100, "imagenet": 1000, "tiny-imagenet": 200, "cub200": 200}


def class_image(label, active, size, rng, noise=24.0):
    """An RGB uint8 image (H, W, 3) whose colour and stripes encode ``label``."""
    h, w = size
    hue = (label % active) / max(active, 1)
    base = 127.5 + 110.0 * np.cos(2 * np.pi * (hue + np.array([0.0, 1 / 3, 2 / 3])))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = np.pi * ((label * 0.618) % 1.0)
    period = 4.0 + (label % 5) * 2.0
    stripes = np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period)
    image = base[None, None, :] + 60.0 * stripes[..., None] + rng.normal(0, noise, (h, w, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def _write_jpeg(array, path, gray=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    image = Image.fromarray(array)
    if gray:
        image = image.convert("L")
    image.save(path, quality=95)


def _size(rng, base, jitter):
    if not jitter:
        return (base, base)
    return tuple(int(v) for v in rng.integers(base - jitter, base + jitter + 1, size=2))


def write_cifar(out_dir, splits, fine_names, coarse_of=lambda label: label % 20, what="toy"):
    """``<out_dir>/cifar-100-python/{meta, train, test}`` in torchvision's CIFAR-100 pickle format;
    ``splits`` maps ``train``/``test`` to ``(uint8 images (N, 3, 32, 32), labels)``."""
    root = os.path.join(out_dir, "cifar-100-python")
    os.makedirs(root, exist_ok=True)
    coarse = sorted({coarse_of(i) for i in range(len(fine_names))})
    with open(os.path.join(root, "meta"), "wb") as f:
        coarse_names = [f"superclass_{c:02d}" for c in coarse]
        pickle.dump({"fine_label_names": list(fine_names), "coarse_label_names": coarse_names}, f)
    for split, (images, labels) in splits.items():
        labels = [int(label) for label in labels]
        data = np.asarray(images, dtype=np.uint8).reshape(len(labels), 3 * 32 * 32)
        batch = {
            "batch_label": f"{what} {split} batch",
            "data": data,
            "fine_labels": labels,
            "coarse_labels": [coarse_of(label) for label in labels],
            "filenames": [f"{what}_{split}_{i:05d}.png" for i in range(len(labels))],
        }
        with open(os.path.join(root, split), "wb") as f:
            pickle.dump(batch, f)
    return out_dir


def make_cifar100(out_dir, seed=0, active_classes=10, train_per_class=10, val_per_class=4):
    rng = np.random.default_rng(seed)
    splits = {}
    for split, per_class in (("train", train_per_class), ("test", val_per_class)):
        labels = [c for c in range(active_classes) for _ in range(per_class)]
        images = [class_image(c, active_classes, (32, 32), rng).transpose(2, 0, 1) for c in labels]
        order = rng.permutation(len(labels))
        splits[split] = (
            np.stack(images)[order] if images else np.zeros((0, 3, 32, 32), np.uint8),
            [labels[i] for i in order],
        )
    return write_cifar(out_dir, splits, [f"class_{i:03d}" for i in range(100)])


def _wnids(count):
    return [f"n{10000000 + 7919 * i:08d}" for i in range(count)]


def make_imagenet(
    out_dir, seed=0, active_classes=10, train_per_class=10, val_per_class=4, image_size=64, num_classes=1000
):
    rng = np.random.default_rng(seed)
    root = os.path.join(out_dir, "imagenet")
    wnids = _wnids(num_classes)
    for split, per_class in (("train", train_per_class), ("val", val_per_class)):
        for c, wnid in enumerate(wnids):
            folder = os.path.join(root, split, wnid)
            os.makedirs(folder, exist_ok=True)
            if c >= active_classes:
                continue
            for k in range(per_class):
                name = f"{wnid}_{k}.JPEG" if split == "train" else f"ILSVRC2012_val_{c:04d}{k:04d}.JPEG"
                _write_jpeg(
                    class_image(c, active_classes, _size(rng, image_size, image_size // 4), rng),
                    os.path.join(folder, name),
                )
    return root


def make_tiny_imagenet(out_dir, seed=0, active_classes=10, train_per_class=10, val_per_class=4, num_classes=200):
    rng = np.random.default_rng(seed)
    root = os.path.join(out_dir, "tiny-imagenet-200")
    wnids = _wnids(num_classes)
    os.makedirs(os.path.join(root, "val", "images"), exist_ok=True)
    os.makedirs(os.path.join(root, "test", "images"), exist_ok=True)
    with open(os.path.join(root, "wnids.txt"), "w") as f:
        f.write("".join(f"{w}\n" for w in reversed(wnids)))  # not sorted, like the real file
    with open(os.path.join(root, "words.txt"), "w") as f:
        f.write("".join(f"{w}\ttoy class {i}\n" for i, w in enumerate(wnids)))
    annotations = []
    for c, wnid in enumerate(wnids):
        folder = os.path.join(root, "train", wnid)
        os.makedirs(os.path.join(folder, "images"), exist_ok=True)
        boxes = []
        for k in range(train_per_class if c < active_classes else 0):
            name = f"{wnid}_{k}.JPEG"
            # the real set holds a few grayscale images: keep one to exercise RGB conversion
            _write_jpeg(
                class_image(c, active_classes, (64, 64), rng),
                os.path.join(folder, "images", name),
                gray=(c == 0 and k == 0),
            )
            boxes.append(f"{name}\t0\t0\t63\t63\n")
        with open(os.path.join(folder, f"{wnid}_boxes.txt"), "w") as f:
            f.write("".join(boxes))
        for _ in range(val_per_class if c < active_classes else 0):
            annotations.append((c, wnid))
    order = rng.permutation(len(annotations))
    lines = []
    for i, j in enumerate(order):
        c, wnid = annotations[j]
        name = f"val_{i}.JPEG"
        _write_jpeg(class_image(c, active_classes, (64, 64), rng), os.path.join(root, "val", "images", name))
        lines.append(f"{name}\t{wnid}\t0\t0\t63\t63\n")
    with open(os.path.join(root, "val", "val_annotations.txt"), "w") as f:
        f.write("".join(lines))
    return root


def make_cub200(
    out_dir, seed=0, active_classes=10, train_per_class=10, val_per_class=4, image_size=80, num_classes=200
):
    rng = np.random.default_rng(seed)
    root = os.path.join(out_dir, "CUB_200_2011")
    classes = [f"{i + 1:03d}.Toy_Bird_{i + 1}" for i in range(num_classes)]
    images, labels, split = [], [], []
    for c, name in enumerate(classes):
        os.makedirs(os.path.join(root, "images", name), exist_ok=True)
        if c >= active_classes:
            continue
        for k in range(train_per_class + val_per_class):
            rel = f"{name}/Toy_Bird_{c + 1}_{k:04d}.jpg"
            _write_jpeg(
                class_image(c, active_classes, _size(rng, image_size, image_size // 4), rng),
                os.path.join(root, "images", rel),
            )
            images.append(rel)
            labels.append(c + 1)
            split.append(1 if k < train_per_class else 0)
    order = rng.permutation(len(images))  # ids in images.txt need not follow the class order
    with open(os.path.join(root, "images.txt"), "w") as f:
        f.write("".join(f"{i + 1} {images[j]}\n" for i, j in enumerate(order)))
    with open(os.path.join(root, "image_class_labels.txt"), "w") as f:
        f.write("".join(f"{i + 1} {labels[j]}\n" for i, j in enumerate(order)))
    with open(os.path.join(root, "train_test_split.txt"), "w") as f:
        f.write("".join(f"{i + 1} {split[j]}\n" for i, j in enumerate(order)))
    with open(os.path.join(root, "classes.txt"), "w") as f:
        f.write("".join(f"{i + 1} {name}\n" for i, name in enumerate(classes)))
    return root


_MAKERS = {
    "cifar100": make_cifar100,
    "imagenet": make_imagenet,
    "tiny-imagenet": make_tiny_imagenet,
    "cub200": make_cub200,
}


def make_toy_dataset(kind, out_dir, seed=0, **sizes):
    """Write a toy data set of ``kind`` (one of ``KINDS``) under ``out_dir``
    and return its folder (what ``--data-root`` takes). ``sizes`` may set
    ``active_classes``, ``train_per_class`` and ``val_per_class``."""
    if kind not in _MAKERS:
        raise ConfigError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    os.makedirs(out_dir, exist_ok=True)
    return _MAKERS[kind](out_dir, seed=seed, **sizes)
