"""tools/slurm_local.sh refuses what it cannot do in one sentence, exit 2: starting the cluster as a
user who is not root (it installs packages and starts Slurm's daemons as root), an unknown command.
The cluster itself is what tests/test_slurm*.py run against."""

import os
import subprocess

from tool_helpers import ROOT

SCRIPT = os.path.join(ROOT, "tools", "slurm_local.sh")


def as_user(*args):
    """The script as an ordinary user (``nobody`` when the tests run as root)."""
    command = ["bash", SCRIPT, *args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "nobody", "--", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/")


def test_starting_the_cluster_as_an_ordinary_user_is_refused_in_one_sentence():
    for command in ("up", "down"):
        proc = as_user(command)
        assert proc.returncode == 2 and proc.stdout == ""
        (line,) = proc.stderr.strip().splitlines()
        assert line.startswith(f"slurm_local: '{command}' needs root (it installs packages with apt-get"), line


def test_an_unknown_command_names_the_ones_there_are():
    proc = subprocess.run(["bash", SCRIPT, "start"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "slurm_local: usage: tools/slurm_local.sh up|down|status (got 'start')"
