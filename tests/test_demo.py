"""tools/demo.py --quick end to end: the three studies configs/studies/demo_*.py in one queue (real
training of every row on the demo's data: real MNIST digits, toy COCO and toy Market-1501, one
epoch, two seeds), their tables (mean, std, n), their pictures, and the commands left beside every
run; tools/plot_corr.py and tools/plot_curves.py on its output; the one table writer
(ldrld_runs.tables) on rows with reordered seeds and failed runs."""

import csv
import json
import math
import shlex
import subprocess

import numpy as np
import pytest
from PIL import Image

from tool_helpers import ROOT, load_tool, run_tool

ROWS = ["Teacher", "Student", "KD", "DKD", "LDRLD"]
METRICS = {"cls": ["top1"], "det": ["AP", "AP50", "AP75"], "reid": ["mAP", "rank1"]}
SEEDS = [0, 1]
LABEL = {"teacher": "Teacher", "student": "Student", "kd": "KD", "dkd": "DKD", "ldrld": "LDRLD"}  # the rows' labels


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    proc = run_tool("demo.py", "--quick", "--seeds", *SEEDS, "--out", out, timeout=1500, check=False)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
    return out, proc


def test_last_line_holds_mean_std_and_n_of_every_row(demo):
    _, proc = demo
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sorted(summary) == ["cls", "det", "reid"]
    for task, metrics in METRICS.items():
        rows = summary[task]["rows"]
        assert list(rows) == ROWS or sorted(rows) == sorted(ROWS)
        for row, values in rows.items():
            assert sorted(values) == sorted(metrics), (task, row)
            for stats in values.values():
                assert stats["n"] == (1 if row == "Teacher" else len(SEEDS))
                assert math.isfinite(stats["mean"]) and 0.0 <= stats["mean"] <= 100.0 and stats["std"] >= 0.0
        gaps = summary[task]["corr_gap"]
        assert sorted(gaps) == ["KD", "LDRLD"] and all(g["n"] == len(SEEDS) for g in gaps.values())
        assert all(0.0 <= g["mean"] <= 2.0 for g in gaps.values())
    progress = [line for line in proc.stdout.splitlines() if line.startswith("[") and "] done" in line]
    assert len(progress) == 3 + 3 + 3 * 4 * len(SEEDS) + 3 * 2  # data, teachers, students, pictures: a line each
    assert progress[-1].startswith(f"[{len(progress)}/{len(progress)}] done") and "ETA" in progress[-1]


