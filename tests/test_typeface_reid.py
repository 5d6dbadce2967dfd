"""The typeface Re-ID set (toy/typeface_reid.py): Market-1501's layout read by torchreid's own
Market1501 class and accepted by check_market1501, typefaces as identities with the training, test
and distractor typefaces disjoint, every query matched from another camera, the students' training
images the first of the teacher's, and the same bytes from the same seed."""

import filecmp
import json
import os
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from ldrld_core.errors import ConfigError
from ldrld_reid import compat
from ldrld_reid.layout import DATASET_DIR, SPLITS, check_market1501, parse_name
from toy.typeface_reid import WEIGHTS, make_typeface_market1501_pair

from tool_helpers import run_tool

# the sizes tools/make_toy_data.py's --size quick passes; the fonts and the rest are the defaults
QUICK = dict(teacher_images_per_id=4, student_images_per_id=2, gallery_images_per_id=2)
TRAIN_IDS, TEST_IDS, DISTRACTOR_FONTS = 29, 16, 12
TINY = dict(
    teacher_images_per_id=2,
    student_images_per_id=1,
    gallery_images_per_id=1,
    queries_per_id=1,
    distractors_per_font=1,
    num_junk=1,
    fonts=(3, 2, 2),
)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    return make_typeface_market1501_pair(str(tmp_path_factory.mktemp("typeface_reid")), seed=4, **QUICK)


def _names(root, split):
    return sorted(os.listdir(os.path.join(root, DATASET_DIR, split)))


def _items(root, split):
    """``[(pid, camera)]`` of a split, from the file names."""
    return [parse_name(n) for n in _names(root, split)]


def _record(root):
    with open(os.path.join(root, DATASET_DIR, "typefaces.json")) as f:
        return json.load(f)["persons"]


def test_torchreid_market1501_reads_both_roots(pair):
    teacher, students = pair
    for root, per_id in ((teacher, 4), (students, 2)):
        dataset = compat.data().datasets.Market1501(root=str(root))
        assert dataset.num_train_pids == TRAIN_IDS and len(dataset.train) == TRAIN_IDS * per_id
        assert sorted({item[1] for item in dataset.train}) == list(range(TRAIN_IDS))  # relabelled
        assert len(dataset.query) == TEST_IDS * 2
        gallery_pids = [item[1] for item in dataset.gallery]
        assert len(gallery_pids) == TEST_IDS * 2 + DISTRACTOR_FONTS * 6 and -1 not in gallery_pids  # junk dropped
        assert check_market1501(root) == {
            "data_dir": os.path.join(str(root), DATASET_DIR),
            "num_train_pids": TRAIN_IDS,
            "num_train": TRAIN_IDS * per_id,
            "num_query": TEST_IDS * 2,
            "num_gallery": len(gallery_pids),
        }
    with Image.open(os.path.join(teacher, DATASET_DIR, "query", _names(teacher, "query")[0])) as image:
        assert image.format == "JPEG" and image.mode == "RGB" and image.size == (64, 128)


def test_identities_are_typefaces_and_the_roles_are_disjoint(pair):
    teacher, _ = pair
    train = Counter(pid for pid, _ in _items(teacher, "bounding_box_train"))
    query = {pid for pid, _ in _items(teacher, "query")}
    gallery = Counter(pid for pid, _ in _items(teacher, "bounding_box_test"))
    assert len(train) == TRAIN_IDS and set(train.values()) == {4} and len(query) == TEST_IDS
    assert not set(train) & (query | set(gallery)) and query == set(gallery) - {0, -1}
    assert max(train) > len(train) and max(set(train) | query) <= 1501  # sparse, as Market-1501's
    assert gallery[0] == DISTRACTOR_FONTS * 6 and gallery[-1] == 8  # distractors and junk
    for pid in train:  # training images cycle over the cameras
        assert len({cam for p, cam in _items(teacher, "bounding_box_train") if p == pid}) == 4
    record = _record(teacher)
    families = {role: [] for role in ("training", "test", "distractor")}
    for key, person in record.items():
        if person["role"] in ("training", "test"):
            families[person["role"]].append(person["family"])
        elif person["role"] == "distractor":
            assert key == "0000"
            families["distractor"] += person["families"]
    assert [len(f) for f in families.values()] == [TRAIN_IDS, TEST_IDS, DISTRACTOR_FONTS]
    everything = [f for group in families.values() for f in group]
    assert len(set(everything)) == len(everything)  # each typeface is one identity, in one role
    assert {int(k) for k, p in record.items() if p["role"] == "training"} == set(train)
    assert {int(k) for k, p in record.items() if p["role"] == "test"} == query
    weights = [p["weight"] for p in record.values() if p["role"] in ("training", "test")]
    assert set(weights) <= set(WEIGHTS) and len(set(weights)) > 1  # each typeface its own weight


