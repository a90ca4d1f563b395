"""Backends (installed as ``weldish.backends``): the protocol, the registry, availability.

A backend turns a list of output nodes into their values. Depends on ``weldish.ir``;
nothing here imports a frontend. The GPU issue adds a ``cupy`` row.
"""
from __future__ import annotations

from typing import Protocol

from . import cupy, interp, llvm


class Backend(Protocol):
    name: str

    def available(self) -> bool: ...

    def prepare(self, roots: list):
        """Everything about running ``roots`` that does not depend on the input values
        (a plan, compiled kernels): done once per program, see ``weldish.evaluate``."""

    def execute(self, program, memo: dict, num_threads: int = 1) -> list:
        """Values of the program's roots; ``memo`` binds its inputs (node -> value)."""

    def run(self, roots: list, memo: dict, num_threads: int = 1) -> list:
        """``execute(prepare(roots), memo, num_threads)``."""


# In order of preference: the first available one is the default.
BACKENDS: dict[str, Backend] = {
    "llvm": llvm.LLVMBackend(),
    "interp": interp.InterpBackend(),
    # the GPU: never the default; chosen by name or by "auto" when a GPU is present
    "cupy": cupy.CupyBackend(),
}


def available() -> list[str]:
    """Names of backends that can run on this machine, the default first (the GPU's is
    never the default: it is chosen by name, or by "auto")."""
    return [name for name, b in BACKENDS.items() if b.available()]


def get(name: str) -> Backend:
    """The backend named ``name``; "auto": the GPU's when one is present, else the
    default. Raises ValueError (unknown) or RuntimeError (naming what is missing)."""
    if name == "auto":
        name = "cupy" if BACKENDS["cupy"].available() else available()[0]
    try:
        backend = BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; known: {sorted(BACKENDS)}") from None
    if not backend.available():
        why = backend.missing() if hasattr(backend, "missing") else None
        raise RuntimeError(f"backend {name!r} is not available on this machine"
                           + (f": {why}" if why else ""))
    return backend
