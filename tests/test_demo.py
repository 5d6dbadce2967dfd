"""tools/demo.py --task all --quick end to end (real training of every row on the demo's data:
real MNIST digits, toy COCO and toy Market-1501, one epoch, two seeds), its tables (mean,
std, n), its pictures, and the commands it leaves beside every run; tools/plot_corr.py and
tools/plot_curves.py on its output."""

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
    assert len(progress) == 3 + 3 * 4 * len(SEEDS) + 3 * 2  # teachers, students, pictures: one line each
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


def _row(run):
    """The demo row a run belongs to: the config name (cls, det) or the Re-ID loss."""
    if run.point:
        return {"none": "Student", "kd": "KD", "dkd": "DKD", "ldrld": "LDRLD"}[run.point["distill.loss"]]
    name = run.name.split("/")[1]
    return {"teacher": "Teacher", "student": "Student", "kd": "KD", "dkd": "DKD", "ldrld": "LDRLD"}.get(name, "Teacher")


def test_the_rows_are_the_runs_own_numbers(demo):
    """Every row's mean is the mean of what its runs logged (ldrld_runs.results)."""
    from ldrld_runs.plan import read_plan
    from ldrld_runs.results import run_result

    out, proc = demo
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    for task, key in (("cls", "top1"), ("det", "AP"), ("reid", "mAP")):
        runs = read_plan(out / task / "runs")
        for row in ROWS:
            values = [run_result(task, r.work_dir)["last"] for r in runs if _row(r) == row]
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
        "reid": out / "reid" / "runs" / "market1501_toy" / "loss=ldrld" / "seed0" / "student_ldrld",
    }
    expected = {
        "cls": ("loss_local", "accuracy/top1"),
        "det": ("loss_ldrld_local", "coco/bbox_mAP"),
        "reid": ("loss_local", "rank1"),
    }
    plot_curves = load_tool("plot_curves.py")
    for task, run in runs.items():
        losses, metrics = plot_curves.plot_curves(str(run), str(tmp_path / f"{task}.png"))[:2]
        loss, metric = expected[task]
        assert loss in losses and len(losses[loss]) >= 1 and all(math.isfinite(v) for _, v in losses[loss])
        assert metric in metrics, (task, sorted(metrics))


def test_plot_corr_prints_the_mean_difference(demo, tmp_path):
    out, _ = demo
    runs = out / "reid" / "runs" / "market1501_toy"
    png = tmp_path / "corr.png"
    teacher = out / "reid" / "runs" / "teacher" / "market1501_toy" / "default" / "seed0" / "teacher" / "model.pth"
    proc = run_tool(
        "plot_corr.py",
        "--task",
        "reid",
        "--teacher",
        teacher,
        "--student",
        runs / "loss=ldrld" / "seed0" / "student_ldrld" / "model.pth",
        "--labels",
        "LDRLD",
        "--config",
        f"{ROOT}/configs/toy/reid/market1501_toy.py",
        "--data-root",
        out / "reid" / "data" / "students",
        "--out",
        png,
    )
    line = [x for x in proc.stdout.splitlines() if x.startswith("LDRLD: mean absolute difference")]
    picture_log = (out / "reid" / "pictures" / "corr" / "sweep.log").read_text()
    seed0 = [x for x in picture_log.splitlines() if x.startswith("LDRLD seed 0: mean absolute difference")]
    assert float(line[0].split()[-1]) == pytest.approx(float(seed0[0].split()[-1]), rel=1e-6)
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
    """A row whose seeds come in another order is paired with the same seeds of the other row: the
    paired spread follows the seeds, and reordering one row's seeds changes what is reported."""
    demo_tool = load_tool("demo.py")
    scores = {
        "student": {0: {"top1": 10.0}, 1: {"top1": 20.0}, 2: {"top1": 30.0}},
        "kd": {0: {"top1": 11.0}, 1: {"top1": 21.0}, 2: {"top1": 31.0}},  # +1 in every seed
        "dkd": {2: {"top1": 32.0}, 0: {"top1": 12.0}, 1: {"top1": 22.0}},  # +2 in every seed, listed out of order
        "ldrld": {0: {"top1": 13.0}, 1: {"top1": 23.0}},  # seed 2 failed: paired over seeds 0 and 1
    }
    out = demo_tool.paired("top1", scores)
    assert out["KD - Student"]["std"] == 0.0 and out["KD - Student"]["mean"] == 1.0
    assert out["DKD - Student"]["std"] == 0.0 and out["DKD - Student"]["mean"] == 2.0
    assert out["LDRLD - KD"]["n"] == 2 and out["LDRLD - KD"]["std"] == 0.0
    swapped = dict(scores, kd={0: {"top1": 21.0}, 1: {"top1": 11.0}, 2: {"top1": 31.0}})  # seeds 0 and 1 swapped
    moved = demo_tool.paired("top1", swapped)["KD - Student"]
    assert moved["mean"] == 1.0 and moved["std"] > 5.0  # same means, other pairs: reported differently


def test_a_row_with_failed_runs_says_so_in_the_table():
    demo_tool = load_tool("demo.py")
    full = dict(demo_tool.summarise([70.0, 72.0, 74.0]), seeds=[0, 1, 2], planned=3)
    short = dict(demo_tool.summarise([70.0, 74.0]), seeds=[0, 2], planned=3)
    none = dict(demo_tool.summarise([]), seeds=[], planned=3)
    assert demo_tool.fmt(full) == "72.00 ± 2.00" and full["values"] == [70.0, 72.0, 74.0]
    assert demo_tool.fmt(short) == "72.00 ± 2.83 (n=2 of 3)"
    assert demo_tool.fmt(none) == "failed" and none["n"] == 0
