"""Collect a sweep's runs (tools/sweep.py --out OUT) into one table per config and grid point:
mean +- std over the seeds, n, min-max, the last and the best epoch's score, and the paper's
number beside ours for the packaged recipes; a sensitivity plot for a grid over one parameter.

    python tools/report.py OUT          # writes OUT/report.md, report.csv, report.json, sensitivity_*.png
"""

import argparse
import os
import sys

from ldrld_core.errors import cli_boundary


@cli_boundary("report.py")
def main(argv=None):
    from ldrld_runs.plan import read_plan
    from ldrld_runs.report import write_report

    p = argparse.ArgumentParser(
        prog="report.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("out", help="the folder of a sweep (holds sweep.json)")
    args = p.parse_args(argv)
    _, text, plots = write_report(read_plan(args.out), args.out)
    print(text, end="")
    print(f"report: {os.path.join(args.out, 'report.md')} (.csv, .json)" + "".join(f", {p}" for p in plots))


if __name__ == "__main__":
    sys.exit(main())
