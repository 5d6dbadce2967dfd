"""Toy Market-1501: the real layout and names, read by torchreid's own class; bad folders give one error."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ldrld_reid import compat
from ldrld_reid.layout import DATASET_DIR, NAME_PATTERN, SPLITS, DatasetError, DatasetNotFoundError, check_market1501
from toy.reid import make_toy_market1501

from reid_helpers import TOY_STUDENT, run_tool
from tool_helpers import ROOT, TOOLS

TOOL = os.path.join(TOOLS, "train_reid.py")


@pytest.fixture(scope="module")
def toy_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy_market")
    make_toy_market1501(root, seed=0)
    return root


def _names(root, split):
    return sorted(os.listdir(os.path.join(root, DATASET_DIR, split)))


def _pid(name):
    return int(NAME_PATTERN.match(name).group(1))


def test_layout_names_junk_and_distractors(toy_root):
    for split in SPLITS:
        names = _names(toy_root, split)
        assert names and all(NAME_PATTERN.match(n) for n in names), split
    train = {_pid(n) for n in _names(toy_root, "bounding_box_train")}
    gallery = [_pid(n) for n in _names(toy_root, "bounding_box_test")]
    query = {_pid(n) for n in _names(toy_root, "query")}
    assert -1 in gallery and 0 in gallery  # junk and distractors, in the gallery only
    assert -1 not in train | query and 0 not in train | query
    assert query <= set(gallery) and not train & query  # test identities are not training identities
    assert max(train) > len(train)  # sparse ids: torchreid must relabel them
    assert any(n.startswith("-1_c") for n in _names(toy_root, "bounding_box_test"))


def test_same_seed_same_data(tmp_path):
    a, b = make_toy_market1501(tmp_path / "a", seed=3), make_toy_market1501(tmp_path / "b", seed=3)
    for split in SPLITS:
        assert os.listdir(os.path.join(a, split)) == os.listdir(os.path.join(b, split))


def test_torchreid_market1501_reads_it_unchanged(toy_root):
    dataset = compat.data().datasets.Market1501(root=str(toy_root))
    assert dataset.num_train_pids == 8 and len(dataset.train) == 8 * 6
    assert sorted({item[1] for item in dataset.train}) == list(range(8))  # relabelled
    assert len(dataset.query) == 6
    gallery_pids = [item[1] for item in dataset.gallery]
    assert len(gallery_pids) == 6 * 4 + 4 and gallery_pids.count(0) == 4 and -1 not in gallery_pids  # junk dropped
    assert check_market1501(toy_root)["num_gallery"] == len(gallery_pids)


def test_appearance_identifies_the_person(toy_root):
    """Identity-dependent appearance: raw pixels already match query to gallery well above chance."""

    def pixels(split):
        names = [n for n in _names(toy_root, split) if _pid(n) != -1]
        feats = [
            np.asarray(Image.open(os.path.join(toy_root, DATASET_DIR, split, n)).resize((16, 32)), np.float32).ravel()
            for n in names
        ]
        return (
            np.stack(feats),
            np.array([_pid(n) for n in names]),
            np.array([int(NAME_PATTERN.match(n).group(2)) for n in names]),
        )

    qf, q_pids, q_cams = pixels("query")
    gf, g_pids, g_cams = pixels("bounding_box_test")
    distmat = ((qf[:, None, :] - gf[None, :, :]) ** 2).sum(-1)
    cmc, _ = compat.metrics().evaluate_rank(distmat, q_pids, g_pids, q_cams, g_cams)
    assert cmc[0] >= 0.8  # chance is about 3 / 28


def test_missing_dataset_folder_names_the_layout_and_downloads_nothing(tmp_path):
    root = tmp_path / "empty_root"
    root.mkdir()
    with pytest.raises(DatasetNotFoundError) as err:
        check_market1501(root)
    assert "no market1501/ folder" in str(err.value)
    assert "market1501/Market-1501-v15.09.15/bounding_box_train" in str(err.value)
    code, out, stderr = run_tool(TOY_STUDENT, "--data-root", root, "--work-dir", tmp_path / "run")
    assert code == 2 and "Market-1501 not found" in stderr and "Nothing is downloaded" in stderr
    assert os.listdir(root) == []  # torchreid would have created market1501/ and downloaded into it


def test_missing_split_is_named(tmp_path):
    make_toy_market1501(tmp_path, num_train_ids=2, num_test_ids=1)
    os.rename(tmp_path / DATASET_DIR / "query", tmp_path / DATASET_DIR / "queries")
    with pytest.raises(DatasetNotFoundError, match=r"Market-1501 incomplete: .* has no query/"):
        check_market1501(tmp_path)


@pytest.mark.parametrize("bad_name", ["person1_cam2.jpg", "0002_c7s1_000451_03.jpg", "1600_c1s1_000451_03.jpg"])
def test_file_names_outside_the_pattern(tmp_path, bad_name):
    data_dir = make_toy_market1501(tmp_path, num_train_ids=2, num_test_ids=1)
    Image.new("RGB", (64, 128)).save(os.path.join(data_dir, "bounding_box_train", bad_name))
    with pytest.raises(DatasetError) as err:
        check_market1501(tmp_path)
    text = str(err.value)
    assert bad_name in text and "bounding_box_train" in text and "PPPP_cCsS_FFFFFF_BB.jpg" in text


def test_tool_prints_one_error_without_traceback_and_old_flag_names_say_what_to_write(tmp_path):
    """A bad file name is one error line from the tool in its own process; the flags of the two-stage
    tool (--root, --save-dir, --device) are refused, each in one line naming what to write instead."""
    data_dir = make_toy_market1501(tmp_path, num_train_ids=2, num_test_ids=1)
    Image.new("RGB", (64, 128)).save(os.path.join(data_dir, "query", "bad-name.jpg"))
    done = subprocess.run(
        [sys.executable, TOOL, TOY_STUDENT, "--data-root", str(tmp_path), "--work-dir", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("train_reid.py: error:")]
    assert len(errors) == 1 and "bad-name.jpg" in errors[0], done.stderr
    assert "Traceback" not in done.stderr
    for flag, instead in (("--root", "--data-root DIR"), ("--save-dir", "--work-dir DIR"), ("--device", "device=cpu")):
        code, _, stderr = run_tool(TOY_STUDENT, flag, str(tmp_path))
        lines = stderr.strip().splitlines()
        assert code == 2 and len(lines) == 1 and f"{flag} is retired:" in lines[0] and instead in lines[0], stderr