def test_every_query_has_a_match_from_another_camera(pair):
    teacher, _ = pair
    gallery = _items(teacher, "bounding_box_test")
    queries = _items(teacher, "query")
    for pid, cam in queries:
        assert any(p == pid and c != cam for p, c in gallery), (pid, cam)
    assert all(len({c for p, c in queries if p == pid}) == 2 for pid, _ in queries)  # two cameras


def test_the_students_hold_the_first_training_images_and_the_same_test_set(pair):
    teacher, students = pair
    ours, theirs = _names(students, "bounding_box_train"), _names(teacher, "bounding_box_train")
    assert Counter(parse_name(n)[0] for n in ours) == Counter(
        {pid: 2 for pid, _ in _items(teacher, "bounding_box_train")}
    )
    by_frame = sorted(theirs, key=lambda n: n.split("_")[2])  # the order they were written in
    for pid in {parse_name(n)[0] for n in ours}:
        first = [n for n in by_frame if parse_name(n)[0] == pid][:2]
        assert sorted(first) == sorted(n for n in ours if parse_name(n)[0] == pid)
    _, mismatch, errors = filecmp.cmpfiles(
        os.path.join(teacher, DATASET_DIR, "bounding_box_train"),
        os.path.join(students, DATASET_DIR, "bounding_box_train"),
        ours,
        shallow=False,
    )
    assert not mismatch and not errors
    for split in ("query", "bounding_box_test"):
        compared = filecmp.dircmp(os.path.join(teacher, DATASET_DIR, split), os.path.join(students, DATASET_DIR, split))
        assert not compared.left_only and not compared.right_only
        assert filecmp.cmpfiles(compared.left, compared.right, compared.common, shallow=False)[0] == compared.common


def test_same_seed_same_bytes_another_seed_differs(tmp_path):
    a, b, c = (
        make_typeface_market1501_pair(str(tmp_path / k), seed=s, **TINY) for k, s in (("a", 1), ("b", 1), ("c", 2))
    )
    for root_a, root_b, root_c in zip(a, b, c):
        for split in SPLITS:
            names = _names(root_a, split)
            assert names == _names(root_b, split)
            match, mismatch, errors = filecmp.cmpfiles(
                os.path.join(root_a, DATASET_DIR, split), os.path.join(root_b, DATASET_DIR, split), names, shallow=False
            )
            assert match == names and not mismatch and not errors
        assert _record(root_a) == _record(root_b) != _record(root_c)
        assert _names(root_a, "query") != _names(root_c, "query")


@pytest.mark.parametrize(
    "sizes, words",
    [
        (dict(teacher_images_per_id=0), "teacher_images_per_id must be at least 1"),
        (dict(student_images_per_id=0), "student_images_per_id must be at least 1"),
        (dict(gallery_images_per_id=0), "gallery_images_per_id must be at least 1"),
        (dict(teacher_images_per_id=3, student_images_per_id=4), "student_images_per_id .* must not exceed"),
        (dict(queries_per_id=0), "queries_per_id must be 1..6"),
        (dict(queries_per_id=7), "queries_per_id must be 1..6"),
        (dict(num_junk=-1), "num_junk must be at least 0"),
        (dict(fonts=(3, 2)), "fonts must be three counts"),
        (dict(fonts=(30, 16, 12)), "58 typefaces asked for"),
    ],
)
def test_bad_sizes_are_refused_with_one_clear_error(tmp_path, sizes, words):
    with pytest.raises(ConfigError, match=words):
        make_typeface_market1501_pair(str(tmp_path), **sizes)
    assert not os.path.exists(tmp_path / "teacher")


def test_the_tool_writes_it_and_a_preview(tmp_path):
    png = tmp_path / "p.png"
    proc = run_tool("make_toy_data.py", "reid-typefaces", "--size", "quick", "--out", tmp_path, "--preview", png)
    assert "wrote toy reid-typefaces data" in proc.stdout
    assert len(_names(tmp_path / "students", "bounding_box_train")) == TRAIN_IDS * 2
    with Image.open(png) as image:
        assert image.format == "PNG" and np.asarray(image.convert("L"), np.float32).std() > 20
