"""NVRTC through ctypes: CUDA C to PTX, with no GPU and no CuPy.

The cupy backend compiles its kernels here rather than with ``cupy.RawModule(code=...)``:
CuPy appends ``-ftz=true`` after the caller's options (its ``_compile_with_cache_cuda``),
and NVRTC takes the last of two ``-ftz`` options, so float32 subnormals would flush to
zero, unlike NumPy. NVRTC needs no device (only the PTX is loaded on one), so tests
compile every kernel of the op suite with the backend's exact options on a machine
without a GPU, given a ``libnvrtc`` (the ``nvidia-cuda-nvrtc-cu12`` wheel has one).

``load()`` finds the library: one already loaded in the process (CuPy's), the wheel's
``nvidia/cuda_nvrtc/lib``, ``$CUDA_PATH``/``$CUDA_HOME``/``/usr/local/cuda``, the
loader's path.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import importlib.util
import os

_LIB = ...   # not looked for yet


class NvrtcError(RuntimeError):
    """A program NVRTC rejected; the message ends with its log."""


def _candidates():
    # already loaded (CuPy's) or on the loader's path
    yield from ("libnvrtc.so.12", "libnvrtc.so.13", "libnvrtc.so")
    try:
        spec = importlib.util.find_spec("nvidia.cuda_nvrtc")
    except (ImportError, ValueError):
        spec = None
    dirs = [os.path.join(p, "lib") for p in (spec.submodule_search_locations or [])] \
        if spec is not None else []
    try:
        cu13 = importlib.util.find_spec("nvidia.cu13")   # the CUDA 13 wheels' layout
    except (ImportError, ValueError):
        cu13 = None
    if cu13 is not None:
        dirs += [os.path.join(p, "lib") for p in (cu13.submodule_search_locations or [])]
    for var in ("CUDA_PATH", "CUDA_HOME"):
        if os.environ.get(var):
            dirs.append(os.path.join(os.environ[var], "lib64"))
    dirs.append("/usr/local/cuda/lib64")
    for d in dirs:
        yield from sorted(glob.glob(os.path.join(d, "libnvrtc.so*")))
    found = ctypes.util.find_library("nvrtc")
    if found:
        yield found


def load():
    """The NVRTC library (a ``ctypes.CDLL``), or None where none can be found."""
    global _LIB
    if _LIB is ...:
        _LIB = None
        for path in _candidates():
            if "builtins" in os.path.basename(path) or ".alt." in os.path.basename(path):
                continue
            try:
                lib = ctypes.CDLL(path)
                lib.nvrtcCreateProgram   # noqa: B018 - a library of that name, not NVRTC?
            except (OSError, AttributeError):
                continue
            _LIB = lib
            break
    return _LIB


def version() -> tuple[int, int]:
    lib = _need()
    major, minor = ctypes.c_int(), ctypes.c_int()
    _check(lib, lib.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor)))
    return major.value, minor.value


def supported_archs() -> list[int]:
    """The ``sm_XX`` numbers this NVRTC can compile for."""
    lib = _need()
    n = ctypes.c_int()
    _check(lib, lib.nvrtcGetNumSupportedArchs(ctypes.byref(n)))
    archs = (ctypes.c_int * n.value)()
    _check(lib, lib.nvrtcGetSupportedArchs(archs))
    return list(archs)


def compile_ptx(source: str, options, name: str = "weldish.cu") -> str:
    """PTX of ``source`` compiled with ``options`` (``-arch=compute_XX``)."""
    return compile_program(source, options, "ptx", name).decode()


def compile_program(source: str, options, output: str = "ptx",
                    name: str = "weldish.cu") -> bytes:
    """``source`` compiled with ``options``: its PTX, or its CUBIN (``output="cubin"``,
    with ``-arch=sm_XX``); ``NvrtcError`` with NVRTC's log if it rejects it."""
    lib = _need()
    prog = ctypes.c_void_p()
    _check(lib, lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), name.encode(),
                                       0, None, None))
    try:
        opts = [o.encode() for o in options]
        argv = (ctypes.c_char_p * max(1, len(opts)))(*opts)
        status = lib.nvrtcCompileProgram(prog, len(opts), argv)
        size = ctypes.c_size_t()
        _check(lib, lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size)))
        log = ctypes.create_string_buffer(size.value)
        _check(lib, lib.nvrtcGetProgramLog(prog, log))
        if status != 0:
            raise NvrtcError(f"NVRTC rejected the program ({_error(lib, status)}) with "
                             f"options {list(options)}:\n{_errors(log.value.decode(errors='replace'))}")
        get_size, get = (lib.nvrtcGetCUBINSize, lib.nvrtcGetCUBIN) if output == "cubin" \
            else (lib.nvrtcGetPTXSize, lib.nvrtcGetPTX)
        _check(lib, get_size(prog, ctypes.byref(size)))
        out = ctypes.create_string_buffer(size.value)
        _check(lib, get(prog, out))
        return out.raw[:size.value].rstrip(b"\0") if output == "ptx" else out.raw[:size.value]
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))


def _errors(log: str) -> str:
    """The log's errors, each with the two lines that show where (not its warnings)."""
    lines = log.splitlines()
    keep = [k for k, line in enumerate(lines) if "error" in line]
    return "\n".join(lines[j] for j in sorted({j for k in keep for j in range(k, k + 3)})
                     if j < len(lines)) or log[-4000:]


def _need():
    lib = load()
    if lib is None:
        raise NvrtcError("libnvrtc not found (pip install nvidia-cuda-nvrtc-cu12, or set "
                         "CUDA_PATH)")
    return lib


def _error(lib, status) -> str:
    lib.nvrtcGetErrorString.restype = ctypes.c_char_p
    return lib.nvrtcGetErrorString(status).decode()


def _check(lib, status):
    if status != 0:
        raise NvrtcError(_error(lib, status))
