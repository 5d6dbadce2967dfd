"""The four classification data sets in the layouts users already have on disk.

- ``CIFAR100``: torchvision's ``cifar-100-python/`` folder (pickles ``train``,
  ``test``, ``meta``); downloaded through torchvision only with
  ``download=True``.
- ``ImageNetFolder``: ``train/<class>/*`` and ``val/<class>/*``.
- ``TinyImageNet``: ``tiny-imagenet-200/`` as distributed: ``train/<wnid>/images/*``
  and ``val/images/*`` labelled by ``val/val_annotations.txt`` (nothing needs
  to be moved; a ``val/`` already sorted into class folders works too).
- ``CUB200``: ``CUB_200_2011/`` with ``images/``, ``images.txt``,
  ``image_class_labels.txt`` and ``train_test_split.txt``.

Every item is ``{'inputs': uint8 tensor (3, H, W), 'data_samples': label}``;
conversion to float, normalisation and CIFAR-style pad-crop-flip happen later,
batched, on the device. ``data_root`` may name the data set's own folder or
the folder that holds it. ``noise_rate`` (with ``noise_seed``) applies
symmetric label noise (Table 18). Each data set exposes ``classes``,
``num_classes`` and ``metainfo``.
"""

import os
import pickle

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from .errors import DatasetError
from .label_noise import symmetric_label_noise
from .transforms import build_pipeline

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def _is_image(name):
    return name.lower().endswith(IMAGE_EXTENSIONS)


def _find_root(data_root, own_folder, looks_right, dataset, expected):
    """``data_root`` itself or ``data_root/own_folder``, whichever ``looks_right``."""
    if data_root is None or str(data_root) == "":
        raise DatasetError(
            f"{dataset}: data_root is not set; expected {expected} (pass --data-root DIR to tools/train_cls.py)"
        )
    data_root = os.path.expanduser(os.fspath(data_root))
    if not os.path.isdir(data_root):
        raise DatasetError(f"{dataset}: data root {data_root} does not exist; expected {expected}")
    for candidate in (os.path.join(data_root, own_folder), data_root):
        if os.path.isdir(candidate) and looks_right(candidate):
            return candidate
    raise DatasetError(f"{dataset}: {data_root} is not laid out as expected: expected {expected}")


def _check_split(dataset, split, names):
    for canonical, aliases in names.items():
        if split == canonical or split in aliases:
            return canonical
    allowed = sorted({n for k, v in names.items() for n in (k, *v)})
    raise DatasetError(f"{dataset}: split must be one of {allowed}, got {split!r}")


class ClsDataset(Dataset):
    """Shared behaviour: labels, label noise, metainfo, item format."""

    dataset_name = "dataset"

    def __init__(self, pipeline=None, noise_rate=0.0, noise_seed=0):
        self.pipeline = build_pipeline(pipeline)
        self.noise_rate = float(noise_rate)
        self.noise_seed = int(noise_seed)

    def _set_labels(self, labels):
        self.clean_labels = np.asarray(labels, dtype=np.int64)
        if self.noise_rate:
            self.labels = symmetric_label_noise(self.clean_labels, self.num_classes, self.noise_rate, self.noise_seed)
        else:
            self.labels = self.clean_labels
        if len(self.labels) == 0:
            raise DatasetError(f"{self.dataset_name}: the {self.split} split under {self.root} holds no images")

    @property
    def num_classes(self):
        return len(self.classes)

    @property
    def metainfo(self):
        return dict(
            dataset=self.dataset_name,
            split=self.split,
            classes=tuple(self.classes),
            num_classes=self.num_classes,
            noise_rate=self.noise_rate,
        )

    def __len__(self):
        return len(self.labels)

    def _to_tensor(self, image):
        if self.pipeline is not None:
            image = self.pipeline(image)
        from torchvision.transforms.functional import pil_to_tensor  # torchvision only for image files

        return pil_to_tensor(image)

    def _item(self, inputs, index):
        return {"inputs": inputs, "data_samples": int(self.labels[index])}

    def __repr__(self):
        return (
            f"{type(self).__name__}(root={self.root!r}, split={self.split!r}, images={len(self)}, "
            f"classes={self.num_classes}, noise_rate={self.noise_rate})"
        )


