"""The one statistics-and-table writer of ldrld_runs: mean, std and n over seeds, differences paired
by seed, and their Markdown and CSV forms (``tools/report.py``'s tables and the studies' alike)."""

import csv
import math
import statistics


def stats(values):
    """``{mean, std, n, min, max}`` of the finite values (std: the sample standard deviation), or None."""
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return None
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "n": len(values),
        "min": min(values),
        "max": max(values),
    }


def summarise(values, **extra):
    """mean, std and n of a row's values and the values themselves (a failed run has none: n drops;
    ``extra``, e.g. ``seeds`` and ``planned``, is kept beside them)."""
    s = stats(values)
    if s is None:
        return {"mean": float("nan"), "std": float("nan"), "n": 0, "values": [], **extra}
    return {"mean": s["mean"], "std": s["std"], "n": s["n"], "values": [float(v) for v in values], **extra}


def by_seed(s):
    """``{seed: value}`` of a summary that kept its ``seeds``."""
    return dict(zip(s.get("seeds", ()), s["values"]))


def paired(a, b, seeds=None):
    """``a - b`` seed by seed, over the seeds both have (and that are in ``seeds``, when given):
    ``a`` and ``b`` are ``{seed: value}``."""
    common = [k for k in a if k in b and (seeds is None or k in seeds)]
    return summarise([a[k] - b[k] for k in common], seeds=common)


def fmt(s, digits=2):
    """``mean ± std`` (one run: its value); ``(n=k of m)`` where runs of the row failed, ``failed`` where all did, ``-``
    for no row at all."""
    if s is None:
        return "-"
    if s["n"] == 0:
        return "failed"
    text = f"{s['mean']:.{digits}f} ± {s['std']:.{digits}f}" if s["n"] > 1 else f"{s['mean']:.{digits}f}"
    return text + (f" (n={s['n']} of {s['planned']})" if s.get("planned", s["n"]) > s["n"] else "")


def markdown(header, rows) -> list:
    """A Markdown table's lines."""
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def write_csv(path, header, rows) -> str:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path
