"""One way into torchreid, whichever layout is installed.

PyPI's ``torchreid`` 0.2.5 repackages deep-person-reid 1.4.0 with its code
under ``torchreid.reid`` (``from torchreid.utils import ...`` fails there);
deep-person-reid installed from source has ``torchreid.utils``,
``torchreid.data`` etc. at the top. Attribute access on the package works for
the main parts in both; :func:`submodule` tries the attribute, then each of
the two module paths.
"""

import importlib

_LAYOUTS = ("torchreid.{name}", "torchreid.reid.{name}")


def torchreid():
    try:
        return importlib.import_module("torchreid")
    except ImportError as err:
        raise ImportError(
            f"ldrld_reid needs torchreid (PyPI `torchreid`, or deep-person-reid installed from source): "
            f"{err}. Install the project's extras: pip install -e .[reid]"
        ) from err


def submodule(name):
    """``torchreid.<name>`` (upstream layout) or ``torchreid.reid.<name>`` (PyPI 0.2.5)."""
    package = torchreid()
    found = getattr(package, name, None)
    if found is not None:
        return found
    errors = []
    for pattern in _LAYOUTS:
        try:
            return importlib.import_module(pattern.format(name=name))
        except ImportError as err:
            errors.append(f"{pattern.format(name=name)}: {err}")
    raise ImportError(f"torchreid has no {name!r} module in either known layout ({'; '.join(errors)})")


def data():
    return submodule("data")


def models():
    return submodule("models")


def metrics():
    return submodule("metrics")


def optim():
    return submodule("optim")


def engine():
    return submodule("engine")


def utils():
    return submodule("utils")


def image_softmax_engine():
    """torchreid's ``ImageSoftmaxEngine`` class."""
    return engine().ImageSoftmaxEngine


def set_random_seed(seed: int) -> None:
    """torchreid's seeding (python, numpy, torch, CUDA)."""
    utils().set_random_seed(seed)
