"""Running the command-line tools as a user does: in a fresh interpreter, or (for speed) their
``main`` in this process; and running one until a line appears, then killing it with SIGKILL."""

import contextlib
import importlib.util
import io
import os
import signal
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")
CONFIGS = os.path.join(ROOT, "configs")
TOY = os.path.join(CONFIGS, "toy")


def load_run_checkpoint(path):
    """A checkpoint our MMEngine tools wrote, read weights-only as they read it: ``ldrld_mm.fileio`` allows
    MMEngine's log buffers (a test must not count on another module having imported it)."""
    import torch

    import ldrld_mm.fileio  # noqa: F401

    return torch.load(path, map_location="cpu", weights_only=True)


def tool_command(tool, *args):
    return [sys.executable, os.path.join(TOOLS, tool), *map(str, args)]


def run_tool(tool, *args, check=True, timeout=600, env=None, cwd=ROOT):
    """``tools/<tool> ARGS`` in a fresh interpreter; ``check``: fail with its output unless it exits 0."""
    proc = subprocess.run(
        tool_command(tool, *args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=None if env is None else dict(os.environ, **env),
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{tool} exited {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-6000:]}"
        )
    return proc


def torchrun_tool(tool, *args, cwd, timeout=600):
    """``torchrun --standalone --nproc_per_node=2 tools/<tool> ARGS --launcher pytorch`` on CPU (gloo), one
    thread a process; fails with its output unless it exits 0 as a distributed run. Returns its output."""
    env = dict(
        os.environ,
        OMP_NUM_THREADS="1",
        CUDA_VISIBLE_DEVICES="",
        PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "tests"), os.environ.get("PYTHONPATH", "")]),
    )
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes=1", "--nproc_per_node=2"]
    cmd = [*torchrun, *tool_command(tool, *args)[1:], "--launcher", "pytorch"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(cwd), timeout=timeout)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert "Distributed training: True" in log
    return log


def load_tool(tool):
    """The module of ``tools/<tool>``."""
    name = "tool_" + os.path.splitext(tool)[0]
    spec = importlib.util.spec_from_file_location(name, os.path.join(TOOLS, tool))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def call_tool(tool, *args):
    """``tools/<tool>``'s ``main`` in this process: ``(exit status, stdout, stderr)``."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = load_tool(tool).main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def kill_when(tool, *args, line, timeout=600, env=None):
    """Run ``tools/<tool> ARGS`` until it prints a line containing ``line``, then SIGKILL it.
    Returns everything it printed; fails if it ends before printing that line."""
    proc = subprocess.Popen(
        tool_command(tool, *args),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=None if env is None else dict(os.environ, **env),
    )
    seen = []
    try:
        for text in proc.stdout:
            seen.append(text)
            if line in text:
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, (
        f"{tool} ended ({proc.returncode}) before printing {line!r}:\n" + "".join(seen[-40:])
    )
    return "".join(seen)


def two_rank_cls_inputs(tmp_path):
    """``(data root, teacher checkpoint)`` that the two-rank classification tests train on: a toy CIFAR-100
    set of 12 training images (3 iterations of 2 per rank) and a randomly initialised ResNet-56 teacher."""
    from ldrld_cls.engine.smoke import write_random_teacher
    from toy.cls import make_toy_dataset

    data = make_toy_dataset(
        "cifar100", str(tmp_path / "data"), seed=0, active_classes=4, train_per_class=3, val_per_class=2
    )
    return data, write_random_teacher("resnet56", 100, "cifar", str(tmp_path / "resnet56.pth"))
