"""A study's tables and pictures, read from what its runs wrote: each run's evaluations
(``results.evaluations``: the scalars MMEngine, and train_reid.py alike, write) and plot_corr.py's
``corr.json``; means ± std and n over seeds and differences paired by seed (``tables``).

Written to ``OUT/<name>/``: ``table.md``, ``table.csv``, ``table.json``, ``summary.png`` (the main
table's first score as bars beside ``corr.png``), ``ablations.png`` when ablations ran, and
``runs/report.md`` (``tools/report.py``'s table of every run)."""

import json
import os

from ldrld_core.atomic_io import atomic_write_bytes, atomic_write_json

from .plan import read_plan
from .report import write_report
from .results import evaluations
from .tables import by_seed, fmt, markdown, paired, summarise, write_csv

COLORS = ["#777777", "#bbbbbb", "#4c72b0", "#55a868", "#c44e52", "#8172b2", "#ccb974", "#64b5cd"]


def read_scores(plan, failed_names):
    """``{row: {seed: [(epoch, scores)]}}`` of every run that finished and logged a score, and the
    names of the runs left out (failed, or finished without a score)."""
    found, left_out = {}, []
    for row, runs in plan.rows.items():
        found[row] = {}
        for run in runs:
            points = [] if run.name in failed_names else evaluations(run.work_dir)
            if points and points[-1][1]:
                found[row][run.seed] = points
            else:
                left_out.append(run.name + ("" if run.name in failed_names else " (it logged no score)"))
    return found, left_out


class Scores:
    """The scores of a study's rows, as summaries (mean, std, n, per-seed values)."""

    def __init__(self, plan, found):
        self.plan, self.found, self.rows = plan, found, plan.study["rows"]

    def label(self, row):
        return self.rows[row]["label"]

    def stats(self, row, key, seeds=None):
        runs = [r for r in self.plan.rows.get(row, ()) if seeds is None or r.seed in seeds]
        got = {s: p[-1][1][key] for s, p in self.found.get(row, {}).items() if key in p[-1][1]}
        got = {s: v for s, v in got.items() if seeds is None or s in seeds}
        return summarise(list(got.values()), seeds=list(got), planned=len(runs))

    def paired(self, pairs, key):
        """``{'A - B': summary}`` of rows ``(a, b)`` differenced seed by seed."""
        return {
            f"{self.label(a)} - {self.label(b)}": paired(by_seed(self.stats(a, key)), by_seed(self.stats(b, key)))
            for a, b in pairs
        }

    def earlier(self, rows, key):
        """``{'KEY at epoch E': {row: summary}}`` of the evaluations before each run's last one."""
        lines = {}
        for row in rows:
            for points in self.found.get(row, {}).values():
                for epoch, values in points[:-1]:
                    if key in values:
                        lines.setdefault(f"{key} at epoch {epoch}", {}).setdefault(row, []).append(values[key])
        return {name: {row: summarise(v) for row, v in by_row.items()} for name, by_row in lines.items()}


def correlation_gaps(folder):
    """``{label: summary}`` of the mean |corr| differences plot_corr.py wrote, by row label."""
    path = os.path.join(folder, "corr.json")
    if not os.path.isfile(path):  # not drawn: a run it reads failed
        return {}
    with open(path) as f:
        means = json.load(f)["mean_abs_difference"]
    gaps = {}
    for name, value in means.items():
        gaps.setdefault(name.split(" seed ")[0], []).append(value)
    return {name: summarise(values) for name, values in gaps.items()}


