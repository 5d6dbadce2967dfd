"""Initial weights of your own for the network a run trains (a student, or a teacher in its own
run): ``model.init_checkpoint``, where torchreid's recipes start from ImageNet (``pretrained=True``).

The file is a state dict (raw, ``{'state_dict': ...}``, ``{'model': ...}``; ``module.`` prefixes
are dropped by ``ldrld_core.extract_state_dict``), read weights-only. It is loaded non-strictly,
as a backbone: keys the network lacks are skipped, the network's keys the file lacks keep their
fresh values, and so does the classifier when its class count differs (a backbone trained on
other classes); all of them are named in one log line. A file of another architecture (a key
present in both with another shape outside the classifier) is refused in one sentence that names
the file and the first such key.
"""

from ldrld_core import CheckpointError, extract_state_dict, read_checkpoint
from ldrld_core.checkpoint import run_checkpoint

CLASSIFIER = "classifier."  # torchreid's identity classifier: trained anew on the training identities


def _listing(keys, limit=6):
    keys = sorted(keys)
    shown = ", ".join(keys[:limit]) + (f" and {len(keys) - limit} more" if len(keys) > limit else "")
    return f"{len(keys)} ({shown})" if keys else "0"


def load_init_checkpoint(model, path, role, trust=False, log=print):
    """Load ``path`` into ``model`` as its initial weights (``role``: the config key, for messages);
    returns ``(loaded, skipped, missing)`` key lists. ``path``: a checkpoint file, or the work dir of
    the run that trained it."""
    path = run_checkpoint(path, role)
    try:
        state = extract_state_dict(read_checkpoint(path, trust=trust), path)
    except CheckpointError as err:
        raise CheckpointError(f"{role} {path}: {err}") from None
    own = model.state_dict()
    loaded, skipped = {}, []
    for key, value in state.items():
        if key not in own:
            skipped.append(key)
        elif tuple(value.shape) != tuple(own[key].shape):
            if not key.startswith(CLASSIFIER):
                raise CheckpointError(
                    f"{role} {path} does not fit {type(model).__name__}: {key} has shape {tuple(value.shape)} in "
                    f"the file and {tuple(own[key].shape)} in the network (a checkpoint of another architecture?)"
                )
            skipped.append(key)
        else:
            loaded[key] = value
    if not loaded:
        raise CheckpointError(
            f"{role} {path} shares no weight with {type(model).__name__}: none of its {len(state)} keys "
            f"(e.g. {next(iter(state), '-')}) is a key of the network"
        )
    model.load_state_dict(loaded, strict=False)
    missing = sorted(k for k in own if k not in loaded)
    log(
        f"=> {role}: {len(loaded)} tensors loaded from {path}; skipped {_listing(skipped)}; "
        f"missing, left as initialised: {_listing(missing)}"
    )
    return sorted(loaded), sorted(skipped), missing
