"""The interpreter backend: every op runs as its OPS-table NumPy function (the oracle)."""
from __future__ import annotations

from ..ir.interpret import interpret


class InterpBackend:
    name = "interp"

    def available(self) -> bool:
        return True

    def prepare(self, roots):
        return list(roots)

    def execute(self, program, memo, num_threads: int = 1):
        return interpret(program, memo)

    def run(self, roots, memo, num_threads: int = 1):
        return interpret(roots, memo)
