"""Classification data: the four readers on generated data in the real on-disk
formats, clear errors for missing or malformed roots, symmetric label noise,
and the device-side augmentation of the data preprocessor."""

import os
import pickle
import shutil

import numpy as np
import pytest
import torch

from ldrld_cls import DatasetError
from ldrld_cls.datasets import CIFAR100, CUB200, ImageNetFolder, TinyImageNet
from ldrld_cls.label_noise import symmetric_label_noise
from toy.cls import make_toy_dataset

pytestmark = pytest.mark.usefixtures("one_thread")


SIZES = dict(active_classes=3, train_per_class=2, val_per_class=1)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp("cls_toy")
    return {
        kind: make_toy_dataset(kind, str(root / kind), seed=0, **SIZES)
        for kind in ("cifar100", "imagenet", "tiny-imagenet", "cub200")
    }


def _mean_colour(image):
    return image.float().mean(dim=(1, 2))


def test_cifar100_reads_torchvision_pickles(toy):
    train = CIFAR100(toy["cifar100"], "train")
    test = CIFAR100(os.path.join(toy["cifar100"], "cifar-100-python"), "test")  # the folder itself works too
    assert (len(train), len(test), train.num_classes) == (6, 3, 100)
    with open(os.path.join(toy["cifar100"], "cifar-100-python", "train"), "rb") as f:
        raw = pickle.load(f, encoding="latin1")
    assert {"data", "fine_labels", "filenames"} <= set(raw)
    item = train[0]
    assert item["inputs"].dtype == torch.uint8 and item["inputs"].shape == (3, 32, 32)
    assert item["data_samples"] == raw["fine_labels"][0]
    assert torch.equal(item["inputs"].reshape(-1), torch.from_numpy(raw["data"][0]))
    assert train.metainfo["classes"][:2] == ("class_000", "class_001")


def test_folder_readers_label_images_by_their_class(toy):
    """Toy images carry their class in their colour: images of one label look alike."""
    for dataset in (
        ImageNetFolder(toy["imagenet"], "val", pipeline=[dict(type="Resize", size=(24, 24))]),
        TinyImageNet(toy["tiny-imagenet"], "val"),
        CUB200(toy["cub200"], "test", pipeline=[dict(type="Resize", size=(24, 24))]),
    ):
        colours = {}
        for i in range(len(dataset)):
            item = dataset[i]
            colours.setdefault(item["data_samples"], []).append(_mean_colour(item["inputs"]))
        assert sorted(colours) == [0, 1, 2], type(dataset).__name__
        centres = {k: torch.stack(v).mean(0) for k, v in colours.items()}
        for label, values in colours.items():  # each image is closest to its own class's mean colour
            for value in values:
                nearest = min(centres, key=lambda k: float((centres[k] - value).norm()))
                assert nearest == label, type(dataset).__name__


def test_dataset_sizes_and_class_counts(toy):
    assert (len(ImageNetFolder(toy["imagenet"], "train")), ImageNetFolder(toy["imagenet"], "train").num_classes) == (
        6,
        1000,
    )
    tiny_train = TinyImageNet(toy["tiny-imagenet"], "train")
    assert (len(tiny_train), tiny_train.num_classes) == (6, 200)
    assert tiny_train[0]["inputs"].shape == (3, 64, 64)  # the grayscale image comes back as RGB
    assert (len(CUB200(toy["cub200"], "train")), len(CUB200(toy["cub200"], "test"))) == (6, 3)
    assert CUB200(toy["cub200"], "train").classes[0] == "001.Toy_Bird_1"


def test_tiny_imagenet_val_is_read_in_place_from_its_annotations(toy):
    val = TinyImageNet(toy["tiny-imagenet"], "val")
    annotations = os.path.join(toy["tiny-imagenet"], "val", "val_annotations.txt")
    with open(annotations) as f:
        rows = [line.split("\t")[:2] for line in f if line.strip()]
    assert [os.path.basename(p) for p in val.files] == [name for name, _ in rows]
    assert [val.classes[label] for label in val.labels] == [wnid for _, wnid in rows]
    assert sorted(os.listdir(os.path.join(toy["tiny-imagenet"], "val"))) == ["images", "val_annotations.txt"]


def test_cub_split_follows_train_test_split(toy):
    root = toy["cub200"]
    with open(os.path.join(root, "train_test_split.txt")) as f:
        is_train = {k: v == "1" for k, v in (line.split() for line in f)}
    with open(os.path.join(root, "images.txt")) as f:
        paths = dict(line.split() for line in f)
    expected = sorted(os.path.join(root, "images", paths[k]) for k in paths if not is_train[k])
    assert sorted(CUB200(root, "test").files) == expected


@pytest.mark.parametrize(
    "cls,kind",
    [(CIFAR100, "cifar100"), (ImageNetFolder, "imagenet"), (TinyImageNet, "tiny-imagenet"), (CUB200, "cub200")],
)
def test_missing_root_names_the_path_and_the_layout(tmp_path, cls, kind):
    missing = tmp_path / "nowhere"
    with pytest.raises(DatasetError, match=rf"data root {missing} does not exist; expected .*<root>"):
        cls(str(missing), "train")
    with pytest.raises(DatasetError, match="is not laid out as expected"):
        cls(str(tmp_path), "train")