class CIFAR100(ClsDataset):
    """CIFAR-100 from torchvision's ``cifar-100-python/`` pickles (fine labels)."""

    dataset_name = "CIFAR-100"
    folder = "cifar-100-python"

    def __init__(self, data_root, split="train", download=False, pipeline=None, noise_rate=0.0, noise_seed=0):
        super().__init__(pipeline, noise_rate, noise_seed)
        self.split = _check_split(self.dataset_name, split, {"train": (), "test": ("val",)})
        expected = (
            f"<root>/{self.folder}/train, test and meta (torchvision's layout); pass download=True "
            f"(e.g. --cfg-options train_dataloader.dataset.download=True "
            f"val_dataloader.dataset.download=True) to fetch it"
        )
        if download:
            self._download(data_root)
        self.root = _find_root(
            data_root,
            self.folder,
            lambda d: os.path.isfile(os.path.join(d, self.split)) and os.path.isfile(os.path.join(d, "meta")),
            self.dataset_name,
            expected,
        )
        meta = self._unpickle(os.path.join(self.root, "meta"))
        self.classes = [str(c) for c in self._field(meta, "fine_label_names", "meta")]
        batch = self._unpickle(os.path.join(self.root, self.split))
        data = np.asarray(self._field(batch, "data", self.split), dtype=np.uint8)
        if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
            raise DatasetError(
                f"{self.dataset_name}: {self.root}/{self.split} 'data' must be N x 3072 uint8 "
                f"(3x32x32 images), got shape {data.shape}"
            )
        self.images = torch.from_numpy(data.reshape(-1, 3, 32, 32).copy())
        labels = np.asarray(self._field(batch, "fine_labels", self.split), dtype=np.int64)
        if labels.shape[0] != data.shape[0]:
            raise DatasetError(
                f"{self.dataset_name}: {self.root}/{self.split} has {data.shape[0]} images "
                f"but {labels.shape[0]} fine_labels"
            )
        if labels.size and (labels.min() < 0 or labels.max() >= len(self.classes)):
            raise DatasetError(
                f"{self.dataset_name}: fine_labels must lie in [0, {len(self.classes) - 1}], "
                f"got [{labels.min()}, {labels.max()}]"
            )
        self._set_labels(labels)

    def _download(self, data_root):
        import torchvision

        os.makedirs(data_root, exist_ok=True)
        torchvision.datasets.CIFAR100(data_root, train=self.split == "train", download=True)

    def _unpickle(self, path):
        try:
            with open(path, "rb") as f:
                return pickle.load(f, encoding="latin1")
        except Exception as err:
            raise DatasetError(f"{self.dataset_name}: could not read {path}: {type(err).__name__}: {err}") from None

    def _field(self, batch, key, name):
        if not isinstance(batch, dict) or key not in batch:
            keys = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
            raise DatasetError(f"{self.dataset_name}: {os.path.join(self.root, name)} has no {key!r} (found {keys})")
        return batch[key]

    def __getitem__(self, index):
        image = self.images[index]
        if self.pipeline is not None:
            image = self._to_tensor(Image.fromarray(image.permute(1, 2, 0).numpy()))
        return self._item(image, index)


class _ImageFileDataset(ClsDataset):
    """Items read from image files, decoded with PIL to RGB."""

    def __getitem__(self, index):
        path = self.files[index]
        try:
            with Image.open(path) as img:
                image = img.convert("RGB")
        except Exception as err:
            raise DatasetError(f"{self.dataset_name}: could not read image {path}: {err}") from None
        return self._item(self._to_tensor(image), index)


def _list_images(folder):
    out = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.is_file() and _is_image(entry.name):
            out.append(entry.path)
    return out


def _class_folders(folder):
    return sorted(e.name for e in os.scandir(folder) if e.is_dir())


