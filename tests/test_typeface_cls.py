"""The typeface classification set (toy/typeface_cls.py): CIFAR-100's pickle format read by the
packaged CIFAR100 data set (and its pickles' keys as torchvision's files hold them), 62 characters, the teacher's, the
students' and the test typefaces disjoint, characters keeping their size on the line, and the
same bytes from the same seed."""

import filecmp
import json
import os
import pickle

import numpy as np
import pytest

from ldrld_core.errors import ConfigError
from toy.typeface_cls import CLASSES, make_typeface_cifar

from tool_helpers import run_tool

SIZES = dict(teacher_per_font=2, student_per_font=1, test_per_font=1, fonts=(3, 2, 2))


@pytest.fixture(scope="module")
def typefaces(tmp_path_factory):
    out = tmp_path_factory.mktemp("typefaces")
    return out, make_typeface_cifar(str(out), seed=5, **SIZES)


def _images(root, split="train"):
    """``(images (N, 32, 32, 3), labels)`` of a split, as CIFAR-100's readers decode its pickle."""
    with open(os.path.join(root, "cifar-100-python", split), "rb") as f:
        batch = pickle.load(f, encoding="latin1")
    assert sorted(batch) == ["batch_label", "coarse_labels", "data", "filenames", "fine_labels"]
    return batch["data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), np.asarray(batch["fine_labels"])


def test_the_cifar100_reader_reads_it(typefaces):
    from ldrld_cls.datasets import CIFAR100

    _, (teacher, students) = typefaces
    assert len(CLASSES) == 62 and len(set(CLASSES)) == 62
    for root, fonts, per_font in ((teacher, 3, 2), (students, 2, 1)):
        train, test = CIFAR100(root, "train"), CIFAR100(root, "test")
        assert train.classes == list(CLASSES) and train.num_classes == 62
        assert len(train) == 62 * fonts * per_font and len(test) == 62 * 2
        images, labels = _images(root)
        assert np.bincount(labels, minlength=62).tolist() == [fonts * per_font] * 62
        assert (
            images.shape == (62 * fonts * per_font, 32, 32, 3)
            and (train.images.numpy() == images.transpose(0, 3, 1, 2)).all()
        )
    for a, b in zip(_images(teacher, "test"), _images(students, "test")):  # one test set
        assert (a == b).all()


def test_the_three_sets_use_disjoint_typefaces(typefaces):
    out, _ = typefaces
    with open(out / "typefaces.json") as f:
        record = json.load(f)
    groups = [set(record[role]) for role in ("teacher", "students", "test")]
    assert [len(g) for g in groups] == list(SIZES["fonts"])
    assert not (groups[0] & groups[1] or groups[0] & groups[2] or groups[1] & groups[2])
    assert record["classes"] == CLASSES


def test_characters_keep_their_size_on_the_line():
    """Lower case is drawn smaller than capitals (the glyphs are placed on their baseline, not
    scaled to their own ink like glyph_mask's), over typefaces and random draws."""
    import random

    from toy.typeface_cls import _glyph

    rng = random.Random(0)
    heights = {}
    for char in "OoXxSsgp":
        values = []
        for family in ("roboto", "lora", "caveat", "roboto-mono", "oswald"):
            for _ in range(4):
                rows = np.flatnonzero(_glyph(rng, family, char).max(1) > 0.3)
                values.append(rows[-1] - rows[0] + 1)
        heights[char] = float(np.mean(values))
    assert all(heights[c.lower()] < 0.85 * heights[c] for c in "OXS"), heights
    assert heights["g"] > heights["o"] + 2 and heights["p"] > heights["o"] + 2, heights  # descenders


def test_images_vary_like_a_real_set(typefaces):
    _, (teacher, _) = typefaces
    data = _images(teacher)[0].astype(np.float32)
    grounds = np.median(np.concatenate([data[:, 0], data[:, -1]], axis=1), axis=1).mean(1)
    assert (grounds < 128).mean() > 0.25 and (grounds > 128).mean() > 0.25  # light ink on dark and the reverse
    assert data.std(axis=(1, 2)).mean() > 20  # no blank images


def test_same_seed_same_bytes_other_seed_other_images(typefaces, tmp_path):
    out, (teacher, _) = typefaces
    again = make_typeface_cifar(str(tmp_path / "again"), seed=5, **SIZES)
    for split in ("train", "test", "meta"):
        assert filecmp.cmp(
            os.path.join(teacher, "cifar-100-python", split), os.path.join(again[0], "cifar-100-python", split), False
        )
    other = make_typeface_cifar(str(tmp_path / "other"), seed=6, **SIZES)
    assert not filecmp.cmp(
        os.path.join(teacher, "cifar-100-python", "train"), os.path.join(other[0], "cifar-100-python", "train"), False
    )


@pytest.mark.parametrize(
    "sizes, words",
    [
        (dict(student_per_font=0), "student_per_font must be at least 1"),
        (dict(test_per_font=0), "test_per_font must be at least 1"),
        (dict(fonts=(40, 20, 20)), "typefaces asked for"),
    ],
)
def test_bad_sizes_are_refused_with_one_clear_error(tmp_path, sizes, words):
    with pytest.raises(ConfigError, match=words):
        make_typeface_cifar(str(tmp_path), **sizes)
    assert not os.path.exists(tmp_path / "teacher")


def test_the_tool_writes_it_and_a_preview(tmp_path):
    proc = run_tool(
        "make_toy_data.py", "cls-typefaces", "--size", "quick", "--out", tmp_path, "--preview", tmp_path / "p.png"
    )
    assert "wrote toy cls-typefaces data" in proc.stdout and (tmp_path / "p.png").is_file()
    from PIL import Image

    with Image.open(tmp_path / "p.png") as image:
        assert image.format == "PNG" and np.asarray(image.convert("L"), np.float32).std() > 20
