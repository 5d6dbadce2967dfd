"""LDRLD's per-row terms on a CPU in one C kernel (``csrc/ldrld_cpu.c``): the forward and the
backward each walk every row once, with no torch ops in between.

The kernel is plain C (no torch headers) and is built with the system's C compiler the first
time it is needed, into ``$LDRLD_KERNEL_CACHE`` (default ``~/.cache/ldrld/kernels``), keyed by
a hash of its source; ``make install`` builds it once. On x86-64 with GCC it holds builds for
AVX-512, AVX2 and plain x86-64, and the one that matches torch's own CPU capability runs
(``ATEN_CPU_CAPABILITY=avx2`` or ``=default`` selects the narrower builds, as it does torch's
kernels). Where no compiler is found or the build fails, ``available()`` is False (after one
warning) and ``ldrld_core`` uses its torch-op implementation (``ldrld_function.LDRLDRows``), as
it always does on other devices; ``LDRLD_FUSED=0`` forces that too.
"""

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor

import torch

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "csrc", "ldrld_cpu.c")
FLAGS = ["-O3", "-std=gnu11", "-fPIC", "-ffast-math", "-fopenmp-simd"]  # compile flags (linked without them)
_STATE = {}
# a batch this large (rows x classes) is split into row chunks, one per torch CPU thread; the
# kernel calls release the GIL (ctypes), so the chunks run at once on a pool of Python threads
PARALLEL_MIN = 1 << 16
MIN_CHUNK_ROWS = 32


