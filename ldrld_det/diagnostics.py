"""What a detection distiller logs besides its losses, to tell whether the teacher has
anything to give (docs/detection.md, "Reading the diagnostics").

- ``teacher_acc``: how often the teacher's top class on the student's sampled RoIs equals
  their label (background included), in per cent, beside MMDetection's ``acc`` of the
  student on the same RoIs;
- ``teacher_acc_fg``: the same on the positive RoIs only (absent from an iteration without
  positives, which the sampler's counts tell on the host: no value is read back from the
  device), which is where the teacher's class scores say what the student should learn;
- ``distill_share``: the distillation terms' share of the total loss (0-1).

None of the names holds ``loss``, so MMEngine logs them and adds none to the loss.
"""

import torch


def total_loss(losses):
    """The loss MMEngine optimises: every entry whose name holds ``loss``, lists summed
    (``BaseModel.parse_losses``' rule)."""
    total = 0.0
    for name, value in losses.items():
        if "loss" not in name:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        total = total + sum(v.mean() for v in values)
    return total


@torch.no_grad()
def distill_diagnostics(losses, distill_names, teacher_scores, labels, positives):
    """The diagnostics of one iteration: ``losses`` the detector's losses with the
    distillation terms ``distill_names`` among them; ``teacher_scores`` (N, C + 1) and
    ``labels`` (N, background = C) of the student's sampled RoIs, ``positives`` (an int) of
    them foreground."""
    background = teacher_scores.shape[1] - 1
    hits = teacher_scores.argmax(1) == labels
    out = {"teacher_acc": hits.float().mean() * 100}
    if positives:
        fg = labels < background
        out["teacher_acc_fg"] = (hits & fg).sum() * (100.0 / positives)
    total = total_loss(losses)
    distill = sum(losses[name].detach() for name in distill_names)
    out["distill_share"] = distill / total.detach().clamp_min(1e-12)
    return out
