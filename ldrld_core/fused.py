"""LDRLD's per-row terms on a CPU in one C kernel (``csrc/ldrld_cpu.c``): the forward and the
backward each walk every row once, with no torch ops in between.

The kernel is plain C (no torch headers) and is built with the system's C compiler the first
time it is needed, into ``$LDRLD_KERNEL_CACHE`` (default ``~/.cache/ldrld/kernels``), keyed by
a hash of its source; ``make install`` builds it once. The vectorised loops are compiled for
AVX-512, AVX2 and plain x86-64 and the CPU picks at load time. Where no compiler is found or
the build fails, ``available()`` is False (after one warning) and ``ldrld_core`` uses its
torch-op implementation (``ldrld_function.LDRLDRows``), as it always does on other devices;
``LDRLD_FUSED=0`` forces that too.
"""
import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import warnings

import torch

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "csrc", "ldrld_cpu.c")
FLAGS = ["-O3", "-std=gnu11", "-fPIC", "-shared", "-ffast-math", "-fopenmp-simd"]
_STATE = {}


def _cache_dir():
    return os.environ.get("LDRLD_KERNEL_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "ldrld", "kernels")


def build(verbose=False):
    """The path of the compiled kernel, building it when the cache lacks it (None on failure)."""
    with open(SOURCE, "rb") as f:
        digest = hashlib.sha256(f.read() + " ".join(FLAGS).encode()).hexdigest()[:16]
    target = os.path.join(_cache_dir(), digest, "ldrld_cpu.so")
    if os.path.isfile(target):
        return target
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise OSError("no C compiler (cc, gcc or $CC) on PATH")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=os.path.dirname(target))
    os.close(fd)
    try:
        subprocess.run([compiler, *FLAGS, "-o", tmp, SOURCE, "-lm"], check=True, capture_output=not verbose)
        os.replace(tmp, target)  # whole or not at all: concurrent first uses race harmlessly
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target


def _load():
    if "lib" in _STATE:
        return _STATE["lib"]
    lib = None
    if os.environ.get("LDRLD_FUSED", "1") != "0":
        try:
            lib = ctypes.CDLL(build())
            p, i64, f64, i32 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double, ctypes.c_int
            for suffix in ("f32", "f64"):
                forward = getattr(lib, f"ldrld_forward_{suffix}")
                forward.argtypes = [p, p, i64, i64, i64, f64, i32, p, p, p, p, p, p, p, p]
                backward = getattr(lib, f"ldrld_backward_{suffix}")
                backward.argtypes = [p, p, i64, i64, i64, f64, p, p, p, p, p, p, p, p, p, p]
        except (OSError, subprocess.CalledProcessError) as err:
            detail = err.stderr.decode(errors="replace").strip()[-300:] if getattr(err, "stderr", None) else err
            warnings.warn(f"ldrld_core: the fused CPU kernel is unavailable ({detail}); using the torch-op "
                          f"implementation", RuntimeWarning, stacklevel=3)
            lib = None
    _STATE["lib"] = lib
    return lib


def available() -> bool:
    return _load() is not None


def usable(student, teacher, depth) -> bool:
    """Whether the kernel takes these inputs: CPU tensors of float32 or float64, d <= 64."""
    return (student.device.type == "cpu" and student.dtype in (torch.float32, torch.float64)
            and teacher.dtype == student.dtype and depth <= 64 and available())


def _ptr(x):
    return ctypes.c_void_p(x.data_ptr()) if x is not None else None


class FusedLDRLDRows(torch.autograd.Function):
    """``(local, rntk)`` per row, each already multiplied by ``T^2`` (``ldrld_function.LDRLDRows``' twin)."""

    @staticmethod
    def forward(ctx, student, teacher, depth, T, by_teacher, weights):
        s, t = student.contiguous(), teacher.contiguous()
        n, c = s.shape
        top = torch.empty((n, depth), dtype=torch.int64)
        ps, pt = torch.empty_like(s), torch.empty_like(s)
        dl, kl, local, rntk = (s.new_empty(n) for _ in range(4))
        suffix = "f32" if s.dtype == torch.float32 else "f64"
        status = getattr(_load(), f"ldrld_forward_{suffix}")(
            _ptr(s), _ptr(t), n, c, depth, float(T), int(by_teacher), _ptr(weights), _ptr(top), _ptr(ps), _ptr(pt),
            _ptr(dl), _ptr(kl), _ptr(local), _ptr(rntk))
        if status:
            raise ValueError(f"depth must satisfy 2 <= depth <= min(C, 64), got depth={depth} with C={c}")
        ctx.meta = (n, c, depth, float(T), suffix)
        ctx.save_for_backward(s, t, weights, top, ps, pt, dl, kl)
        return local, rntk

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_local, grad_rntk):
        s, t, weights, top, ps, pt, dl, kl = ctx.saved_tensors
        n, c, depth, T, suffix = ctx.meta
        need_s, need_t = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_s = torch.empty_like(s) if need_s else None
        grad_t = torch.empty_like(t) if need_t else None
        if need_s or need_t:
            grad_local = grad_local.to(s.dtype).contiguous()
            grad_rntk = grad_rntk.to(s.dtype).contiguous()
            getattr(_load(), f"ldrld_backward_{suffix}")(
                _ptr(s), _ptr(t), n, c, depth, T, _ptr(weights), _ptr(top), _ptr(ps), _ptr(pt), _ptr(dl), _ptr(kl),
                _ptr(grad_local), _ptr(grad_rntk), _ptr(grad_s), _ptr(grad_t))
        return grad_s, grad_t, None, None, None, None