def _cache_dir():
    return os.environ.get("LDRLD_KERNEL_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "ldrld", "kernels")


def _compiler():
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise OSError("no C compiler (cc, gcc or $CC) on PATH")
    return compiler


def build(verbose=False):
    """The path of the compiled kernel, building it when the cache lacks it (None on failure).

    Compiled with FLAGS, then linked without them: linking a shared library with -ffast-math
    would add GCC's crtfastmath.o, which turns on flush-to-zero for the whole process when the
    library loads. The cache key holds the source, the flags, the machine and the compiler."""
    compiler = _compiler()
    where = os.path.realpath(shutil.which(compiler) or compiler)
    with open(SOURCE, "rb") as f:
        key = f.read() + " ".join(FLAGS + [platform.machine(), where]).encode()
    digest = hashlib.sha256(key).hexdigest()[:16]
    target = os.path.join(_cache_dir(), digest, "ldrld_cpu.so")
    if os.path.isfile(target):
        return target
    os.makedirs(os.path.dirname(target), exist_ok=True)
    work = tempfile.mkdtemp(prefix=".build-", dir=os.path.dirname(target))
    obj, lib = os.path.join(work, "ldrld_cpu.o"), os.path.join(work, "ldrld_cpu.so")
    try:
        subprocess.run([compiler, *FLAGS, "-c", "-o", obj, SOURCE], check=True, capture_output=not verbose)
        subprocess.run([compiler, "-shared", "-o", lib, obj, "-lm"], check=True, capture_output=not verbose)
        os.replace(lib, target)  # whole or not at all: concurrent first uses race harmlessly
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def isa() -> str:
    """The kernel build to run: torch's CPU capability (``ATEN_CPU_CAPABILITY`` honoured)."""
    capability = torch.backends.cpu.get_cpu_capability().lower()
    return "avx512" if capability.startswith("avx512") else "avx2" if capability == "avx2" else "default"


def _load():
    if "lib" in _STATE:
        return _STATE["lib"]
    lib = None
    if os.environ.get("LDRLD_FUSED", "1") != "0":
        try:
            lib = ctypes.CDLL(build())
            p, i64, f64, i32 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double, ctypes.c_int
            variant = isa() if hasattr(lib, f"ldrld_forward_f32_{isa()}") else "default"
            for dtype, name in ((torch.float32, "f32"), (torch.float64, "f64")):
                forward = getattr(lib, f"ldrld_forward_{name}_{variant}")
                forward.argtypes = [p, p, i64, i64, i64, f64, i32, p, p, p, p, p, p, p, p, f64, f64, p, p]
                forward.restype = i32
                backward = getattr(lib, f"ldrld_backward_{name}_{variant}")
                backward.argtypes = [p, p, i64, i64, i64, f64, p, p, p, p, p, p, p, p, i64, f64, f64, p, p]
                _STATE[dtype] = (forward, backward)
            _STATE["variant"] = variant
        except (OSError, subprocess.CalledProcessError) as err:
            detail = err.stderr.decode(errors="replace").strip()[-300:] if getattr(err, "stderr", None) else err
            warnings.warn(
                f"ldrld_core: the fused CPU kernel is unavailable ({detail}); using the torch-op implementation",
                RuntimeWarning,
                stacklevel=3,
            )
            lib = None
    _STATE["lib"] = lib
    return lib


def available() -> bool:
    return _load() is not None


def usable(student, teacher, depth) -> bool:
    """Whether the kernel takes these inputs: CPU tensors of float32 or float64, d <= 64."""
    return (
        student.device.type == "cpu"
        and teacher.device.type == "cpu"
        and student.dtype in (torch.float32, torch.float64)
        and teacher.dtype == student.dtype
        and depth <= 64
        and available()
    )


def _ptr(x, offset=0):
    return x.data_ptr() + offset * x.element_size() if x is not None else None


def _chunks(n, c):
    """Row ranges ``[(lo, hi), ...]`` for the kernel calls: one for a small batch."""
    threads = torch.get_num_threads()
    if threads < 2 or n * c < PARALLEL_MIN:
        return [(0, n)]
    k = max(1, min(threads, n // MIN_CHUNK_ROWS))
    bounds = [n * i // k for i in range(k + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def _run_all(calls):
    """Results of the zero-argument ``calls``, all but the first on the thread pool."""
    if len(calls) == 1:
        return [calls[0]()]
    key = (os.getpid(), len(calls) - 1)  # a forked child gets a pool of its own (the parent's threads are gone)
    if _STATE.get("pool_key") != key:
        _STATE["pool"] = ThreadPoolExecutor(len(calls) - 1, thread_name_prefix="ldrld-fused")
        _STATE["pool_key"] = key
    pool = _STATE["pool"]
    futures = [pool.submit(call) for call in calls[1:]]
    return [calls[0]()] + [f.result() for f in futures]


def _row_args(s, t, weights, top, buf, lo, hi, depth, T):
    """What both kernels take for rows ``lo..hi``, in two parts (the forward puts ``by_teacher`` between
    them): the logits, the row count, C, depth and T; then the rank weights, the top-d indices and, from
    the forward's buffer, p_s, p_t, the log-sum-exp gap and the RNTK KL."""
    n, c = s.shape
    size = s.element_size()
    row, grid, base = lo * size, lo * c * size, buf.data_ptr()
    head = (s.data_ptr() + grid, t.data_ptr() + grid, hi - lo, c, depth, T)
    saved = (
        base + grid,
        base + n * c * size + grid,
        base + 2 * n * c * size + row,
        base + (2 * n * c + n) * size + row,
    )
    return head, (weights.data_ptr(), top.data_ptr() + lo * depth * 8, *saved)


def _kernels(dtype):
    """``(forward, backward)`` C functions for this dtype, of the instruction set ``isa()`` chose."""
    _load()
    return _STATE[dtype]


class FusedLDRLD(torch.autograd.Function):
    """LDRLD's two terms from the C kernel: per row (``alpha``/``beta`` None; each term already
    multiplied by ``T^2``, as ``ldrld_function.LDRLDRows``) or, with ``alpha`` and ``beta``,
    ``(alpha * mean local, beta * mean rntk)`` as two scalars, the means taken in the kernel."""

    @staticmethod
    def forward(ctx, student, teacher, depth, T, by_teacher, weights, alpha=None, beta=None):
        s, t = student.contiguous(), teacher.contiguous()
        n, c = s.shape
        size = s.element_size()
        top = torch.empty((n, depth), dtype=torch.int64)
        # one buffer: p_s, p_t (n x c each), then per row lse_t - lse_s, RNTK KL, local, rntk, then the means
        buf = torch.empty(2 * n * c + 4 * n + 2, dtype=s.dtype)
        local, rntk, means = (buf.data_ptr() + (2 * n * c + k * n) * size for k in (2, 3, 4))
        kernel = _kernels(s.dtype)[0]
        chunks = _chunks(n, c)
        with_means = alpha is not None
        a, b = float(alpha or 0.0), float(beta or 0.0)
        parts = torch.empty((len(chunks), 2), dtype=s.dtype) if with_means and len(chunks) > 1 else None

        def call(lo, hi, mean_local, mean_rntk):  # rows lo..hi; a chunk's means weighted by its share of rows
            share, row = (hi - lo) / n, lo * size
            head, saved = _row_args(s, t, weights, top, buf, lo, hi, depth, T)
            return kernel(
                *head, by_teacher, *saved, local + row, rntk + row, a * share, b * share, mean_local, mean_rntk
            )

        if len(chunks) == 1:
            status = call(0, n, *((means, means + size) if with_means else (None, None)))
        else:  # the chunks' means summed after
            calls = [
                lambda lo=lo, hi=hi, i=i: call(lo, hi, _ptr(parts, 2 * i), _ptr(parts, 2 * i + 1))
                for i, (lo, hi) in enumerate(chunks)
            ]
            status = min(_run_all(calls))
            if with_means:
                buf[-2:] = parts.sum(0)
        if status < 0:
            raise ValueError(f"depth must satisfy 2 <= depth <= min(C, 64), got depth={depth} with C={c}")
        # status > 0: rows with a NaN or an infinity; their terms are NaN, which the caller's value check finds
        ctx.meta = (n, c, depth, T, chunks, alpha, beta)
        ctx.save_for_backward(s, t, weights, top, buf)
        if with_means:
            return buf[-2], buf[-1]
        return buf[2 * n * c + 2 * n : 2 * n * c + 3 * n], buf[2 * n * c + 3 * n : 2 * n * c + 4 * n]

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_local, grad_rntk):
        s, t, weights, top, buf = ctx.saved_tensors
        n, c, depth, T, chunks, alpha, beta = ctx.meta
        need_s, need_t = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_s = torch.empty_like(s) if need_s else None
        grad_t = torch.empty_like(t) if need_t else None
        if not (need_s or need_t):
            return None, None, None, None, None, None, None, None
        if alpha is None:
            stride, scale_local, scale_rntk = 1, 1.0, 1.0
        else:
            stride, scale_local, scale_rntk = 0, alpha / max(n, 1), beta / max(n, 1)
        grad_local = grad_local.to(s.dtype).contiguous()
        grad_rntk = grad_rntk.to(s.dtype).contiguous()
        row_bytes = s.element_size() * stride
        kernel = _kernels(s.dtype)[1]

        def call(lo, hi):
            head, saved = _row_args(s, t, weights, top, buf, lo, hi, depth, T)
            grads = (grad_local.data_ptr() + lo * row_bytes, grad_rntk.data_ptr() + lo * row_bytes)
            return kernel(
                *head, *saved, *grads, stride, scale_local, scale_rntk, _ptr(grad_s, lo * c), _ptr(grad_t, lo * c)
            )

        if len(chunks) == 1:
            call(0, n)
        else:
            _run_all([lambda lo=lo, hi=hi: call(lo, hi) for lo, hi in chunks])
        return grad_s, grad_t, None, None, None, None, None, None
