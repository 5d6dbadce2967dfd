"""Checkpoints: one loader for detection, Re-ID and classification, teachers and students alike.

Weights are often downloaded files, so they are read with
``torch.load(weights_only=True)``; the harmless types that common checkpoints
carry (numpy scalars and arrays in their metadata) are allowed. A file that
needs full unpickling is refused unless the caller opts in with ``trust=True``
(``--trust-checkpoint`` on the command line).
"""

import os
import pickle
from collections import OrderedDict

import torch

from .errors import CheckpointError

# Keys under which checkpoint formats keep the weights, most specific first.
STATE_DICT_KEYS = ("state_dict", "model", "model_state_dict", "net", "student")


LAST_CHECKPOINT = "last_checkpoint"  # MMEngine's name for the file in a work dir that names its latest checkpoint


def run_checkpoint(path, option="checkpoint"):
    """``path`` itself, or for a run's work dir the checkpoint its ``last_checkpoint`` file names (what
    MMEngine's CheckpointHook and ``tools/train_reid.py`` write): so a teacher or a student can be named
    by the folder its run wrote, without predicting the checkpoint's file name."""
    path = os.path.expanduser(os.fspath(path))
    if not os.path.isdir(path):
        return path
    pointer = os.path.join(path, LAST_CHECKPOINT)
    if not os.path.isfile(pointer):
        raise CheckpointError(
            f"{option} {path}: a folder without {LAST_CHECKPOINT}; expected a checkpoint file or the "
            f"work dir of a run that saved one"
        )
    with open(pointer) as f:
        named = f.read().strip()
    named = named if os.path.isabs(named) else os.path.join(path, named)
    if not os.path.isfile(named):
        raise CheckpointError(f"{option} {path}: its {LAST_CHECKPOINT} names {named}, which does not exist")
    return named


def write_last_checkpoint(work_dir, checkpoint) -> str:
    """``work_dir/last_checkpoint`` naming ``checkpoint`` (as MMEngine writes it), atomically."""
    from .atomic_io import atomic_write_bytes

    return atomic_write_bytes(os.path.abspath(checkpoint).encode(), os.path.join(work_dir, LAST_CHECKPOINT))


def _numpy_safe_globals():
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy ships with torch
        return []
    found = [np.ndarray, np.dtype]
    for module_name in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            module = __import__(module_name, fromlist=["scalar", "_reconstruct"])
        except ImportError:
            continue
        found += [getattr(module, n) for n in ("scalar", "_reconstruct") if hasattr(module, n)]
    found += [
        type(np.dtype(t))
        for t in (
            "float16",
            "float32",
            "float64",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "bool",
            "U1",
            "O",
        )
    ]
    return found


def allow_in_weights_only(*types) -> None:
    """Let ``torch.load(weights_only=True)`` (torch's default since 2.6) read
    numpy values and the given classes anywhere in this process. The trainers
    call it with the classes their framework writes into its own checkpoints
    (e.g. MMEngine's log buffers), so that resuming from them works."""
    torch.serialization.add_safe_globals(_numpy_safe_globals() + list(types))


_METHOD_OWNERS = set()


def _owned_method(obj, name):
    """``getattr`` as weights-only unpickling may use it: only public methods of
    the classes given to :func:`allow_methods_in_weights_only` resolve."""
    if obj in _METHOD_OWNERS and not name.startswith("_") and callable(getattr(obj, name, None)):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f"weights-only loading resolves getattr only for public methods of "
        f"{sorted(c.__name__ for c in _METHOD_OWNERS)}, not {getattr(obj, '__name__', type(obj).__name__)}.{name}"
    )


def allow_methods_in_weights_only(*classes) -> None:
    """Allow ``classes`` and the pickled references to their public methods
    (pickle writes a method as ``getattr(cls, name)``) for weights-only loading.
    ``getattr`` itself stays forbidden: it is replaced by a stand-in that
    resolves exactly those methods. MMEngine's ``HistoryBuffer``, which every
    MMEngine checkpoint holds, needs this."""
    _METHOD_OWNERS.update(classes)
    allow_in_weights_only(*classes, (_owned_method, "builtins.getattr"))


def _torch_load(path, map_location, trust, extra_safe_globals):
    if trust:
        return torch.load(path, map_location=map_location, weights_only=False)
    allowed = _numpy_safe_globals() + list(extra_safe_globals or [])
    # safe_globals() removes on exit what it added on entry, even entries that
    # were allowed process-wide before (allow_in_weights_only): add only the new ones.
    already = torch.serialization.get_safe_globals()
    try:
        with torch.serialization.safe_globals([g for g in allowed if g not in already]):
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        unsafe = _unsafe_globals(path, allowed)
        if unsafe:
            raise CheckpointError(
                f"checkpoint {path} holds Python objects beyond tensors and plain data, so it was not "
                f"loaded (weights_only=True). It references: {', '.join(unsafe)}. If you trust this file, "
                f"pass trust=True (on the command line: --trust-checkpoint)."
            ) from err
        raise CheckpointError(
            f"could not read checkpoint {path}: {_reason(err)}. It is damaged or not a torch checkpoint; "
            f"if it is an old-format checkpoint holding Python objects and you trust it, pass trust=True "
            f"(--trust-checkpoint)."
        ) from err


