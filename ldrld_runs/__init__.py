"""Many runs: sweeps over seeds and hyper-parameter grids of any task's config
(``tools/sweep.py``, on submitit's local or Slurm executor) and the report that
turns them into mean +- std beside the paper's numbers (``tools/report.py``)."""

import warnings

# mmengine 0.10.7 imports pkg_resources, which warns on every start; it is noise to a user.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
