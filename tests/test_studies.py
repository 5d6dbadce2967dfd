"""The typeface studies end to end at their quick sizes (tools/study.py configs/studies/cls_typefaces.py
|reid_typefaces.py --quick: real training of every row, one epoch, two seeds): the tables with their
paired differences, classification's Tables 15 and 17 ablation rows, the pictures, tools/report.py's
table of every run."""

import csv
import json

import numpy as np
import pytest
from PIL import Image

from tool_helpers import ROOT, run_tool

SEEDS = [0, 1]
ABLATIONS = [
    "Student alone (no distillation)",
    "LDRLD (local + RNTK, ADW, d 7)",  # the against row: the full loss with the same loss warm-up
    "without RNTK (local term only)",
    "without the local term (RNTK only, d 7)",
    "without ADW (every pair weighted 1)",
    "RNTK only, d 3",
    "RNTK only, d 5",
    "RNTK only, d 9",
]


def _study(tmp_path_factory, name, *extra):
    out = tmp_path_factory.mktemp(name)
    study = f"{ROOT}/configs/studies/{name.replace('-', '_')}.py"
    proc = run_tool("study.py", study, "--quick", "--seeds", *SEEDS, "--out", out, *extra, timeout=900, check=False)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
    return out / name, json.loads(proc.stdout.strip().splitlines()[-1])[name]


@pytest.fixture(scope="module")
def cls_study(tmp_path_factory):
    return _study(tmp_path_factory, "cls-typefaces", "--ablations")


def test_cls_study_table_holds_the_rows_and_the_ablations(cls_study):
    folder, summary = cls_study
    table = json.loads((folder / "table.json").read_text())
    assert table["rows"] == summary["rows"] and sorted(summary["rows"]) == ["DKD", "KD", "LDRLD", "Student", "Teacher"]
    assert all(r["top1"]["n"] == (1 if name == "Teacher" else 2) for name, r in summary["rows"].items())
    rows = table["ablations"]
    assert [r["row"] for r in rows] == ABLATIONS and all(r["stats"]["n"] == 2 for r in rows)
    full = rows[1]["stats"]
    assert full["mean"] == pytest.approx(summary["with_warmup"]["LDRLD"]["top1"]["mean"])  # the same seeds, 0 and 1
    assert rows[0]["minus"] is None and rows[1]["minus"] is None
    for r in rows[2:]:  # each seed's ablation minus the same seed's full loss
        diffs = [a - b for a, b in zip(r["stats"]["values"], full["values"])]
        assert r["minus"]["n"] == 2 and r["minus"]["values"] == pytest.approx(diffs)
    md = (folder / "table.md").read_text()
    assert "Ablations of LDRLD (Tables 15 and 17), every row with the 5-epoch loss warm-up" in md
    assert "| RNTK only, d 3 |" in md
    with open(folder / "table.csv", newline="") as f:
        kinds = {row[1] for row in csv.reader(f)}
    assert {"ablation top1", "paired top1"} <= kinds


def test_cls_study_gives_the_table_again_with_one_loss_warmup_for_every_loss(cls_study):
    """The distilled rows run twice: as the recipe has them (no loss warm-up, DKD's included) and with
    the study's one common warm-up, read back from each run's own dumped config; both tables carry
    per-seed values."""
    from mmengine.config import Config

    folder, summary = cls_study
    table = json.loads((folder / "table.json").read_text())
    warm = table["with_warmup"]
    assert sorted(warm["rows"]) == ["DKD", "KD", "LDRLD", "Student"] and "min(epochs done / 5, 1)" in warm["text"]
    assert summary["with_warmup"] == warm["rows"] and warm["rows"]["Student"] == table["rows"]["Student"]
    for name, row in {**table["rows"], **warm["rows"]}.items():
        if name != "Teacher":
            assert row["top1"]["seeds"] == SEEDS and len(row["top1"]["values"]) == 2, name
    assert sorted(warm["paired"]) == ["DKD - Student", "KD - Student", "LDRLD - DKD", "LDRLD - KD", "LDRLD - Student"]
    for config in ("kd", "dkd", "ldrld"):
        for seed in SEEDS:
            plain = folder / "runs" / config / "default" / f"seed{seed}" / f"{config}.py"
            warmed = folder / "runs" / config / "warmup=5.0" / f"seed{seed}" / f"{config}.py"
            assert Config.fromfile(str(plain)).model.distill_loss.get("warmup", 0) == 0, plain
            assert Config.fromfile(str(warmed)).model.distill_loss.warmup == 5.0, warmed
    md = (folder / "table.md").read_text()
    assert "one loss warm-up for every loss" in md