def write_study(plan, failed_names):
    """Write the study's tables and pictures; returns ``(markdown text, summary for the last line)``."""
    study, folder = plan.study, plan.folder
    found, left_out = read_scores(plan, failed_names)
    scores = Scores(plan, found)
    (first, first_label), metrics = study["metrics"][0], study["metrics"]
    single = [scores.label(r) for r in study["tables"][0]["rows"] if len(plan.rows.get(r, ())) == 1]
    note = (
        f"mean ± std over seeds {', '.join(map(str, plan.seeds))}"
        + "".join(f"; {label}: one run" for label in single)
        + "; the score at the last evaluation"
        + (f"; FAILED, left out of their rows: {', '.join(left_out)}" if left_out else "")
    )
    corr = correlation_gaps(folder)
    md, csv_rows, record, summary = [f"**{study['title']}** ({note})"], [], {}, {}
    for index, table in enumerate(study["tables"]):
        rows = [r for r in table["rows"] if r in plan.rows]
        keys = metrics if index == 0 else metrics[:1]
        cells = {scores.label(r): {key: scores.stats(r, key) for key, _ in keys} for r in rows}
        diffs = scores.paired([tuple(p) for p in table.get("paired", ())], first)
        lines = [[label] + [fmt(cells[scores.label(r)][key]) for r in rows] for key, label in keys]
        suffix = "" if index == 0 else f", {table['key']}"
        part = {"rows": cells, "paired": diffs, **({"text": table.get("text", "")} if index else {})}
        if index == 0:
            history = scores.earlier(rows, study["history"]) if study.get("history") else {}
            lines += [
                [name] + [fmt(by_row[r]) if r in by_row else "" for r in rows] for name, by_row in history.items()
            ]
            if (study.get("pictures") or {}).get("corr"):
                lines.append(
                    ["corr. gap (Fig. 5)"]
                    + [fmt(corr[scores.label(r)], 4) if scores.label(r) in corr else "" for r in rows]
                )
            part.update(
                earlier={n: {scores.label(r): s for r, s in b.items()} for n, b in history.items()}, corr_gap=corr
            )
            csv_rows += [
                [scores.label(r), n, s["mean"], s["std"], s["n"]] for n, b in history.items() for r, s in b.items()
            ]
            csv_rows += [[name, "corr_gap", s["mean"], s["std"], s["n"]] for name, s in corr.items()]
            record.update(part)
            summary.update(rows=cells, corr_gap=corr)
        else:
            md += ["", table.get("text", "")]
            record[table["key"]], summary[table["key"]] = part, cells
        md += [""] + markdown(["metric"] + [scores.label(r) for r in rows], lines)
        if diffs:
            md += ["", f"{first_label}, paired by seed: " + "; ".join(f"{k} {fmt(v)}" for k, v in diffs.items())]
        csv_rows += [
            [label, key + suffix, s["mean"], s["std"], s["n"]] for label, c in cells.items() for key, s in c.items()
        ]
        csv_rows += [[name, f"paired {first}{suffix}", s["mean"], s["std"], s["n"]] for name, s in diffs.items()]
    ablated = ablation_rows(plan, scores)
    if ablated:
        abl = study["ablations"]
        against = scores.label(abl["against"])
        md += [
            "",
            f"{abl.get('text', 'Ablations')}: {first_label}, mean ± std over seeds "
            f"{', '.join(map(str, plan.seeds[: abl.get('seeds', 2)]))}, "
            f"and each ablation minus {against}, paired by seed:",
            "",
        ] + markdown(
            ["row", first_label, f"row - {against}"], [[n, fmt(s), "" if d is None else fmt(d)] for n, s, d in ablated]
        )
        record["ablations"] = [{"row": n, "stats": s, "minus": d} for n, s, d in ablated]
        summary["ablations"] = {n: s for n, s, _ in ablated}
        csv_rows += [[n, f"ablation {first}", s["mean"], s["std"], s["n"]] for n, s, _ in ablated]
        csv_rows += [[f"{n} - {against}", f"paired {first}", d["mean"], d["std"], d["n"]] for n, _, d in ablated if d]
        ablation_png(study, folder, ablated)
    text = "\n".join(md)
    atomic_write_bytes((text + "\n").encode(), os.path.join(folder, "table.md"))
    write_csv(os.path.join(folder, "table.csv"), ["row", "metric", "mean", "std", "n"], csv_rows)
    atomic_write_json(
        dict(name=study["name"], title=study["title"], note=note, **record), os.path.join(folder, "table.json")
    )
    summary_png(study, folder, summary["rows"])
    runs_folder = os.path.join(folder, "runs")
    write_report(read_plan(runs_folder), runs_folder)  # tools/report.py's table of every run
    return text, summary


def ablation_rows(plan, scores):
    """``[(label, summary, summary of row minus 'against' paired by seed, or None)]`` over the
    ablation seeds, or ``[]`` when the study's ablation rows did not run."""
    abl = plan.study.get("ablations")
    if not abl or not any(plan.study["rows"][r].get("ablation") for r in plan.rows):
        return []
    key, seeds = plan.study["metrics"][0][0], plan.seeds[: abl.get("seeds", 2)]
    against = by_seed(scores.stats(abl["against"], key, seeds))
    out = []
    for row in abl["rows"]:
        s = scores.stats(row, key, seeds)
        diff = paired(by_seed(s), against) if plan.study["rows"][row].get("ablation") else None
        out.append(((abl.get("labels") or {}).get(row, scores.label(row)), s, diff))
    return out


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def summary_png(study, folder, rows):
    """The main table's first score as bars with error bars (std over seeds), beside Figure 5."""
    import matplotlib.image as mpimg

    plt = _pyplot()
    key, label = study["metrics"][0]
    corr_png = os.path.join(folder, "corr.png")
    fig, (bars, maps) = plt.subplots(1, 2, figsize=(15, 4.6), dpi=100, gridspec_kw=dict(width_ratios=[1, 2.2]))
    names = list(rows)
    stats_ = [rows[n][key] for n in names]
    means = [s["mean"] if s["n"] else 0.0 for s in stats_]  # a row whose runs all failed: 0
    errors = [s["std"] if s["n"] else 0.0 for s in stats_]
    colours = [COLORS[k % len(COLORS)] for k in range(len(names))]
    ticks = [n + ("" if s["n"] else "\n(failed)") for n, s in zip(names, stats_)]
    bars.bar(ticks, means, yerr=errors, capsize=5, color=colours)
    low = min(m - e for m, e in zip(means, errors))
    bars.set_ylim(max(0.0, low - 0.25 * (max(means) - low + 1e-9) - 1.0), None)
    bars.set_ylabel(label)
    n = max(s["n"] for s in stats_)
    bars.set_title(f"{study['name']}: {label}, mean ± std over {n} seed(s)", fontsize=10)
    if os.path.isfile(corr_png):
        maps.imshow(mpimg.imread(corr_png))
    else:
        maps.text(0.5, 0.5, "no correlation maps (none asked for, or a run they draw failed)", ha="center", va="center")
    maps.axis("off")
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "summary.png"))
    plt.close(fig)


def ablation_png(study, folder, rows):
    """The ablation rows as horizontal bars with error bars (std over their seeds)."""
    plt = _pyplot()
    label = study["metrics"][0][1]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.4), dpi=100)
    names = [r[0] for r in rows][::-1]
    means = [r[1]["mean"] if r[1]["n"] else 0.0 for r in rows][::-1]
    ax.barh(names, means, xerr=[r[1]["std"] if r[1]["n"] else 0.0 for r in rows][::-1], capsize=4, color="#c44e52")
    low = min(means)
    ax.set_xlim(max(0.0, low - 0.3 * (max(means) - low + 1e-9) - 1.0), None)
    ax.set_xlabel(f"{label}, mean ± std over {max(r[1]['n'] for r in rows)} seeds")
    ax.set_title(f"{study['name']}: {study['ablations'].get('text', 'ablations')}", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "ablations.png"))
    plt.close(fig)