def test_table_files_agree_with_the_summary(demo):
    out, proc = demo
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    for task in METRICS:
        folder = out / task
        table = json.loads((folder / "table.json").read_text())
        assert table["rows"] == summary[task]["rows"] and table["corr_gap"] == summary[task]["corr_gap"]
        with open(folder / "table.csv", newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == ["row", "metric", "mean", "std", "n"]
        paired = {row: float(std) for row, metric, mean, std, n in rows[1:] if metric.startswith("paired ")}
        assert sorted(paired) == ["DKD - Student", "KD - Student", "LDRLD - DKD", "LDRLD - KD", "LDRLD - Student"]
        first = METRICS[task][0]
        rows_ = summary[task]["rows"]
        for name, std in paired.items():  # the spread of the per-seed differences, seed by seed
            a, b = (rows_[k][first] for k in name.split(" - "))
            assert a["seeds"] == b["seeds"] == SEEDS
            diffs = [x - y for x, y in zip(a["values"], b["values"])]
            assert std == pytest.approx(float(np.std(diffs, ddof=1)), abs=1e-9)
        for row, metric, mean, std, n in rows[1:]:
            if metric == "corr_gap" or metric.startswith("paired "):
                continue
            stats = summary[task]["rows"][row][metric]
            assert (float(mean), float(std), int(n)) == (
                pytest.approx(stats["mean"]),
                pytest.approx(stats["std"]),
                stats["n"],
            )
        md = (folder / "table.md").read_text()
        assert "| metric | Teacher | Student | KD | DKD | LDRLD |" in md and " ± " in md
        assert md.splitlines()[0].startswith(f"**{task}:") and "mean ± std over seeds 0, 1" in md


def test_the_rows_are_the_runs_own_numbers(demo):
    """Every row's mean is the mean of what its runs logged (ldrld_runs.results)."""
    from ldrld_runs.plan import read_plan
    from ldrld_runs.results import run_result

    out, proc = demo
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    for task, key in (("cls", "top1"), ("det", "AP"), ("reid", "mAP")):
        runs = read_plan(out / task / "runs")
        for row in ROWS:
            values = [run_result(r.work_dir)["last"] for r in runs if LABEL[r.row] == row]
            assert len(values) == (1 if row == "Teacher" else len(SEEDS)), (task, row)
            assert summary[task]["rows"][row][key]["mean"] == pytest.approx(sum(values) / len(values))


def test_every_run_can_be_run_again_by_hand_from_its_command(demo):
    out, _ = demo
    commands = sorted(out.glob("*/runs/**/command.sh"))
    assert len(commands) == 3 * (1 + 4 * len(SEEDS))
    for path in commands:
        line = path.read_text().strip().splitlines()[-1]
        words = shlex.split(line.split("&&", 1)[1])
        assert words[1].endswith(("train_cls.py", "train_det.py", "train_reid.py")) and str(path.parent) in words
    first = shlex.split(
        (out / "cls" / "runs" / "ldrld" / "default" / "seed0" / "command.sh")
        .read_text()
        .strip()
        .splitlines()[-1]
        .split("&&", 1)[1]
    )
    help_ = subprocess.run(first[:2] + ["--help"], capture_output=True, text=True, cwd=ROOT)
    assert help_.returncode == 0 and "--teacher-checkpoint" in help_.stdout


def test_pictures_are_pngs(demo):
    out, _ = demo
    for task in METRICS:
        for name, size in (("corr.png", (1040, 460)), ("curves_ldrld.png", (1100, 420)), ("summary.png", (1500, 460))):
            path = out / task / name
            with Image.open(path) as image:
                assert image.format == "PNG" and image.size == size, (path, image.format, image.size)
                pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
            assert pixels.std() > 10, f"{path} looks blank"


def test_plot_curves_reads_every_tasks_logs(demo, tmp_path):
    out, _ = demo
    runs = {
        "cls": out / "cls" / "runs" / "ldrld" / "default" / "seed0",
        "det": out / "det" / "runs" / "ldrld" / "default" / "seed0",
        "reid": out / "reid" / "runs" / "ldrld" / "default" / "seed0",
    }
    expected = {
        "cls": ("loss_local", "accuracy/top1"),
        "det": ("loss_ldrld_local", "coco/bbox_mAP"),
        "reid": ("loss_local", "reid/rank1"),
    }
    plot_curves = load_tool("plot_curves.py")
    for task, run in runs.items():
        losses, metrics = plot_curves.plot_curves(str(run), str(tmp_path / f"{task}.png"))[:2]
        loss, metric = expected[task]
        assert loss in losses and len(losses[loss]) >= 1 and all(math.isfinite(v) for _, v in losses[loss])
        assert metric in metrics, (task, sorted(metrics))


def test_plot_corr_takes_the_runs_work_dirs_and_writes_its_means(demo, tmp_path):
    """A run's work dir stands for the checkpoint it wrote last (train_reid.py writes MMEngine's
    last_checkpoint too); the means go to the PNG's .json, which the study's table is read from."""
    out, _ = demo
    runs = out / "reid" / "runs"
    named = (runs / "teacher" / "default" / "seed0" / "last_checkpoint").read_text().strip()
    assert named == str(runs / "teacher" / "default" / "seed0" / "model.pth")
    png = tmp_path / "corr.png"
    proc = run_tool(
        "plot_corr.py",
        "--task",
        "reid",
        "--teacher",
        runs / "teacher" / "default" / "seed0",
        "--student",
        runs / "ldrld" / "default" / "seed0",
        "--labels",
        "LDRLD",
        "--config",
        f"{ROOT}/configs/toy/reid/ldrld.py",
        "--data-root",
        out / "reid" / "data" / "main" / "students",
        "--out",
        png,
    )
    line = [x for x in proc.stdout.splitlines() if x.startswith("LDRLD: mean absolute difference")]
    ours = json.loads((tmp_path / "corr.json").read_text())["mean_abs_difference"]["LDRLD"]
    study = json.loads((out / "reid" / "corr.json").read_text())["mean_abs_difference"]["LDRLD seed 0"]
    assert float(line[0].split()[-1]) == pytest.approx(ours, abs=1e-6) and ours == pytest.approx(study, rel=1e-6)
    table = json.loads((out / "reid" / "table.json").read_text())["corr_gap"]["LDRLD"]
    assert table["values"][0] == pytest.approx(study)
    with Image.open(png) as image:
        assert image.size == (520, 460)


def test_plot_curves_bad_input_gives_one_error_line(tmp_path):
    (tmp_path / "empty").mkdir()
    for folder, message in ((tmp_path / "empty", "no run logs found"), (tmp_path / "nowhere", "no such folder")):
        proc = run_tool("plot_curves.py", folder, check=False)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr + proc.stdout
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("plot_curves.py: error:") and message in lines[0]


def test_differences_are_paired_by_seed_not_by_position():
    """Rows are differenced seed by seed: a row whose seeds come in another order is paired with the
    same seeds of the other row, and swapping two seeds' values in one row changes what is reported."""
    from ldrld_runs.tables import paired

    student = {0: 10.0, 1: 20.0, 2: 30.0}
    kd = {0: 11.0, 1: 21.0, 2: 31.0}  # +1 in every seed
    dkd = {2: 32.0, 0: 12.0, 1: 22.0}  # +2 in every seed, listed out of order
    ldrld = {0: 13.0, 1: 23.0}  # seed 2 failed: paired over seeds 0 and 1
    assert paired(kd, student)["std"] == 0.0 and paired(kd, student)["mean"] == 1.0
    assert paired(dkd, student)["std"] == 0.0 and paired(dkd, student)["mean"] == 2.0
    assert paired(ldrld, kd)["n"] == 2 and paired(ldrld, kd)["std"] == 0.0 and paired(ldrld, kd)["seeds"] == [0, 1]
    moved = paired({0: 21.0, 1: 11.0, 2: 31.0}, student)  # seeds 0 and 1 swapped: same mean, other pairs
    assert moved["mean"] == 1.0 and moved["std"] > 5.0


def test_a_row_with_failed_runs_says_so_in_the_table():
    from ldrld_runs.tables import fmt, summarise

    full = summarise([70.0, 72.0, 74.0], seeds=[0, 1, 2], planned=3)
    short = summarise([70.0, 74.0], seeds=[0, 2], planned=3)
    none = summarise([], seeds=[], planned=3)
    assert fmt(full) == "72.00 ± 2.00" and full["values"] == [70.0, 72.0, 74.0]
    assert fmt(short) == "72.00 ± 2.83 (n=2 of 3)"
    assert fmt(none) == "failed" and none["n"] == 0
    assert fmt(summarise([71.5])) == "71.50" and fmt(None) == "-"
