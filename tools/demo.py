"""The demo: every study file named configs/studies/demo_*.py (a teacher, then the student alone,
with KD, with DKD and with LDRLD over three seeds, on data built on this machine) in one queue.

    python tools/demo.py                  # what `make demo` runs (about 10-11 min on 2 cores)
    python tools/demo.py --quick --seeds 0 1 --out outputs/demo_quick      # the test suite's sizes

It is tools/study.py with those files as its studies; see there for what is written.
"""

import glob
import os
import sys

from ldrld_core.errors import InputError, cli_boundary

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import study  # noqa: E402  (tools/study.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = sorted(glob.glob(os.path.join(ROOT, "configs", "studies", "demo_*.py")))


@cli_boundary("demo.py")
def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a == "--task" or a.startswith("--task=") for a in argv):
        raise InputError(
            "--task: studies are files now; run python tools/study.py configs/studies/<study>.py "
            "(the Makefile's study-* targets name them)"
        )
    args = study.parser("demo.py", __doc__, studies_required=False).parse_args(argv)
    args.studies = args.studies or DEMO
    if args.out == os.path.join("outputs", "studies"):
        args.out = os.path.join("outputs", "demo")
    return study.run_studies(args)


if __name__ == "__main__":
    sys.exit(main())