class ImageNetFolder(_ImageFileDataset):
    """ImageNet-1K as class folders: ``<root>/train/<wnid>/*`` and
    ``<root>/val/<wnid>/*``. Class indices are the sorted folder names of
    ``train/`` (torchvision's ImageFolder order), also for ``val/``."""

    dataset_name = "ImageNet"

    def __init__(self, data_root, split="train", pipeline=None, noise_rate=0.0, noise_seed=0):
        super().__init__(pipeline, noise_rate, noise_seed)
        self.split = _check_split(self.dataset_name, split, {"train": (), "val": ("test",)})
        expected = "<root>/train/<class>/<images> and <root>/val/<class>/<images>"
        self.root = _find_root(
            data_root, "imagenet", lambda d: os.path.isdir(os.path.join(d, self.split)), self.dataset_name, expected
        )
        class_source = os.path.join(self.root, "train")
        if not os.path.isdir(class_source):
            class_source = os.path.join(self.root, self.split)
        self.classes = _class_folders(class_source)
        if not self.classes:
            raise DatasetError(f"{self.dataset_name}: {class_source} has no class folders; expected {expected}")
        index = {c: i for i, c in enumerate(self.classes)}
        split_dir = os.path.join(self.root, self.split)
        unknown = [c for c in _class_folders(split_dir) if c not in index]
        if unknown:
            raise DatasetError(f"{self.dataset_name}: {split_dir} has class folders that train/ lacks: {unknown[:5]}")
        self.files, labels = [], []
        for cls in _class_folders(split_dir):
            images = _list_images(os.path.join(split_dir, cls))
            self.files += images
            labels += [index[cls]] * len(images)
        self._set_labels(labels)


class TinyImageNet(_ImageFileDataset):
    """Tiny-ImageNet-200 as distributed: ``train/<wnid>/images/*.JPEG``; the
    validation images in ``val/images/`` with their classes in
    ``val/val_annotations.txt`` (file, wnid, box). Class indices are the
    sorted wnids of ``train/``."""

    dataset_name = "Tiny-ImageNet"
    folder = "tiny-imagenet-200"

    def __init__(self, data_root, split="train", pipeline=None, noise_rate=0.0, noise_seed=0):
        super().__init__(pipeline, noise_rate, noise_seed)
        self.split = _check_split(self.dataset_name, split, {"train": (), "val": ("test",)})
        expected = (
            f"<root>/{self.folder}/train/<wnid>/images/*.JPEG and val/images/*.JPEG with "
            f"val/val_annotations.txt (the layout as distributed)"
        )
        self.root = _find_root(
            data_root, self.folder, lambda d: os.path.isdir(os.path.join(d, "train")), self.dataset_name, expected
        )
        self.classes = _class_folders(os.path.join(self.root, "train"))
        if not self.classes:
            raise DatasetError(f"{self.dataset_name}: {self.root}/train has no class folders; expected {expected}")
        index = {c: i for i, c in enumerate(self.classes)}
        self.files, labels = [], []
        if self.split == "train":
            for wnid in self.classes:
                folder = os.path.join(self.root, "train", wnid, "images")
                if not os.path.isdir(folder):  # some copies keep the images directly in train/<wnid>/
                    folder = os.path.join(self.root, "train", wnid)
                images = _list_images(folder)
                self.files += images
                labels += [index[wnid]] * len(images)
        else:
            val_dir = os.path.join(self.root, "val")
            annotations = os.path.join(val_dir, "val_annotations.txt")
            if os.path.isfile(annotations):
                self._read_annotations(annotations, val_dir, index, labels)
            elif os.path.isdir(val_dir) and any(c in index for c in _class_folders(val_dir)):
                for wnid in _class_folders(val_dir):  # a val/ already sorted into class folders
                    if wnid not in index:
                        raise DatasetError(f"{self.dataset_name}: {val_dir}/{wnid} is not a class of train/")
                    folder = os.path.join(val_dir, wnid, "images")
                    images = _list_images(folder if os.path.isdir(folder) else os.path.join(val_dir, wnid))
                    self.files += images
                    labels += [index[wnid]] * len(images)
            else:
                raise DatasetError(f"{self.dataset_name}: {annotations} not found; expected {expected}")
        self._set_labels(labels)

    def _read_annotations(self, path, val_dir, index, labels):
        with open(path) as f:
            for line_no, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                fields = line.split("\t")
                if len(fields) < 2:
                    raise DatasetError(
                        f"{self.dataset_name}: {path} line {line_no}: expected "
                        f"'<file>\\t<wnid>\\t<box>', got {line.strip()!r}"
                    )
                name, wnid = fields[0].strip(), fields[1].strip()
                if wnid not in index:
                    raise DatasetError(
                        f"{self.dataset_name}: {path} line {line_no}: class {wnid!r} is not a "
                        f"folder of {self.root}/train"
                    )
                self.files.append(os.path.join(val_dir, "images", name))
                labels.append(index[wnid])
        missing = [p for p in self.files[:1000] if not os.path.isfile(p)]
        if missing:
            raise DatasetError(f"{self.dataset_name}: {path} lists images that do not exist, e.g. {missing[0]}")