def test_cifar_download_is_only_on_request(tmp_path):
    with pytest.raises(DatasetError, match="download=True"):
        CIFAR100(str(tmp_path), "train")
    assert os.listdir(tmp_path) == []


def test_malformed_inputs_are_named(toy, tmp_path):
    with pytest.raises(DatasetError, match="split must be one of"):
        CIFAR100(toy["cifar100"], "validation")
    broken = tmp_path / "tiny"
    shutil.copytree(toy["tiny-imagenet"], broken)
    with open(broken / "val" / "val_annotations.txt", "a") as f:
        f.write("val_99.JPEG\tn99999999\t0\t0\t1\t1\n")
    with pytest.raises(DatasetError, match=r"line 4: class 'n99999999' is not a folder of"):
        TinyImageNet(str(broken), "val")
    cub = tmp_path / "cub"
    shutil.copytree(toy["cub200"], cub)
    first_train_image = os.path.relpath(CUB200(toy["cub200"], "train").files[0], toy["cub200"])
    os.remove(cub / first_train_image)
    with pytest.raises(DatasetError, match="1 images listed in images.txt do not exist"):
        CUB200(str(cub), "train")


def test_symmetric_label_noise():
    labels = np.arange(20000) % 100
    noisy = symmetric_label_noise(labels, 100, 0.1, seed=3)
    changed = noisy != labels
    assert 0.09 < changed.mean() < 0.11
    assert np.array_equal(noisy, symmetric_label_noise(labels, 100, 0.1, seed=3))
    # the new labels spread over the other classes
    assert len(np.unique(noisy[changed])) == 100
    assert np.array_equal(symmetric_label_noise(labels, 100, 0.0), labels)
    with pytest.raises(ValueError, match="noise_rate must be in"):
        symmetric_label_noise(labels, 100, 1.5)


def test_noise_rate_option_of_the_datasets(toy):
    ds = CIFAR100(toy["cifar100"], "train", noise_rate=0.5, noise_seed=1)
    assert np.array_equal(ds.clean_labels, CIFAR100(toy["cifar100"], "train").labels)
    assert (ds.labels != ds.clean_labels).any()
    assert [ds[i]["data_samples"] for i in range(len(ds))] == ds.labels.tolist()


def test_pipeline_errors_name_the_step(toy):
    from ldrld_cls import InputError

    with pytest.raises(InputError, match=r"pipeline\[1\]: 'Blur' is not a torchvision.transforms transform"):
        CUB200(toy["cub200"], "train", pipeline=[dict(type="Resize", size=8), dict(type="Blur")])
    with pytest.raises(InputError, match="leave out Normalize"):
        CUB200(toy["cub200"], "train", pipeline=[dict(type="Normalize", mean=0, std=1)])


def test_preprocessor_normalises_and_augments_on_the_batch():
    from ldrld_cls.engine.preprocessor import ClsDataPreprocessor

    images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)
    data = {"inputs": images, "data_samples": torch.arange(8)}
    plain = ClsDataPreprocessor(mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))
    out = plain(data, training=True)
    assert torch.allclose(out["inputs"], (images.float() / 255 - 0.5) / 0.25)
    assert torch.equal(out["data_samples"], torch.arange(8))

    aug = ClsDataPreprocessor(pad=4, flip=True)
    torch.manual_seed(0)
    x = aug(data, training=True)["inputs"]
    assert aug(data, training=False)["inputs"].equal(images.float() / 255)  # no augmentation in eval
    padded = torch.nn.functional.pad(images.float() / 255, (4, 4, 4, 4))
    for i in range(8):  # every output is a 32x32 window of the padded image, maybe mirrored
        windows = [padded[i, :, r : r + 32, c : c + 32] for r in range(9) for c in range(9)]
        assert any(torch.equal(x[i], w) or torch.equal(x[i], w.flip(2)) for w in windows)
    assert sum(not torch.equal(x[i], images[i].float() / 255) for i in range(8)) >= 4


def test_preprocessor_draws_are_reproducible_from_its_saved_state():
    from ldrld_cls.engine.preprocessor import ClsDataPreprocessor

    data = {"inputs": torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8), "data_samples": torch.arange(4)}
    first = ClsDataPreprocessor(pad=2, flip=True)
    torch.manual_seed(5)
    first(data, training=True)
    state = first.state_dict()
    expected = first(data, training=True)["inputs"]
    second = ClsDataPreprocessor(pad=2, flip=True)
    second.load_state_dict(state)
    torch.manual_seed(123)  # the global RNG plays no part once the seed is set
    assert torch.equal(second(data, training=True)["inputs"], expected)
    assert not torch.equal(second(data, training=True)["inputs"], expected)  # the next step draws anew
