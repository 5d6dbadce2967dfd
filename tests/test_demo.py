"""tools/demo.py --task all --quick end to end (real training of every row on
toy data, CPU), its tables and pictures; tools/plot_corr.py and
tools/plot_curves.py on its output and on bad input."""
import csv
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")
STAGES = {"cls": ["teacher", "student", "kd", "dkd", "ldrld"],
          "det": ["teacher", "student", "kd", "ldrld"],  # quick mode leaves DKD out of detection
          "reid": ["teacher", "student", "kd", "dkd", "ldrld"]}
METRICS = {"cls": ["top1"], "det": ["AP", "AP50", "AP75"], "reid": ["rank1", "mAP"]}
COLUMN = {"teacher": "Teacher", "student": "Student", "kd": "KD", "dkd": "DKD", "ldrld": "LDRLD"}


def tool(name, *args, timeout=120):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, os.path.join(TOOLS, name), *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    proc = tool("demo.py", "--task", "all", "--quick", "--threads", "1", "--out", out, timeout=900)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
    return out, proc


def test_last_line_is_every_models_metrics(demo):
    out, proc = demo
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sorted(summary) == ["cls", "det", "reid"]
    for task, stages in STAGES.items():
        metrics = summary[task]["metrics"]
        assert sorted(metrics) == sorted(stages), task
        for stage in stages:
            assert sorted(metrics[stage]) == sorted(METRICS[task]), (task, stage)
            for value in metrics[stage].values():
                assert isinstance(value, float) and math.isfinite(value) and 0.0 <= value <= 100.0
        gaps = summary[task]["corr_gap"]
        assert sorted(gaps) == ["kd", "ldrld"]
        assert all(math.isfinite(v) and 0.0 <= v <= 2.0 for v in gaps.values())
    # a progress line with the elapsed time for every stage, the printed tables
    for task, stages in STAGES.items():
        for stage in stages + ["corr", "curves"]:
            assert any(line.startswith("[") and f"{task}: {stage:<8} done in" in line
                       for line in proc.stdout.splitlines()), (task, stage)
        header = "| metric | " + " | ".join(COLUMN[s] for s in stages) + " |"
        assert header in proc.stdout


def test_table_files_agree_with_the_summary(demo):
    out, proc = demo
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    for task, stages in STAGES.items():
        folder = out / task
        table = json.loads((folder / "table.json").read_text())
        assert table["columns"] == stages
        assert table["metrics"] == summary[task]["metrics"]
        with open(folder / "table.csv", newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == ["metric"] + [COLUMN[s] for s in stages]
        assert len(rows) == 1 + len(METRICS[task]) + 1  # the metrics, then the correlation gap
        for row, metric in zip(rows[1:], METRICS[task]):
            assert [float(v) for v in row[1:]] == [round(summary[task]["metrics"][s][metric], 2) for s in stages]
        md = (folder / "table.md").read_text().splitlines()
        assert md[2] == "| " + " | ".join(rows[0]) + " |"
        assert len([line for line in md if line.startswith("| ")]) == len(rows) + 1  # + the --- row


def test_pictures_are_pngs_of_the_expected_size(demo):
    out, _ = demo
    for task in STAGES:
        for name, size in (("corr.png", (1040, 460)), ("curves_ldrld.png", (1100, 420))):
            path = out / task / name
            with Image.open(path) as image:
                assert image.format == "PNG" and image.size == size, (path, image.format, image.size)
                pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
            assert pixels.std() > 10, f"{path} looks blank"


def test_plot_curves_reads_every_tasks_logs(demo, tmp_path):
    out, _ = demo
    runs = {"cls": out / "cls" / "work" / "ldrld", "det": out / "det" / "work" / "ldrld",
            "reid": out / "reid" / "work" / "student_ldrld"}
    expected = {"cls": ("loss_local", "accuracy/top1"), "det": ("loss_ldrld_local", "coco/bbox_mAP"),
                "reid": ("loss_local", "rank1")}
    sys.path.insert(0, TOOLS)
    import plot_curves
    for task, run in runs.items():
        losses, metrics = plot_curves.plot_curves(str(run), str(tmp_path / f"{task}.png"))[:2]
        loss, metric = expected[task]
        assert loss in losses and len(losses[loss]) >= 1 and all(math.isfinite(v) for _, v in losses[loss])
        assert metric in metrics, (task, sorted(metrics))
    # the demo's reid metric in the curves is the one the run reported
    table = json.loads((out / "reid" / "table.json").read_text())
    reid = plot_curves.read_run(str(runs["reid"]))[1]
    assert reid["rank1"][-1][1] == pytest.approx(table["metrics"]["ldrld"]["rank1"], abs=0.05)


def test_plot_corr_prints_the_mean_difference(demo, tmp_path):
    out, _ = demo
    folder = out / "reid"
    png = tmp_path / "corr.png"
    proc = tool("plot_corr.py", "--task", "reid", "--teacher", folder / "work" / "teacher" / "model.pth",
                "--student", folder / "work" / "student_ldrld" / "model.pth", "--labels", "LDRLD",
                "--config", folder / "configs" / "reid.yaml", "--out", png)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("LDRLD: mean absolute difference")]
    table = json.loads((folder / "table.json").read_text())
    assert float(line[0].split()[-1]) == pytest.approx(table["corr_gap"]["ldrld"], rel=1e-4)
    with Image.open(png) as image:
        assert image.size == (520, 460)


def _one_error_line(proc, prefix):
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), proc.stderr
    return lines[0]


def test_bad_input_gives_one_error_line(tmp_path):
    afile = tmp_path / "a_file"
    afile.write_text("x")
    line = _one_error_line(tool("demo.py", "--task", "cls", "--out", afile), "demo.py: error:")
    assert "not a folder" in line
    missing = tmp_path / "missing.pth"
    line = _one_error_line(tool("plot_corr.py", "--task", "cls", "--teacher", missing, "--student", missing,
                                "--out", tmp_path / "x.png"), "plot_corr.py: error:")
    assert f"checkpoint not found: {missing}" in line
    (tmp_path / "empty").mkdir()
    line = _one_error_line(tool("plot_curves.py", tmp_path / "empty"), "plot_curves.py: error:")
    assert "no run logs found" in line
    line = _one_error_line(tool("plot_curves.py", tmp_path / "nowhere"), "plot_curves.py: error:")
    assert "no such folder or file" in line
