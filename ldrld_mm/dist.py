"""Distributed runs on machines without CUDA.

MMEngine's launcher calls ``torch.cuda.set_device``; on a CPU machine
``--launcher pytorch`` (``torchrun``) instead starts the gloo process group here
and keeps DDP on the CPU, for detection and classification alike.
"""

import torch

from ldrld_core.errors import InputError


def setup_cpu_distributed(cfg) -> None:
    import torch.distributed as dist

    launcher = cfg.get("launcher", "none")
    if launcher == "none" or torch.cuda.is_available():
        return
    if launcher != "pytorch":
        raise InputError(f"--launcher {launcher} without CUDA: only --launcher pytorch (torchrun) runs on CPUs")
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
