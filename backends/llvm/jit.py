"""Compiling kernel IR to machine code with llvmlite (MCJIT, host CPU, O3).

Every kernel goes through object code: compiled (parse, verify, optimize, emit an object
file) or read from the disk cache (``diskcache``), then added to the one engine. Both paths
load the same bytes the same way, so a cached kernel is the kernel that would be compiled.
"""
from __future__ import annotations

import ctypes
import hashlib
import sys
import threading
import time
from pathlib import Path

import llvmlite
import llvmlite.binding as llvm

from . import vecmath
from .diskcache import DiskCache, code_fingerprint, default_dir

KERNEL_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p,
                               ctypes.c_void_p, ctypes.c_void_p)


class Jit:
    """One MCJIT engine; ``function`` returns a callable kernel, compiled or from disk."""

    def __init__(self, cache_dir=None):
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        libm = "libm.so.6" if sys.platform.startswith("linux") else _find_library("m")
        if libm:
            llvm.load_library_permanently(libm)
        vector_math = vecmath.load()  # libmvec: loaded before any kernel that calls it
        target = llvm.Target.from_triple(llvm.get_process_triple())
        self.cpu = llvm.get_host_cpu_name()
        self.features = llvm.get_host_cpu_features().flatten()
        self.tm = target.create_target_machine(cpu=self.cpu, features=self.features, opt=3,
                                               codemodel="jitdefault")
        self.engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), self.tm)
        self.lock = threading.Lock()
        self.identity = f"{llvm.get_process_triple()}|{self.cpu}|{self.features}|" \
                        f"llvmlite {llvmlite.__version__}|{code_fingerprint()}|" \
                        f"vector math {sorted(vector_math)}"
        self.disk = DiskCache(default_dir() if cache_dir is None else Path(cache_dir))
        self.compiled = 0          # kernels compiled by this process (not from disk)
        self.compile_seconds = 0.0

    def optimize(self, module):
        pto = llvm.PipelineTuningOptions(speed_level=3)
        pto.loop_vectorization = True
        pto.slp_vectorization = True
        pb = llvm.create_pass_builder(self.tm, pto)
        pb.getModulePassManager().run(module, pb)

    def function(self, structure: str, make_ir):
        """The compiled kernel for ``structure`` (a text naming everything its code depends
        on); ``make_ir(name)`` gives the LLVM IR of a function ``name`` when it must be
        compiled. The name is derived from the key, so it is the same in every process."""
        key = f"{self.identity}\n{structure}".encode()
        digest = hashlib.sha256(key).hexdigest()
        name = f"weldish_k_{digest[:24]}"
        code = self.disk.load(key, digest)
        with self.lock:
            if code is None:
                start = time.perf_counter()
                code = self.object_code(make_ir(name))
                self.compiled += 1
                self.compile_seconds += time.perf_counter() - start
                self.disk.store(key, digest, code)
            address = self.engine.get_function_address(name)
            if not address:  # not loaded in this process yet
                self.engine.add_object_file(llvm.ObjectFileRef.from_data(code))
                self.engine.finalize_object()
                address = self.engine.get_function_address(name)
        if not address:
            raise RuntimeError(f"kernel {name} not found in its object code")
        return KERNEL_TYPE(address)

    def object_code(self, ir_text: str) -> bytes:
        module = llvm.parse_assembly(ir_text)
        module.verify()
        self.optimize(module)
        return self.tm.emit_object(module)

    def assembly(self, ir_text: str) -> str:
        module = llvm.parse_assembly(ir_text)
        self.optimize(module)
        return self.tm.emit_assembly(module)


def _find_library(name):
    import ctypes.util  # runs a subprocess on Linux: avoided where the soname is known
    return ctypes.util.find_library(name)
