"""One way to hold a frozen teacher, for the three tasks (detection, classification, Re-ID).

The policy: a teacher is never part of the student's ``state_dict()``, ``parameters()`` or
optimizer (its checkpoints hold the student alone), it moves with the student (``.to()``,
``.cuda()``, a dtype change), and it is always in eval mode with no gradients.

- :func:`freeze`: eval mode and ``requires_grad=False``, for good;
- :func:`load_teacher_weights`: the checkpoint fetched where it is a URL or ``torchvision://NAME``
  (``ldrld_mm.pretrained.fetch_teacher``), then loaded strictly and weights-only unless trusted
  (``ldrld_core.load_checkpoint_into``);
- :func:`check_class_count`: teacher and student classify the same classes, or one sentence;
- :class:`HoldsTeacher`: a mixin for the ``nn.Module`` that is the student (an MMEngine model),
  holding ``self.teacher`` outside its module tree with the policy above. Re-ID's engine is not a
  module: it keeps the frozen teacher as a plain attribute, which torchreid never trains, saves or
  gives to an optimizer.
"""

import os

from ldrld_core import load_checkpoint_into
from ldrld_core.errors import ClassCountError

from .pretrained import fetch_teacher


def freeze(model):
    """``model`` in eval mode with no gradients (returned)."""
    model.requires_grad_(False)
    return model.eval()


def load_teacher_weights(model, checkpoint, trust=False, **kwargs) -> str:
    """Load ``checkpoint`` (a path, an http(s) URL or ``torchvision://NAME``) into ``model``,
    strictly, weights-only unless ``trust``; ``kwargs`` go to ``load_checkpoint_into`` (``key``,
    ``prefix``). Returns the local path."""
    path = os.path.expanduser(fetch_teacher(os.fspath(checkpoint)))
    load_checkpoint_into(model, path, strict=True, trust=trust, **kwargs)
    return path


def check_class_count(teacher_classes, student_classes, what, part="classifier") -> None:
    """One sentence when the teacher's ``part`` classifies another number of classes than the student's."""
    if int(teacher_classes) != int(student_classes):
        raise ClassCountError(
            f"{what}: the teacher's {part} has {teacher_classes} classes but the student's has {student_classes}; "
            f"teacher and student must share one class list"
        )


class HoldsTeacher:
    """Mixin (before ``nn.Module`` in the bases) that holds ``self.teacher`` outside the module tree:
    call :meth:`hold_teacher` in ``__init__``. ``_apply`` (``.to()``, ``.cuda()``, ``.double()``)
    moves the teacher too; ``train()`` leaves it in eval mode."""

    def hold_teacher(self, teacher):
        object.__setattr__(self, "teacher", None if teacher is None else freeze(teacher))
        return self.teacher

    def _held_teacher(self):
        return self.__dict__.get("teacher")

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        if self._held_teacher() is not None:
            self._held_teacher()._apply(fn, *args, **kwargs)
        return self

    def train(self, mode: bool = True):
        super().train(mode)
        if self._held_teacher() is not None:
            self._held_teacher().train(False)  # BN statistics and dropout of the teacher stay frozen
        return self
