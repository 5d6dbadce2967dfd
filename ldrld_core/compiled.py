"""Optional ``torch.compile`` of the loss kernels, with a clean eager fallback.

``compiled(fn)`` returns a callable that compiles ``fn`` on first use; when
compilation is unavailable (no compiler toolchain, an unsupported platform, a
torch built without inductor) it warns once and runs ``fn`` eagerly from then on.
"""

import functools
import warnings

import torch


def compiled(fn, **compile_kwargs):
    state = {"fn": None}

    @functools.wraps(fn)
    def run(*args, **kwargs):
        if state["fn"] is None:
            try:
                state["fn"] = torch.compile(fn, **compile_kwargs)
            except Exception as err:  # torch.compile itself unavailable
                warnings.warn(
                    f"torch.compile unavailable ({type(err).__name__}: {err}); running {fn.__name__} eagerly",
                    RuntimeWarning,
                    stacklevel=2,
                )
                state["fn"] = fn
        if state["fn"] is fn:
            return fn(*args, **kwargs)
        try:
            return state["fn"](*args, **kwargs)
        except Exception as err:
            if not _is_compile_failure(err):
                raise
            warnings.warn(
                f"torch.compile failed for {fn.__name__} ({type(err).__name__}); running it eagerly from now on",
                RuntimeWarning,
                stacklevel=2,
            )
            state["fn"] = fn
            return fn(*args, **kwargs)

    return run


def _is_compile_failure(err) -> bool:
    dynamo = getattr(torch, "_dynamo", None)
    exc = getattr(dynamo, "exc", None)
    names = ("BackendCompilerFailed", "InternalTorchDynamoError", "Unsupported")
    kinds = tuple(k for k in (getattr(exc, name, None) for name in names) if k is not None)
    if kinds and isinstance(err, kinds):
        return True
    return type(err).__module__.startswith(("torch._inductor", "torch._dynamo"))
