"""The emitted CUDA C run on the CPU, to check kernel values without a GPU.

``HEADER`` maps CUDA's vocabulary to C++ (``__global__`` to nothing, ``__shared__`` to
``static``: blocks run one after another, so a block's threads share it; ``threadIdx``
per thread; ``__syncthreads`` a barrier; CUDA's bit casts and ``__popcll``); each kernel
gets a host wrapper that runs its grid block by block, each block's threads as real
threads. The prelude and the kernels compile unchanged with ``g++``.

``HostDevice`` is a ``runtime`` device over NumPy arrays, so the backend's own launch
logic (layouts, two-stage reductions, compaction) runs too. Compiling one shared object
per kernel would be slow: a ``collect`` device records every kernel's source without
running anything, ``build`` compiles them all at once, and a device made with the built
library runs them.
"""
from __future__ import annotations

import ctypes
import os
import subprocess
import tempfile

import numpy as np

from .prelude import PRELUDE

HEADER = r"""
#include <cmath>
#include <cstring>
#include <vector>
#include <pthread.h>
using namespace std;
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static
struct wd_dim3 { unsigned x, y, z; };
static thread_local wd_dim3 threadIdx;
static wd_dim3 blockIdx, blockDim, gridDim;
static pthread_barrier_t wd_barrier;
static inline void __syncthreads() { pthread_barrier_wait(&wd_barrier); }
static inline long long __double_as_longlong(double x) { long long r; memcpy(&r, &x, 8); return r; }
static inline double __longlong_as_double(long long x) { double r; memcpy(&r, &x, 8); return r; }
static inline int __float_as_int(float x) { int r; memcpy(&r, &x, 4); return r; }
static inline float __int_as_float(int x) { float r; memcpy(&r, &x, 4); return r; }
static inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
"""

THREADS = 4   # threads per block on the host (a power of two: the trees halve it)


def wrapper(cname: str, params) -> str:
    """``host_<cname>(grid, block, args)``: the kernel over its grid; ``args[i]`` points
    at a long long or at a data pointer."""
    args = ", ".join(f"*(long long*)args[{i}]" if t == "ll" else f"*(char**)args[{i}]"
                     for i, (_, t) in enumerate(params))
    return (f"static void call_{cname}(void** args) {{ {cname}({args}); }}\n"
            f'extern "C" void host_{cname}(long long grid, long long block, void** args) '
            f"{{ wd_run_grid(grid, block, call_{cname}, args); }}\n")


RUN_GRID = r"""
struct wd_thread { unsigned t; void (*body)(void**); void** args; };
static void* wd_thread_main(void* p) {
    wd_thread* w = (wd_thread*)p;
    threadIdx.x = w->t;
    w->body(w->args);
    return 0;
}
/* the grid's blocks one after another; a block's threads as threads (barriers work) */
static void wd_run_grid(long long grid, long long block, void (*body)(void**), void** args) {
    gridDim.x = (unsigned)grid; blockDim.x = (unsigned)block;
    pthread_barrier_init(&wd_barrier, 0, (unsigned)block);
    std::vector<pthread_t> ids(block);
    std::vector<wd_thread> work(block);
    for (long long b = 0; b < grid; ++b) {
        blockIdx.x = (unsigned)b;
        for (long long t = 0; t < block; ++t) {
            work[t] = wd_thread{(unsigned)t, body, args};
            pthread_create(&ids[t], 0, wd_thread_main, &work[t]);
        }
        for (long long t = 0; t < block; ++t) pthread_join(ids[t], 0);
    }
    pthread_barrier_destroy(&wd_barrier);
}
"""


def build(sources: dict, workdir: str | None = None) -> ctypes.CDLL:
    """One shared library of every kernel in ``sources`` (C name -> (source, params))."""
    workdir = workdir or tempfile.mkdtemp(prefix="weldish-hostshim-")
    seen, parts = set(), [HEADER, RUN_GRID, PRELUDE]
    for source, functions in sources.values():
        if source not in seen:
            seen.add(source)
            parts.append(source)
        for cname, params in functions:
            parts.append(wrapper(cname, params))
    path = os.path.join(workdir, "kernels.cpp")
    with open(path, "w") as f:
        f.write("\n".join(parts))
    lib = os.path.join(workdir, "kernels.so")
    subprocess.run(["g++", "-std=c++17", "-O0", "-w", "-shared", "-fPIC", "-pthread",
                    path, "-o", lib], check=True, capture_output=True, text=True)
    return ctypes.CDLL(lib)


class _AnyCount(int):
    """What a collecting device reads back: equal to any count (nothing ran)."""

    def __ne__(self, other):
        return False

    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


class HostDevice:
    """A ``runtime`` device over NumPy arrays. ``library=None``: collect sources only
    (``self.sources``), launching nothing; else run the kernels of that library."""

    def __init__(self, library=None):
        self.library = library
        self.sources: dict = {}   # first C name of a module -> (source, [(name, params)])
        self.launches = 0

    def is_device(self, x) -> bool:
        return isinstance(x, np.ndarray)

    def asarray(self, x):
        return np.asarray(x)

    def to_host(self, x):
        return x

    def empty(self, shape, dtype):
        return np.zeros(shape, dtype)   # zeros: a collecting run reads them

    def full(self, shape, value, dtype):
        return np.full(shape, value, dtype)

    def concatenate(self, values, axis):
        return np.concatenate(values, axis=axis)

    def compile(self, source, functions):
        functions = list(functions)
        self.sources[functions[0][0]] = (source, functions)
        return {cname: cname for cname, _ in functions}

    def launch(self, fn, grid, block, args):
        self.launches += 1
        if self.library is None:
            return
        slots = []
        for a in args:
            if isinstance(a, np.ndarray):
                slots.append(ctypes.c_void_p(a.__array_interface__["data"][0]))
            else:
                slots.append(ctypes.c_longlong(int(a)))
        argv = (ctypes.c_void_p * max(1, len(slots)))(
            *[ctypes.cast(ctypes.pointer(s), ctypes.c_void_p) for s in slots])
        getattr(self.library, f"host_{fn}")(ctypes.c_longlong(grid),
                                               ctypes.c_longlong(min(block, THREADS)), argv)

    def item(self, a, i):
        return _AnyCount(0) if self.library is None else int(a[i])