def _unsafe_globals(path, allowed):
    """The classes a zip-format checkpoint would need unpickled beyond ``allowed``."""
    try:
        found = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # not a zip-format checkpoint: nothing to list
        return []
    known = {
        g[1] if isinstance(g, tuple) else f"{getattr(g, '__module__', '')}.{getattr(g, '__qualname__', '')}"
        for g in list(allowed) + list(torch.serialization.get_safe_globals())
    }
    return [name for name in found if name not in known]


def _reason(err) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    for k, line in enumerate(lines):
        if line.startswith("WeightsUnpickler error") and k + 1 < len(lines):
            return lines[k + 1]
    return lines[0] if lines else type(err).__name__


def add_trust_flag(parser) -> None:
    """``--trust-checkpoint`` on an argparse parser: the opt-in every tool that reads checkpoints takes."""
    parser.add_argument(
        "--trust-checkpoint",
        action="store_true",
        help="load checkpoints that need full unpickling (only files you trust)",
    )


def read_checkpoint(path, map_location="cpu", trust=False, extra_safe_globals=()):
    """Read a checkpoint file safely; errors name the file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f"checkpoint {path}: no such file")
    try:
        return _torch_load(path, map_location, trust, extra_safe_globals)
    except CheckpointError:
        raise
    except Exception as err:
        raise CheckpointError(f"could not read checkpoint {path}: {type(err).__name__}: {err}") from err


def extract_state_dict(checkpoint, path="<checkpoint>", key=None):
    """The weights in a raw state dict, ``{'model': ...}``, ``{'state_dict': ...}``
    (or ``key`` when given), with ``module.`` prefixes (DataParallel/DDP) removed."""
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f"checkpoint {path} holds a {type(checkpoint).__name__}, not a dict of weights")
    state = checkpoint
    if key is not None:
        if key not in checkpoint:
            raise CheckpointError(f"checkpoint {path} has no key {key!r}; its keys: {sorted(checkpoint)[:20]}")
        state = checkpoint[key]
    elif not any(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        for k in STATE_DICT_KEYS:
            if isinstance(checkpoint.get(k), dict):
                state = checkpoint[k]
                break
        else:
            raise CheckpointError(
                f"checkpoint {path} holds no weights: expected a state dict or a dict with one of the keys "
                f"{list(STATE_DICT_KEYS)}, found keys {sorted(map(str, checkpoint))[:20]}"
            )
    state = OrderedDict((k, v) for k, v in state.items() if isinstance(v, torch.Tensor))
    if state and all(k.startswith("module.") for k in state):
        state = OrderedDict((k[len("module.") :], v) for k, v in state.items())
    return state


def _mismatch_report(model, state):
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    return missing, unexpected, shapes


def _listing(title, items, limit=10):
    if not items:
        return ""
    more = f" ... and {len(items) - limit} more" if len(items) > limit else ""
    return f"\n  {title} ({len(items)}): " + ", ".join(items[:limit]) + more


def load_checkpoint_into(
    model, path, strict=True, trust=False, key=None, prefix=None, map_location="cpu", extra_safe_globals=()
):
    """Load the weights in ``path`` into ``model`` (a teacher, or a trained student to evaluate).

    Accepts a raw state dict, ``{'model': ...}`` (the KD literature's CIFAR
    teachers), ``{'state_dict': ...}`` (MMEngine/MMDetection) and ``module.``
    prefixes. ``prefix`` keeps only keys under it (and strips it), e.g.
    ``'backbone.'``. Strict by default: one :class:`CheckpointError` names the
    file and lists missing keys, unexpected keys and shape mismatches.
    Returns the ``(missing, unexpected)`` key lists (empty when strict).
    """
    checkpoint = read_checkpoint(path, map_location, trust, extra_safe_globals)
    state = extract_state_dict(checkpoint, path, key)
    if prefix:
        state = OrderedDict((k[len(prefix) :], v) for k, v in state.items() if k.startswith(prefix))
    missing, unexpected, shapes = _mismatch_report(model, state)
    if shapes or (strict and (missing or unexpected)):
        raise CheckpointError(
            f"checkpoint {path} does not fit {type(model).__name__}: is it a checkpoint of another "
            f"architecture or class count?"
            + _listing("missing keys", missing)
            + _listing("unexpected keys", unexpected)
            + _listing("shape mismatches", shapes)
        )
    model.load_state_dict(state, strict=strict)
    return missing, unexpected
