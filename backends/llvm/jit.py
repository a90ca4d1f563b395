"""Compiling kernel IR to machine code with llvmlite (MCJIT, host CPU, O3)."""
from __future__ import annotations

import ctypes
import ctypes.util
import threading

import llvmlite
import llvmlite.binding as llvm

KERNEL_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p,
                               ctypes.c_void_p, ctypes.c_void_p)


class Jit:
    """One MCJIT engine for the process; ``compile`` returns a callable kernel."""

    def __init__(self):
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        libm = ctypes.util.find_library("m")
        if libm:
            llvm.load_library_permanently(libm)
        target = llvm.Target.from_triple(llvm.get_process_triple())
        self.cpu = llvm.get_host_cpu_name()
        self.features = llvm.get_host_cpu_features().flatten()
        self.tm = target.create_target_machine(cpu=self.cpu, features=self.features, opt=3,
                                               codemodel="jitdefault")
        self.engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), self.tm)
        self.lock = threading.Lock()
        self.identity = f"{llvm.get_process_triple()}|{self.cpu}|{self.features}|" \
                        f"llvmlite {llvmlite.__version__}"

    def optimize(self, module):
        pto = llvm.PipelineTuningOptions(speed_level=3)
        pto.loop_vectorization = True
        pto.slp_vectorization = True
        pb = llvm.create_pass_builder(self.tm, pto)
        pb.getModulePassManager().run(module, pb)

    def compile(self, ir_text: str, name: str):
        with self.lock:
            module = llvm.parse_assembly(ir_text)
            module.verify()
            self.optimize(module)
            self.engine.add_module(module)
            self.engine.finalize_object()
            address = self.engine.get_function_address(name)
        return KERNEL_TYPE(address)

    def assembly(self, ir_text: str) -> str:
        module = llvm.parse_assembly(ir_text)
        self.optimize(module)
        return self.tm.emit_assembly(module)