class CUB200(_ImageFileDataset):
    """CUB-200-2011 from its own index files: ``images.txt`` (id, path under
    ``images/``), ``image_class_labels.txt`` (id, class 1..200) and
    ``train_test_split.txt`` (id, 1 for train / 0 for test)."""

    dataset_name = "CUB-200-2011"
    folder = "CUB_200_2011"
    index_files = ("images.txt", "image_class_labels.txt", "train_test_split.txt")

    def __init__(self, data_root, split="train", pipeline=None, noise_rate=0.0, noise_seed=0):
        super().__init__(pipeline, noise_rate, noise_seed)
        self.split = _check_split(self.dataset_name, split, {"train": (), "test": ("val",)})
        expected = f"<root>/{self.folder}/ with images/, " + ", ".join(self.index_files)
        self.root = _find_root(
            data_root,
            self.folder,
            lambda d: all(os.path.isfile(os.path.join(d, n)) for n in self.index_files),
            self.dataset_name,
            expected,
        )
        paths = self._read_pairs("images.txt")
        classes_of = {k: int(v) for k, v in self._read_pairs("image_class_labels.txt").items()}
        is_train = {k: v.strip() == "1" for k, v in self._read_pairs("train_test_split.txt").items()}
        for name, table in (("image_class_labels.txt", classes_of), ("train_test_split.txt", is_train)):
            missing = [k for k in paths if k not in table]
            if missing:
                raise DatasetError(f"{self.dataset_name}: image id {missing[0]} of images.txt is missing from {name}")
        self.classes = self._class_names(paths, classes_of)
        keep = [k for k in paths if is_train[k] == (self.split == "train")]
        self.files = [os.path.join(self.root, "images", paths[k]) for k in keep]
        labels = [classes_of[k] - 1 for k in keep]
        bad = [c for c in labels if not 0 <= c < len(self.classes)]
        if bad:
            raise DatasetError(f"{self.dataset_name}: class ids must lie in 1..{len(self.classes)}, got {bad[0] + 1}")
        missing = [p for p in self.files if not os.path.isfile(p)]
        if missing:
            raise DatasetError(
                f"{self.dataset_name}: {len(missing)} images listed in images.txt do not exist, e.g. {missing[0]}"
            )
        self._set_labels(labels)

    def _read_pairs(self, name):
        path = os.path.join(self.root, name)
        pairs = {}
        with open(path) as f:
            for line_no, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                fields = line.strip().split(maxsplit=1)
                if len(fields) != 2:
                    raise DatasetError(
                        f"{self.dataset_name}: {path} line {line_no}: expected '<id> <value>', got {line.strip()!r}"
                    )
                pairs[fields[0]] = fields[1]
        return pairs

    def _class_names(self, paths, classes_of):
        listed = os.path.join(self.root, "classes.txt")
        if os.path.isfile(listed):
            by_id = {int(k): v for k, v in self._read_pairs("classes.txt").items()}
            return [by_id[i] for i in sorted(by_id)]
        by_id = {}
        for k, rel in paths.items():  # images/<class folder>/<file>
            by_id.setdefault(classes_of[k], rel.split("/")[0])
        return [by_id.get(i, str(i)) for i in range(1, max(by_id) + 1)]


DATASETS = {cls.__name__: cls for cls in (CIFAR100, ImageNetFolder, TinyImageNet, CUB200)}
