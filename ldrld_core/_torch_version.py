"""The oldest torch this toolkit runs on, checked once at import.

Checkpoints are read with ``torch.load(weights_only=True)`` and an allow-list of
types (``torch.serialization.safe_globals``, ``get_safe_globals`` and
``get_unsafe_globals_in_checkpoint``), which torch 2.5 introduced; on an older
torch those calls fail deep inside a load, so the import says so in one sentence
instead.
"""

import re

MIN_TORCH = (2, 5)


def _release(version: str) -> tuple:
    """``(major, minor)`` of a version string such as ``2.14.1+cu130`` or ``2.6.0a0+git``."""
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def require_torch(version=None) -> None:
    """Raise one ``ImportError`` sentence when ``version`` (default: the installed torch's) is
    older than ``MIN_TORCH``."""
    if version is None:
        import torch

        version = torch.__version__
    if _release(str(version)) < MIN_TORCH:
        raise ImportError(
            f"ldrld needs torch >= {MIN_TORCH[0]}.{MIN_TORCH[1]} (its checkpoint loading uses "
            f"torch.serialization.safe_globals), but torch {version} is installed; install a newer torch "
            f"(requirements/pins.txt has the tested version)."
        )
