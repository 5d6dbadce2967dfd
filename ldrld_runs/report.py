"""A sweep's runs as one table per config and grid point: mean +- std over the seeds,
n, min-max, the last and the best epoch's score both, and the paper's number
beside ours for the packaged recipes (``paper_results.json``). With a grid over
one parameter, a sensitivity plot (score against the parameter, error bars over
the seeds), as the paper's Tables 11-14.

Written to ``OUT/report.md``, ``report.csv``, ``report.json`` and
``OUT/sensitivity_<config>_<parameter>.png``.
"""

import json
import os
from collections import OrderedDict

from ldrld_core.atomic_io import atomic_write_bytes

from .plan import ROOT
from .results import run_result
from .tables import fmt, stats, write_csv
from .tables import markdown as table_lines

PAPER_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "paper_results.json")


def paper_numbers():
    with open(PAPER_FILE) as f:
        return json.load(f)


def config_key(config):
    """``cls/cifar100/x.py`` for a packaged config (its path under the repository's configs/)."""
    configs = os.path.join(ROOT, "configs") + os.sep
    path = os.path.abspath(config)
    return path[len(configs) :] if path.startswith(configs) else None


def _paper_value(paper, key, point):
    """The paper's number for a config (and, in Tables 11-14, for a single-parameter grid point)."""
    if key is None:
        return None, None
    if point:
        if len(point) == 1:
            ((param, value),) = point.items()
            table = paper["sensitivity"].get(key, {})
            found = table.get(param, {}).get(_canonical(value))
            if found is not None:
                return found, table["table"]
        return None, None
    entry = paper["results"].get(key)
    return (entry["value"], ", ".join(entry["tables"])) if entry else (None, None)


def _canonical(value):
    try:
        return repr(float(value))
    except ValueError:
        return str(value)


def collect(runs):
    """``[row]``: one per (config, grid point), runs in plan order."""
    paper = paper_numbers()
    groups = OrderedDict()
    for run in runs:
        groups.setdefault((run.config, json.dumps(run.point)), []).append(run)
    rows = []
    for (config, point_text), members in groups.items():
        point = json.loads(point_text)
        results = {run.seed: run_result(run.work_dir) for run in members}
        scored = {s: r for s, r in results.items() if r is not None}
        first = next(iter(scored.values()), None)
        value, table = _paper_value(paper, config_key(config), point)
        rows.append(
            {
                "config": config_key(config) or config,
                "task": members[0].task,
                "point": point,
                "metric": first["metric"] if first else None,
                "seeds": sorted(results),
                "finished": sorted(scored),
                "last": stats([r["last"] for r in scored.values()]),
                "best": stats([r["best"] for r in scored.values()]),
                "last_epoch": sorted({r["last_epoch"] for r in scored.values()}, key=str),
                "best_epochs": {str(s): r["best_epoch"] for s, r in scored.items()},
                "per_seed": {str(s): r for s, r in scored.items()},
                "paper": value,
                "paper_table": table,
            }
        )
    return rows


HEADER = [
    "config",
    "point",
    "metric",
    "n",
    "last (mean ± std)",
    "last min-max",
    "best (mean ± std)",
    "best min-max",
    "paper",
    "paper table",
]


def _cells(row):
    last, best = row["last"], row["best"]
    point = ", ".join(f"{k}={v}" for k, v in row["point"].items()) or "default"
    n = f"{len(row['finished'])}/{len(row['seeds'])}"
    paper = f"{row['paper']:.2f}" if row["paper"] is not None else "-"
    return [
        row["config"],
        point,
        row["metric"] or "-",
        n,
        fmt(last),
        _span(last),
        fmt(best),
        _span(best),
        paper,
        row["paper_table"] or "-",
    ]


def _span(s):
    return f"{s['min']:.2f}-{s['max']:.2f}" if s else "-"


def markdown(rows, which_epoch):
    lines = table_lines(HEADER, [_cells(r) for r in rows])
    lines += [
        "",
        "last: the score at the run's last validation; best: its highest over the run's validations; "
        "n: runs finished of those planned; std: sample standard deviation over the seeds. "
        f"paper: the supplementary's number for this packaged recipe (which epoch: {which_epoch}).",
    ]
    return "\n".join(lines) + "\n"


def _one_numeric_parameter(members):
    """The grid parameter a config's rows vary, when they vary exactly one and every row sets it to a
    number (a sensitivity curve); None otherwise (a row at the config's default beside rows over a
    name, such as ``distill_loss.type``)."""
    params = {k for r in members for k in r["point"]}
    if len(params) != 1 or len(members) < 2:
        return None
    (param,) = params
    for row in members:
        try:
            float(row["point"][param])
        except (KeyError, TypeError, ValueError):
            return None
    return param


def sensitivity_plots(rows, out):
    """One PNG per config whose rows vary exactly one grid parameter."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    by_config = OrderedDict()
    for row in rows:
        by_config.setdefault(row["config"], []).append(row)
    paper = paper_numbers()
    for config, members in by_config.items():
        param = _one_numeric_parameter(members)
        if param is None:
            continue
        points = sorted((float(r["point"][param]), r) for r in members if r["last"] is not None)
        if len(points) < 2:
            continue
        xs = [x for x, _ in points]
        fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
        n = points[0][1]["last"]["n"]
        for which, style in (("last", dict(marker="o")), ("best", dict(marker="s", alpha=0.6))):
            means, stds = ([r[which][k] for _, r in points] for k in ("mean", "std"))
            label = f"ours, last epoch (mean ± std, n={n})" if which == "last" else "ours, best epoch"
            ax.errorbar(xs, means, yerr=stds, capsize=4, label=label, **style)
        reference = paper["sensitivity"].get(config, {}).get(param)
        if reference:
            px = sorted(float(v) for v in reference)
            ax.plot(
                px,
                [reference[repr(x)] for x in px],
                "k--",
                marker="x",
                label=f"paper, Table {paper['sensitivity'][config]['table']}",
            )
        ax.set_xlabel(param)
        ax.set_ylabel(points[0][1]["metric"])
        ax.set_title(f"{os.path.basename(config)}: sensitivity to {param.rsplit('.', 1)[-1]}", fontsize=10)
        ax.legend(fontsize=8)
        fig.tight_layout()
        name = f"sensitivity_{os.path.splitext(os.path.basename(config))[0]}_{param.rsplit('.', 1)[-1]}.png"
        path = os.path.join(out, name)
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written


def write_report(runs, out):
    """Write the tables (and plots); returns ``(rows, markdown text, png paths)``."""
    rows = collect(runs)
    which = paper_numbers()["which_epoch"]
    text = markdown(rows, which)
    atomic_write_bytes(text.encode(), os.path.join(out, "report.md"))
    atomic_write_bytes(
        json.dumps({"which_epoch_paper": which, "rows": rows}, indent=2).encode(), os.path.join(out, "report.json")
    )
    write_csv(
        os.path.join(out, "report.csv"),
        [
            "config",
            "point",
            "metric",
            "n",
            "seeds",
            "last_mean",
            "last_std",
            "last_min",
            "last_max",
            "best_mean",
            "best_std",
            "best_min",
            "best_max",
            "paper",
            "paper_table",
        ],
        [
            [r["config"], json.dumps(r["point"]), r["metric"], len(r["finished"]), len(r["seeds"])]
            + [(r[which] or {}).get(k) for which in ("last", "best") for k in ("mean", "std", "min", "max")]
            + [r["paper"], r["paper_table"]]
            for r in rows
        ],
    )
    return rows, text, sensitivity_plots(rows, out)
