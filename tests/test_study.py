"""Studies as data (ldrld_runs.study, ldrld_runs.study_report, tools/study.py): every packaged study
file plans a queue in which each run comes after what it needs; a user's own study over a grid is
one file; a wrong study file is one sentence; the tables of a study with a failed run say so."""

import glob
import json
import os

import pytest

from ldrld_core.errors import ConfigError, InputError

from tool_helpers import ROOT, run_tool

STUDIES = sorted(glob.glob(os.path.join(ROOT, "configs", "studies", "*.py")))


@pytest.mark.parametrize("path", STUDIES, ids=[os.path.basename(p) for p in STUDIES])
@pytest.mark.parametrize("quick", [False, True])
def test_every_packaged_study_plans_a_queue_in_dependency_order(path, quick, tmp_path):
    from ldrld_runs.study import load_study, plan_study, queue

    study = load_study(path, quick)
    plan = plan_study(study, tmp_path, ablations=True)
    runs = queue([plan])
    names = [r.name for r in runs]
    assert len(set(names)) == len(names) and len({r.work_dir for r in runs}) == len(runs)
    for k, run in enumerate(runs):  # a run comes after everything it needs
        assert all(n in names[:k] for n in run.after), (run.name, run.after)
    for name, row in study["rows"].items():
        got = plan.rows[name]
        ablation_seeds = (study.get("ablations") or {}).get("seeds", 2)
        assert len(got) == (len(row["seeds"]) if row.get("seeds") else ablation_seeds if row.get("ablation") else 3)
        if row.get("teacher"):
            (teacher,) = plan.rows[row["teacher"]]
            assert all(r.command[r.command.index("--teacher-checkpoint") + 1] == teacher.work_dir for r in got)
            assert all(teacher.name in r.after for r in got)
        else:
            assert all("--teacher-checkpoint" not in r.command for r in got)
        for key, other in (row.get("init") or {}).items():
            assert all(f"{key}={plan.rows[other][0].work_dir}" in r.command for r in got)
    size = plan.data[0].command[plan.data[0].command.index("--size") + 1]
    assert size == ("quick" if quick else "demo")


def test_a_users_grid_over_alpha_with_five_seeds_is_one_file(tmp_path):
    """docs/sweeps.md's example: a teacher, the student alone and LDRLD at four alphas over five seeds,
    each alpha paired by seed against the student alone."""
    from ldrld_runs.study import load_study, plan_study, queue

    path = tmp_path / "alpha_study.py"
    path.write_text(
        f"_cfg = '{ROOT}/configs/toy/cls/'\n"
        "_alphas = [6.0, 8.0, 10.0, 12.0]\n"
        "name = 'alpha'\n"
        "title = 'LDRLD on digits over alpha'\n"
        "data = dict(main='digits')\n"
        "seeds = [0, 1, 2, 3, 4]\n"
        "metrics = [('top1', 'top-1 (%)')]\n"
        "rows = dict(\n"
        "    teacher=dict(label='Teacher', config=_cfg + 'teacher.py', data_root='main/teacher', seeds=[0]),\n"
        "    student=dict(label='Student', config=_cfg + 'student.py', data_root='main/students'),\n"
        "    **{f'alpha{a:g}': dict(label=f'alpha {a:g}', config=_cfg + 'ldrld.py', teacher='teacher',\n"
        "        data_root='main/students', point={'model.distill_loss.alpha': a}) for a in _alphas},\n"
        ")\n"
        "tables = [dict(rows=list(rows), paired=[(f'alpha{a:g}', 'student') for a in _alphas])]\n"
    )
    plan = plan_study(load_study(str(path)), tmp_path / "out")
    assert [len(plan.rows[r]) for r in plan.rows] == [1, 5, 5, 5, 5, 5]
    alpha8 = plan.rows["alpha8"]
    assert [r.name for r in alpha8] == [f"alpha/ldrld/alpha=8.0/seed{k}" for k in range(5)]
    assert all("model.distill_loss.alpha=8.0" in r.command and r.row == "alpha8" for r in alpha8)
    assert len(queue([plan])) == 1 + 1 + 5 + 4 * 5  # the data, the teacher, the student alone, 4 alphas x 5 seeds


