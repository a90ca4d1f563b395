"""weldish's IR (installed as ``weldish.ir``): pure Python + NumPy.

Never imports llvmlite, cupy or any weldish frontend.
"""
from . import build, dtypes, ops, passes
from .interpret import interpret
from .node import Buffer, Node, toposort
from .ops import OPS, Op, OpDef
from .printer import format_graph

__all__ = ["Buffer", "Node", "OPS", "Op", "OpDef", "build", "dtypes", "format_graph",
           "interpret", "ops", "passes", "toposort"]
