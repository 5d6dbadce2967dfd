"""Distributed runs on machines without CUDA.

MMEngine's launcher calls ``torch.cuda.set_device``; on a CPU machine
``--launcher pytorch`` (``torchrun``) and ``--launcher slurm`` (one Slurm task per
rank: ``srun -n N``, or ``tools/sweep.py --tasks-per-run N``) instead start the gloo
process group here and keep DDP on the CPU, for detection and classification alike.
Under Slurm the ranks and the rendezvous come from Slurm's environment
(``SLURM_PROCID``, ``SLURM_NTASKS``, ``SLURM_LOCALID``, the job's first node).
"""

import os
import subprocess

import torch

from ldrld_core.errors import InputError


def setup_cpu_distributed(cfg) -> None:
    import torch.distributed as dist

    launcher = cfg.get("launcher", "none")
    if launcher == "none" or torch.cuda.is_available():
        return
    if launcher not in ("pytorch", "slurm"):
        raise InputError(
            f"--launcher {launcher} without CUDA: --launcher pytorch (torchrun) and --launcher slurm run on CPUs"
        )
    if launcher == "slurm":
        slurm_rendezvous(os.environ)
    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    cfg.env_cfg = dict(cfg.get("env_cfg") or {})
    cfg.env_cfg.setdefault("dist_cfg", {})["backend"] = "gloo"
    cfg.model_wrapper_cfg = dict(
        type="MMDistributedDataParallel",
        device_ids=None,
        broadcast_buffers=False,
        find_unused_parameters=cfg.get("find_unused_parameters", False),
    )


def slurm_rendezvous(environ) -> None:
    """torch's ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT`` from the Slurm task's
    environment (what MMEngine's own Slurm launcher reads, without its CUDA device): the first node of the job
    is the master (127.0.0.1 in a one-node job), the port derives from the job id unless MASTER_PORT is set."""
    if "SLURM_PROCID" not in environ or "SLURM_NTASKS" not in environ:
        raise InputError("--launcher slurm: not inside a Slurm task (no SLURM_PROCID); start it with srun")
    environ["RANK"] = environ["SLURM_PROCID"]
    environ["WORLD_SIZE"] = environ["SLURM_NTASKS"]
    environ["LOCAL_RANK"] = environ.get("SLURM_LOCALID", "0")
    if "MASTER_ADDR" not in environ:
        if environ.get("SLURM_JOB_NUM_NODES", environ.get("SLURM_NNODES", "1")) == "1":
            environ["MASTER_ADDR"] = "127.0.0.1"
            environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
        else:
            nodes = environ.get("SLURM_JOB_NODELIST") or environ["SLURM_NODELIST"]
            hosts = subprocess.run(["scontrol", "show", "hostnames", nodes], capture_output=True, text=True)
            environ["MASTER_ADDR"] = hosts.stdout.split()[0]
    environ.setdefault("MASTER_PORT", str(20000 + int(environ.get("SLURM_JOB_ID", "0")) % 20000))