BAD = [
    ("unknown top-level key", "seed = [0]\n", "unknown key 'seed'"),
    ("row without a config", "rows['kd'] = dict(label='KD')\n", "row 'kd' needs at least label= and config="),
    ("row key misspelt", "rows['kd']['techer'] = 'teacher'\n", "row 'kd' has unknown key 'techer'"),
    ("teacher row missing", "rows['kd']['teacher'] = 'tutor'\n", "row 'kd' needs row 'tutor', which the study"),
    ("teacher of many runs", "rows['kd']['teacher'] = 'student'\n", "give 'student' seeds=[0] (one run)"),
    ("table names no row", "tables = [dict(rows=['teacher', 'kdd'])]\n", "main names row 'kdd'"),
    ("config missing", "rows['kd']['config'] = '/nowhere/kd.py'\n", "row 'kd': config /nowhere/kd.py does not exist"),
    ("second table unnamed", "tables = [dict(rows=['kd']), dict(rows=['kd'])]\n", "every table after the first needs"),
]


@pytest.mark.parametrize("case, change, message", BAD, ids=[c[0] for c in BAD])
def test_a_wrong_study_file_is_one_sentence_naming_it(case, change, message, tmp_path):
    from ldrld_runs.study import load_study

    path = tmp_path / "study.py"
    path.write_text(open(os.path.join(ROOT, "configs", "studies", "demo_cls.py")).read() + change)
    (tmp_path / "_base_").symlink_to(os.path.join(ROOT, "configs", "studies", "_base_"))
    path.write_text(path.read_text().replace("{{fileDirname}}", os.path.join(ROOT, "configs", "studies")))
    with pytest.raises(ConfigError) as err:
        load_study(str(path))
    assert str(err.value).startswith(f"study {path}: ") and message in str(err.value), str(err.value)


def test_study_tool_refuses_a_missing_study_and_the_old_demo_flag_in_one_line(tmp_path):
    for tool, args, message in (
        ("study.py", [tmp_path / "nope.py", "--out", tmp_path / "o"], "nope.py: no such file; expected a study"),
        ("demo.py", ["--task", "cls-typefaces"], "--task: studies are files now; run python tools/study.py"),
    ):
        proc = run_tool(tool, *args, check=False)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and message in lines[0], proc.stderr
    with pytest.raises(InputError):
        from ldrld_runs.study import load_study

        load_study(str(tmp_path / "nope.py"))


def _log_top1(run, values):
    """What MMEngine writes for a run that evaluated: ``<work_dir>/<timestamp>/vis_data/scalars.json``."""
    folder = os.path.join(run.work_dir, "20261206_000000", "vis_data")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "scalars.json"), "w") as f:
        for epoch, value in enumerate(values, 1):
            f.write(json.dumps({"loss": 1.0, "step": epoch * 10}) + "\n")
            f.write(json.dumps({"accuracy/top1": value, "step": epoch}) + "\n")


def test_the_tables_name_a_failed_run_and_keep_the_seeds_that_finished(tmp_path):
    """A failed run and a run that logged no score are left out of their rows, named in the note, and
    counted (n=1 of 2); the differences pair the seeds both rows have; every file is still written."""
    from ldrld_runs.plan import write_plan
    from ldrld_runs.study import load_study, plan_study
    from ldrld_runs.study_report import write_study

    plan = plan_study(load_study(os.path.join(ROOT, "configs", "studies", "demo_cls.py"), True), tmp_path, [0, 1])
    write_plan(plan.runs, os.path.join(plan.folder, "runs"))
    scores = {"teacher": [90.0], "student": [40.0, 50.0], "kd": [45.0, 99.0], "dkd": [41.0], "ldrld": [60.0, 54.0]}
    for row, values in scores.items():
        for run, value in zip(plan.rows[row], values):
            _log_top1(run, [value / 2, value])
    failed = plan.rows["kd"][1].name
    text, summary = write_study(plan, {failed})
    assert summary["rows"]["KD"]["top1"]["n"] == 1 and summary["rows"]["KD"]["top1"]["seeds"] == [0]
    assert summary["rows"]["DKD"]["top1"]["n"] == 1  # seed 1 logged nothing
    assert "| top-1 (%) | 90.00 | 45.00 ± 7.07 | 45.00 (n=1 of 2) | 41.00 (n=1 of 2) | 57.00 ± 4.24 |" in text
    assert f"FAILED, left out of their rows: {failed}, cls/dkd/default/seed1 (it logged no score)" in text
    table = json.loads(open(os.path.join(plan.folder, "table.json")).read())
    assert table["paired"]["KD - Student"] == {"mean": 5.0, "std": 0.0, "n": 1, "values": [5.0], "seeds": [0]}
    assert table["paired"]["LDRLD - Student"]["values"] == [20.0, 4.0]
    for name in ("table.md", "table.csv", "summary.png", os.path.join("runs", "report.md")):
        assert os.path.isfile(os.path.join(plan.folder, name)), name
