"""Packaging invariants: ir/ and backends/ are weldish.ir / weldish.backends, never bare."""
import pathlib
import re

import weldish
import weldish.backends
import weldish.ir
import weldish.ir.passes

SRC = pathlib.Path(weldish.__file__).resolve().parent


def _package_dirs():
    return [pathlib.Path(m.__file__).resolve().parent
            for m in (weldish, weldish.ir, weldish.backends)]


def test_subpackages_are_installed_under_weldish():
    assert weldish.ir.__name__ == "weldish.ir"
    assert weldish.backends.__name__ == "weldish.backends"
    assert weldish.ir.passes.__name__ == "weldish.ir.passes"
    from weldish.ir.node import Node
    from weldish.lazy import to_node
    import numpy
    assert type(to_node(numpy.zeros(2))) is Node  # one copy of the IR classes


BARE = re.compile(r"^\s*(import|from)\s+(ir|backends)(\.|\s|$)", re.M)


def test_no_bare_imports_of_ir_or_backends():
    offenders = []
    for root in _package_dirs():
        for path in root.rglob("*.py"):
            if BARE.search(path.read_text()):
                offenders.append(str(path))
    assert not offenders, f"bare 'import ir/backends' (use weldish.ir): {offenders}"


def test_ir_never_imports_a_backend_or_frontend():
    """The IR is pure Python + NumPy: every import resolves inside weldish.ir or is
    a standard/NumPy module."""
    import importlib.util
    ir_dir = pathlib.Path(weldish.ir.__file__).resolve().parent
    stmt = re.compile(r"^\s*from\s+(\.+[\w.]*)\s+import|^\s*(?:from|import)\s+(\w+)", re.M)
    offenders = []
    for path in ir_dir.rglob("*.py"):
        package = ".".join(("weldish.ir",) + path.relative_to(ir_dir).parent.parts)
        for rel, absolute in stmt.findall(path.read_text()):
            target = importlib.util.resolve_name(rel, package) if rel else absolute
            if target.split(".")[0] in ("weldish", "llvmlite", "cupy", "pandas", "numba") \
                    and not target.startswith("weldish.ir"):
                offenders.append((str(path), target))
    assert not offenders, offenders
