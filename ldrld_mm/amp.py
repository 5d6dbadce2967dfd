"""Mixed precision on the CPU for ``--amp`` (every MMEngine tool of this project).

MMEngine's ``AmpOptimWrapper`` needs a GPU. On a machine without one, ``--amp``
uses this wrapper instead: bfloat16 autocast (which needs no loss scaling) for
the backbones and necks — the bulk of a detector's compute, the teacher's
included — while the heads run in float32, because mmcv's CPU kernels (NMS,
RoIAlign) take float32 only. A model without a ``backbone`` runs its whole
forward under autocast.
"""

from contextlib import contextmanager

import torch
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

PARTS = ("backbone", "neck")


def _float32(output):
    if isinstance(output, torch.Tensor):
        return output.float() if output.is_floating_point() else output
    if isinstance(output, (list, tuple)):
        return type(output)(_float32(o) for o in output)
    return output


def _parts(model):
    model = model.module if is_model_wrapper(model) else model
    for owner in (model, getattr(model, "teacher", None)):
        for name in PARTS:
            part = getattr(owner, name, None) if owner is not None else None
            if isinstance(part, torch.nn.Module):
                yield part


@OPTIM_WRAPPERS.register_module()
class CPUBF16OptimWrapper(OptimWrapper):
    @contextmanager
    def optim_context(self, model):
        parts = list(_parts(model))
        if not parts:
            with super().optim_context(model), torch.autocast("cpu", dtype=torch.bfloat16):
                yield
            return
        active, handles = [], []

        def enter(module, args):
            ctx = torch.autocast("cpu", dtype=torch.bfloat16)
            ctx.__enter__()
            active.append(ctx)

        def leave(module, args, output):
            active.pop().__exit__(None, None, None)
            return _float32(output)

        for part in parts:
            handles += [part.register_forward_pre_hook(enter), part.register_forward_hook(leave)]
        try:
            with super().optim_context(model):
                yield
        finally:
            for handle in handles:
                handle.remove()
            while active:  # a forward that raised never reached its leave hook
                active.pop().__exit__(None, None, None)
