"""Checkpoints of a Re-ID run, read with ``weights_only=True`` (the engine writes
them: ``ldrld_reid.engine.SoftmaxEngine.save_model``).

A training checkpoint keeps torchreid's own keys (``state_dict``, ``epoch`` =
epochs completed, ``rank1``, ``optimizer``, ``scheduler``), so torchreid's tools
read it too, plus ``meta`` (architecture, class count, loss) and ``rng``
(the random-number states at the end of that epoch).

torchreid's own checkpoints (``{'state_dict', 'epoch', 'rank1', 'optimizer',
'scheduler'}``, with numpy scalars and ``collections.Counter`` milestones)
load under ``weights_only=True``: ldrld_core allows the numpy types and torch
allows ``Counter``; :func:`allow_torchreid_checkpoints` registers them for the
whole process, e.g. for torchreid's own ``load_checkpoint``.
"""

import collections
import os

from ldrld_core import CheckpointError, allow_in_weights_only, extract_state_dict, load_checkpoint_into, read_checkpoint
from ldrld_core.atomic_io import atomic_torch_save, atomic_write_json

CLASSIFIER_KEY = "classifier.weight"  # torchreid's ResNets: the identity classifier


def allow_torchreid_checkpoints() -> None:
    """Let ``torch.load(weights_only=True)`` read what torchreid writes into its checkpoints."""
    allow_in_weights_only(collections.Counter)


def write_json_atomic(obj, path) -> str:
    return atomic_write_json(obj, path, sort_keys=True)


def save_weights(model, meta, path) -> str:
    """A run's final weights (what ``--teacher-checkpoint`` and ``tools/test_reid.py`` take)."""
    return atomic_torch_save(
        {"state_dict": model.state_dict(), "epoch": int(meta.get("max_epoch", 0)), "meta": dict(meta)}, path
    )


def num_classes_of(checkpoint, path) -> int:
    """Rows of a read checkpoint's identity classifier (the identities it was trained on)."""
    state = extract_state_dict(checkpoint, os.fspath(path))
    if CLASSIFIER_KEY not in state:
        raise CheckpointError(
            f"checkpoint {path} has no {CLASSIFIER_KEY!r}: expected a torchreid model trained with the "
            f"softmax loss (its keys start with: {', '.join(list(state)[:5])})"
        )
    return int(state[CLASSIFIER_KEY].shape[0])


def checkpoint_num_classes(path, trust=False) -> int:
    """:func:`num_classes_of` the checkpoint file at ``path``."""
    allow_torchreid_checkpoints()
    return num_classes_of(read_checkpoint(path, trust=trust), path)


def load_model_checkpoint(model, path, expected_classes=None, trust=False, role="teacher"):
    """Load a torchreid model's weights with ``ldrld_core.load_teacher_checkpoint``.

    With ``expected_classes`` the classifier's class count is checked first, so
    a checkpoint trained on other identities gives one clear error.
    """
    allow_torchreid_checkpoints()
    if expected_classes is not None:
        found = checkpoint_num_classes(path, trust)
        if found != expected_classes:
            raise CheckpointError(
                f"{role} checkpoint {path} classifies {found} identities but the training data has "
                f"{expected_classes}: the {role} must be trained on the same training identities "
                f"(the same --data-root)"
            )
    load_checkpoint_into(model, path, trust=trust)


def resume_training(path, model, optimizer, scheduler, meta, trust=False) -> int:
    """Restore weights, optimizer, scheduler and random-number states from ``path``;
    returns the epoch to start from. ``meta`` describes the run being resumed: a
    checkpoint of another architecture or distillation loss is refused."""
    from .engine import set_random_states

    allow_torchreid_checkpoints()
    checkpoint = read_checkpoint(path, trust=trust)
    missing = (
        [k for k in ("state_dict", "epoch", "optimizer") if k not in checkpoint]
        if isinstance(checkpoint, dict)
        else ["state_dict", "epoch", "optimizer"]
    )
    if missing:
        raise CheckpointError(
            f"--resume {path} is not a training checkpoint: it lacks {', '.join(missing)} "
            f"(expected a model/model.pth.tar-N that a training run writes)"
        )
    saved = checkpoint.get("meta") or {}
    for key in ("arch", "loss"):
        if key in saved and key in meta and saved[key] != meta[key]:
            raise CheckpointError(f"--resume {path} has {key} {saved[key]!r}, but this run has {key} {meta[key]!r}")
    try:
        model.load_state_dict(extract_state_dict(checkpoint["state_dict"], path))
        optimizer.load_state_dict(checkpoint["optimizer"])
        if scheduler is not None and checkpoint.get("scheduler") is not None:
            scheduler.load_state_dict(checkpoint["scheduler"])
    except (RuntimeError, ValueError, KeyError) as err:
        raise CheckpointError(f"--resume {path} does not fit this run's model or optimizer: {err}") from None
    if checkpoint.get("rng"):
        set_random_states(checkpoint["rng"])
    return int(checkpoint["epoch"])


def latest_checkpoint(save_dir):
    """The ``model/model.pth.tar-N`` with the largest N under ``save_dir``, or None."""
    folder = os.path.join(save_dir, "model")
    found = []
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        prefix, _, number = name.rpartition("-")
        if prefix == "model.pth.tar" and number.isdigit():
            found.append((int(number), os.path.join(folder, name)))
    return max(found)[1] if found else None
