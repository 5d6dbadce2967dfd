"""Argument checks shared by the distillation losses.

Each check raises one ``ValueError`` that names the argument, what it was and
what was expected, so a wrong call fails at the loss and not deep inside torch:
a :class:`~ldrld_core.errors.ConfigError` for an argument (a loss option, a shape),
a :class:`~ldrld_core.errors.ClassCountError` for labels outside the classes (both
bad input, one line at a tool's boundary), a plain ``ValueError`` for non-finite
logits (a run that diverged: a failure, with its traceback).

Shapes, types and options are checked on every call: that reads only host-side
metadata. The *values* — finite logits, labels within the classes — cost device
work, and on a GPU a host read (a synchronisation) each, so they are checked
off the hot path (:class:`ValueChecks`): on a CPU the logits from the loss's own
output (non-finite logits make a non-finite loss, then explained by the full
check), on other devices on the first call and every ``every``-th call after
it; the labels everywhere on that schedule (an out-of-range label in between
makes torch raise, which the label check then explains).
"""

import math

import torch

from .errors import ClassCountError, ConfigError


def _compiling() -> bool:
    compiler = getattr(torch, "compiler", None)
    return bool(compiler is not None and compiler.is_compiling())


def check_logits(student_logits, teacher_logits, values=True) -> None:
    """Both logits are 2-D tensors of one shape (and, with ``values``, only finite values)."""
    for name, x in (("student_logits", student_logits), ("teacher_logits", teacher_logits)):
        if not isinstance(x, torch.Tensor):
            raise ConfigError(f"{name} must be a torch.Tensor of shape (N, C), got {type(x).__name__}")
        if x.dim() != 2:
            raise ConfigError(f"{name} must be 2-D (N, C), got shape {tuple(x.shape)}")
    if student_logits.shape != teacher_logits.shape:
        raise ConfigError(
            f"student_logits and teacher_logits must have the same shape, got "
            f"{tuple(student_logits.shape)} and {tuple(teacher_logits.shape)}"
        )
    if student_logits.device != teacher_logits.device:
        raise ConfigError(
            f"student_logits and teacher_logits must be on one device, got {student_logits.device} "
            f"and {teacher_logits.device}"
        )
    if student_logits.shape[1] < 2:
        raise ConfigError(f"logits need at least 2 classes (columns), got shape {tuple(student_logits.shape)}")
    if values:
        check_finite(student_logits, teacher_logits)


def check_finite(student_logits, teacher_logits) -> None:
    """Only finite values in both logits (a host read per tensor)."""
    if _compiling():  # a data-dependent check would break the compiled graph
        return
    for name, x in (("student_logits", student_logits), ("teacher_logits", teacher_logits)):
        if x.numel() and not bool(torch.isfinite(x).all()):
            bad = int((~torch.isfinite(x)).sum())
            raise ValueError(f"{name} must be finite, but {bad} of its {x.numel()} values are NaN or inf")


def check_temperature(temperature) -> float:
    try:
        value = float(temperature)
    except (TypeError, ValueError):
        raise ConfigError(f"temperature must be a positive number, got {temperature!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise ConfigError(f"temperature must be a positive finite number, got {temperature!r}")
    return value


def check_depth(depth, num_classes: int) -> int:
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise ConfigError(f"depth must be an integer with 2 <= depth <= C, got {depth!r}")
    if depth < 2 or depth > num_classes:
        raise ConfigError(f"depth must satisfy 2 <= depth <= C (number of classes = {num_classes}), got depth={depth}")
    return depth


def check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {sorted(choices)}, got {value!r}")


def check_target(target, num_rows: int, num_classes: int, values=True) -> None:
    if not isinstance(target, torch.Tensor) or target.dim() != 1 or target.shape[0] != num_rows:
        shape = tuple(target.shape) if isinstance(target, torch.Tensor) else type(target).__name__
        raise ConfigError(f"target must be a 1-D tensor of {num_rows} class indices, got {shape}")
    if target.dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.bool):
        raise ConfigError(f"target must hold integer class indices, got dtype {target.dtype}")
    if values:
        check_target_values(target, num_classes)


def check_target_values(target, num_classes: int) -> None:
    """Class indices within ``[0, num_classes)`` (two host reads)."""
    if not _compiling() and target.numel():
        lo, hi = int(target.min()), int(target.max())
        if lo < 0 or hi >= num_classes:
            raise ClassCountError(
                f"target must hold class indices in [0, {num_classes - 1}], got values in [{lo}, {hi}]"
            )


def check_weight(weight, num_rows: int) -> None:
    if not isinstance(weight, torch.Tensor) or weight.dim() != 1 or weight.shape[0] != num_rows:
        shape = tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight).__name__
        raise ConfigError(f"weight must be a 1-D tensor of {num_rows} per-row weights (or a bool mask), got {shape}")


class ValueChecks:
    """When a loss checks the values of its inputs (see the module's docstring).

    ``checks.after(out, student, teacher, target)`` checks the output on a CPU on every call,
    and the labels (everywhere) and the logits (off the CPU) on the first and every ``every``-th
    call (``every=0``: never)."""

    def __init__(self, every=100):
        if isinstance(every, bool) or not isinstance(every, int) or every < 0:
            raise ConfigError(f"check_every must be an integer >= 0 (0: never), got {every!r}")
        self.every, self.calls = every, 0

    def explain(self, target, num_classes) -> None:
        """Called when the loss raised: a bad label gets its own message."""
        if target is not None:
            check_target_values(target, num_classes)

    def after(self, terms, student, teacher, target=None) -> None:
        if _compiling() or not terms:
            return
        cpu = student.device.type == "cpu"
        if cpu and not all(math.isfinite(float(v.detach())) for v in terms.values()):  # a host read each, no op
            check_finite(student, teacher)
            raise ValueError(
                "the loss is not finite although its inputs are: logits too large for float32? "
                f"(largest magnitude {float(student.detach().abs().max()):.3g})"
            )
        self.calls += 1
        if self.every and (self.calls - 1) % self.every == 0:
            if not cpu:  # on a CPU the finite outputs above already vouch for the logits
                check_finite(student, teacher)
            if target is not None:  # labels torch would not refuse (e.g. -100, cross-entropy's ignore_index)
                check_target_values(target, student.shape[1])
