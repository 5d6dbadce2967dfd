"""A Market-1501 folder whose gallery is shorter than torchreid's printed ranks (1, 5, 10, 20) trains and
evaluates: the ranks beyond the gallery are dropped with one warning (torchreid's ``Engine.test`` would index
past the end of a CMC curve that is only as long as the gallery)."""

import contextlib
import io
import warnings

import pytest
import torch

from ldrld_core.run_logs import read_scalars
from ldrld_reid.config import load_config
from ldrld_reid.runner import build_datamanager, ranks_within
from ldrld_runs.results import evaluations
from toy.reid import make_toy_market1501

from reid_helpers import TOY_STUDENT, run_on, run_test_tool, write_tiny_config

# 3 test identities x (1 image from the query's camera + 4 from others) + 4 distractors = 19 gallery images;
# evaluation drops each query's same-camera image, so torchreid's CMC curve has 18 ranks
NUM_TEST_IDS, GALLERY_PER_ID, DISTRACTORS = 3, 4, 4
GALLERY = NUM_TEST_IDS * (GALLERY_PER_ID + 1) + DISTRACTORS


@pytest.fixture(scope="module")
def small_gallery(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reid_small_gallery")
    make_toy_market1501(
        folder / "data",
        seed=3,
        num_train_ids=4,
        num_test_ids=NUM_TEST_IDS,
        train_images_per_id=4,
        gallery_images_per_id=GALLERY_PER_ID,
        num_distractors=DISTRACTORS,
    )
    return folder


def _rank_warnings(caught):
    return [w for w in caught if "test.ranks" in str(w.message)]


def _tiny_cfg(folder, **sections):
    """The toy student alone at one epoch, on the small gallery's data."""
    cfg = load_config(write_tiny_config(folder, base=TOY_STUDENT, name="tiny_student.py", **sections))
    cfg["data"]["root"] = str(folder / "data")
    return cfg


def _scores(work_dir):
    """The one test a run logged (``reid/rank1``, ``reid/mAP`` in scalars.json), as percentages."""
    tests = [r for r in read_scalars(work_dir) if "reid/rank1" in r]
    assert len(tests) == 1, tests
    (epoch, scores), *_ = evaluations(work_dir)
    assert scores == {"rank1": 100 * tests[0]["reid/rank1"], "mAP": 100 * tests[0]["reid/mAP"]}
    assert 0 <= scores["rank1"] <= 100 and 0 <= scores["mAP"] <= 100
    return epoch, scores


def _run_with_warnings(run, *argv):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        code, out, err = run(*argv)
    assert code == 0, err[-3000:]
    dropped = _rank_warnings(caught)
    assert len(dropped) == 1, [str(w.message) for w in dropped]
    assert "[20] dropped: the gallery gives a CMC curve of 18 rank(s)" in str(dropped[0].message)
    assert out.count("** Results **") == 1 and "Rank-20" not in out
    for rank in (1, 5, 10):
        assert out.count(f"Rank-{rank:<3}:") == 1
    return out


def test_a_19_image_gallery_trains_and_evaluates_with_one_warning(small_gallery):
    """The teacher's run, the LDRLD student's run distilled from it, and tools/test_reid.py on the student's
    work dir: each one test, its ranks within the 18-rank curve, one warning, its scores in scalars.json."""
    assert GALLERY == 19
    data = small_gallery / "data"
    teacher_cfg = write_tiny_config(small_gallery, base=TOY_STUDENT, name="tiny_teacher.py")
    student_cfg = write_tiny_config(small_gallery, distill_loss={"depth": 3})  # the toy LDRLD config
    teacher, student = small_gallery / "teacher", small_gallery / "student"
    _run_with_warnings(run_on, teacher_cfg, data, teacher)
    assert _scores(teacher)[0] == 1 and (teacher / "model.pth").is_file()
    out = _run_with_warnings(run_on, student_cfg, data, student, "--teacher-checkpoint", teacher)  # its work dir
    assert f"=> teacher resnet18 loaded from {teacher / 'model.pth'}" in out
    assert "=> distilling resnet18 -> resnet18 with LDRLDLoss" in out
    assert _scores(student)[0] == 1

    evaluated = small_gallery / "eval"
    out = _run_with_warnings(run_test_tool, student_cfg, student, "--data-root", data, "--work-dir", evaluated)
    assert f"=> evaluating {student / 'model.pth'}" in out and "Rank-10 :" in out
    assert list(evaluated.glob("test.log-*")) and not (evaluated / "model.pth").exists()
    _scores(evaluated)


def test_ranks_within_keeps_the_ranks_the_gallery_has(small_gallery):
    from ldrld_reid.runner import cmc_length

    with contextlib.redirect_stdout(io.StringIO()):
        datamanager = build_datamanager(_tiny_cfg(small_gallery), torch.device("cpu"))
    assert cmc_length(datamanager) == GALLERY - 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert ranks_within([1, 5, 10, 19, 20], 18) == [1, 5, 10]
        assert ranks_within([1, 5, 10, 20], 20) == [1, 5, 10, 20]
        assert ranks_within([1, 5], 3) == [1]
    assert len(_rank_warnings(caught)) == 2


def test_queries_with_different_same_camera_matches_evaluate(small_gallery, tmp_path, monkeypatch):
    """One query person with two gallery images from the query's own camera, the others with one: torchreid's
    per-query CMC curves then differ in length on a short gallery, and its evaluate_rank fails on them
    (``np.asarray`` of an inhomogeneous list) unless they are cut at the shortest curve's length. The engine
    passes that length to torchreid's own ``evaluate_rank`` as ``max_rank``, leaving torchreid's module as it
    is (no function of it replaced while evaluating)."""
    import os
    import shutil

    from ldrld_reid import compat

    metrics, calls = compat.metrics(), []
    evaluate_rank = metrics.evaluate_rank

    def spy(*args, **kwargs):
        calls.append((metrics.evaluate_rank is spy, kwargs.get("max_rank")))
        return evaluate_rank(*args, **kwargs)

    monkeypatch.setattr(metrics, "evaluate_rank", spy)

    root = tmp_path / "data"
    shutil.copytree(small_gallery / "data", root)
    data_dir = root / "market1501" / "Market-1501-v15.09.15"
    pid, cam = sorted(os.listdir(data_dir / "query"))[0].split("_")[:2]
    same = sorted(n for n in os.listdir(data_dir / "bounding_box_test") if n.startswith(f"{pid}_{cam[:2]}"))[0]
    shutil.copy(
        data_dir / "bounding_box_test" / same, data_dir / "bounding_box_test" / (same[:-13] + "999999" + same[-7:])
    )
    config = write_tiny_config(tmp_path, base=TOY_STUDENT)  # the student alone
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        code, out, err = run_on(config, root, tmp_path / "run")
    assert code == 0, err[-3000:]
    assert "Rank-10 :" in out and "Rank-20" not in out
    (dropped,) = _rank_warnings(caught)
    assert "CMC curve of 18 rank(s)" in str(dropped.message)  # 20 gallery images less the query's 2
    assert calls == [(True, 18)], calls  # torchreid's own function, given the length, the module untouched
    _, scores = _scores(tmp_path / "run")
    assert scores["mAP"] > 0


def _pairwise_length(datamanager):
    """The CMC length by the definition: for every query with a match from another camera, the
    gallery less the query person's images from the query's camera (at most 50)."""
    length = 50
    for split in datamanager.test_dataset.values():
        gallery = [(pid, camid) for _, pid, camid, *_ in split["gallery"]]
        for _, pid, camid, *_ in split["query"]:
            if any(p == pid and c != camid for p, c in gallery):
                length = min(length, len(gallery) - gallery.count((pid, camid)))
    return length


class _Splits:
    def __init__(self, query, gallery):
        self.test_dataset = {"market1501": {"query": query, "gallery": gallery}}


def test_the_cmc_length_equals_its_definition_and_is_counted_once_per_run(small_gallery, tmp_path, monkeypatch):
    import random

    from ldrld_reid import runner

    rng = random.Random(0)
    for _ in range(200):  # small galleries, persons seen from one camera only, queries without a match
        gallery = [("g.jpg", rng.randint(0, 5), rng.randint(0, 2)) for _ in range(rng.randint(1, 70))]
        query = [("q.jpg", rng.randint(0, 6), rng.randint(0, 2)) for _ in range(rng.randint(1, 8))]
        assert runner.cmc_length(_Splits(query, gallery)) == _pairwise_length(_Splits(query, gallery))
    calls = []
    real = runner.cmc_length
    monkeypatch.setattr(runner, "cmc_length", lambda datamanager: calls.append(1) or real(datamanager))
    cfg = _tiny_cfg(small_gallery)
    cfg["work_dir"] = str(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.train(cfg)
    assert len(calls) == 1  # the run's engine and its test share one count
    assert set(result) == {"rank1", "mAP"} and (tmp_path / "model.pth").is_file()