def test_cls_study_runs_the_ablations_with_their_settings(cls_study):
    """Every ablation run's config and options set what its row says (read back from the run's
    own dumped config), so a label cannot name a setting the run did not have."""
    from mmengine.config import Config

    folder, _ = cls_study
    expected = {
        "local_only/warmup=5.0": dict(use_local=True, use_rntk=False, adw=True, depth=7, warmup=5.0),
        "rntk_only/warmup=5.0,depth=7": dict(use_local=False, use_rntk=True, adw=True, depth=7, warmup=5.0),
        "rntk_only/warmup=5.0,depth=3": dict(use_local=False, depth=3, warmup=5.0),
        "rntk_only/warmup=5.0,depth=9": dict(use_local=False, depth=9, warmup=5.0),
        "no_adw/warmup=5.0": dict(use_local=True, use_rntk=True, adw=False, depth=7, warmup=5.0),
    }
    for name, settings in expected.items():
        for seed in SEEDS:
            dumped = folder / "runs" / name / f"seed{seed}" / (name.split("/")[0] + ".py")  # MMEngine's copy
            loss = Config.fromfile(str(dumped)).model.distill_loss
            assert {k: loss.get(k, True) for k in settings} == settings, (name, seed, loss)


def test_cls_study_pictures_and_report(cls_study):
    folder, _ = cls_study
    for name in ("summary.png", "ablations.png", "corr.png"):
        with Image.open(folder / name) as image:
            assert image.format == "PNG" and np.asarray(image.convert("L"), np.float32).std() > 10, name
    report = (folder / "runs" / "report.md").read_text()
    assert "depth=3" in report and "cls_typefaces" in report and " ± " in report


@pytest.fixture(scope="module")
def reid_study(tmp_path_factory):
    return _study(tmp_path_factory, "reid-typefaces")


def test_reid_study_table_report_and_picture(reid_study):
    """The Re-ID study's four rows over both seeds (torchreid's mAP and rank-1 of each run), its
    paired differences, the picture, and tools/report.py's table of the runs."""
    folder, summary = reid_study
    assert sorted(summary["rows"]) == ["DKD", "KD", "LDRLD", "Student", "Teacher"]
    for name, row in summary["rows"].items():
        for metric in ("mAP", "rank1"):
            assert row[metric]["n"] == (1 if name == "Teacher" else 2), (name, metric)
            assert 0.0 <= row[metric]["mean"] <= 100.0
    md = (folder / "table.md").read_text()
    assert "typefaces as identities" in md and "LDRLD - KD" in md and " ± " in md
    with Image.open(folder / "summary.png") as image:
        assert image.format == "PNG" and np.asarray(image.convert("L"), np.float32).std() > 10
    report = (folder / "runs" / "report.md").read_text()
    assert "toy/reid_typefaces/ldrld.py" in report and " ± " in report


def test_reid_study_starts_both_backbones_from_the_glyph_pretraining(reid_study):
    """The backbone trains on the glyph set first (characters as identities), once; the teacher and
    every student start from those weights (their logs name the file and the classifier left out)."""
    folder, _ = reid_study
    pretrained = folder / "runs" / "pretrain" / "default" / "seed0"  # one architecture: one run
    weights = pretrained / "model.pth"  # its final weights, named by its last_checkpoint
    assert (pretrained / "last_checkpoint").read_text().strip() == str(weights)
    logs = {p: p.read_text(errors="replace") for p in (folder / "runs").rglob("*.log")}
    loaded = [t for p, t in logs.items() if "=> model.init_checkpoint: " in t]  # the load's own line
    assert len(loaded) == 1 + 4 * len(SEEDS), sorted(str(p) for p in logs)  # the teacher and every student
    for text in loaded:
        assert "skipped 2 (classifier.bias, classifier.weight)" in text and str(weights) in text
