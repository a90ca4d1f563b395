"""``DataFrame.query`` / ``DataFrame.eval`` / ``pandas.eval`` strings.

A string made of column names, ``@local`` variables, literals, comparisons (chained too),
``and``/``or``/``not`` (and ``&``/``|``/``~``, which pandas' parser gives the precedence of
``and``/``or``), ``+ - * / // % **``, unary minus and ``in``/``not in`` a list becomes the same
operations on the frame's weldish Series, so it stays lazy (and a filter on a Parquet scan
is pushed into the scan). Anything else runs in pandas, given the caller's variables:
pandas looks ``@x`` up by counting stack frames, which a wrapper would shift.
"""
from __future__ import annotations

import ast
import io
import operator
import sys
import tokenize

from ..lazy import Unsupported

_LOCAL = "_weldish_local_"
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv,
           ast.Mod: operator.mod, ast.Pow: operator.pow}   # (& and | became and/or)
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
            ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}


def caller_scope(kwargs: dict, depth: int) -> dict:
    """``kwargs`` with ``local_dict``/``global_dict`` of the frame ``depth`` levels above
    the caller of this function (unless the user gave them or a ``level``)."""
    if "level" in kwargs or ("local_dict" in kwargs and "global_dict" in kwargs):
        return kwargs
    frame = sys._getframe(depth + 1)
    kwargs = dict(kwargs)
    kwargs.setdefault("local_dict", dict(frame.f_locals))
    kwargs.setdefault("global_dict", frame.f_globals)
    return kwargs


def _rewrite(expr: str) -> str:
    """pandas' token rewrites: ``&``/``|`` as ``and``/``or`` (their precedence),
    ``@name`` as a local's name."""
    if not isinstance(expr, str) or "`" in expr:
        raise Unsupported("not a plain expression string")
    out, tokens = [], list(tokenize.generate_tokens(io.StringIO(expr).readline))
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.type == tokenize.OP and t.string == "@":
            if i + 1 >= len(tokens) or tokens[i + 1].type != tokenize.NAME:
                raise Unsupported("@ without a name")
            out.append((tokenize.NAME, _LOCAL + tokens[i + 1].string))
            i += 2
            continue
        if t.type == tokenize.OP and t.string in ("&", "|"):
            out.append((tokenize.NAME, "and" if t.string == "&" else "or"))
        else:
            out.append((t.type, t.string))
        i += 1
    return tokenize.untokenize(out)


class _Translator:
    def __init__(self, frame, local_dict):
        self.frame, self.locals = frame, local_dict
        self.names = set(frame.columns)

    def value(self, node):
        if isinstance(node, ast.Name):
            if node.id.startswith(_LOCAL):
                name = node.id[len(_LOCAL):]
                if name not in self.locals:
                    raise Unsupported(f"local {name!r} not found")
                v = self.locals[name]
                if not _plain(v):
                    raise Unsupported("local of another type")
                return v
            if node.id in self.names:   # frame[name]: a scan pushes filters on it
                return self.frame[node.id]
            raise Unsupported(f"name {node.id!r} is not a column")
        if isinstance(node, ast.Constant) and _plain(node.value):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.value(e) for e in node.elts]
        if isinstance(node, ast.BoolOp):
            op = operator.and_ if isinstance(node.op, ast.And) else operator.or_
            out = self.boolean(node.values[0])
            for v in node.values[1:]:
                out = op(out, self.boolean(v))
            return out
        if isinstance(node, ast.UnaryOp):
            v = self.value(node.operand)
            if isinstance(node.op, ast.USub):
                return -v
            if isinstance(node.op, (ast.Not, ast.Invert)):
                return ~self.boolean(node.operand)
            raise Unsupported("unary operator")
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            a, b = self.value(node.left), self.value(node.right)
            if type(a) in (list, tuple) or type(b) in (list, tuple):
                raise Unsupported("arithmetic with a list")
            return _BINARY[type(node.op)](a, b)
        if isinstance(node, ast.Compare):
            out, left = None, node.left
            for op, right in zip(node.ops, node.comparators):
                if isinstance(op, (ast.In, ast.NotIn)):
                    part = self.membership(left, right, isinstance(op, ast.NotIn))
                elif type(op) in (ast.Eq, ast.NotEq) and any(
                        isinstance(n, (ast.List, ast.Tuple)) or type(self.value(n)) in
                        (list, tuple) for n in (left, right)):   # pandas: isin
                    a, b = (left, right) if not isinstance(left, (ast.List, ast.Tuple)) \
                        and type(self.value(left)) not in (list, tuple) else (right, left)
                    part = self.membership(a, b, isinstance(op, ast.NotEq))
                elif type(op) in _COMPARE:
                    part = _COMPARE[type(op)](self.value(left), self.value(right))
                else:
                    raise Unsupported("comparison")
                out = part if out is None else out & part
                left = right
            return out
        raise Unsupported(f"{type(node).__name__} in the expression")

    def boolean(self, node):
        v = self.value(node)
        if not is_mask(v):
            raise Unsupported("and/or/not of a non-boolean column")
        return v

    def membership(self, left, right, negate):
        from .series import Series
        col = self.value(left)
        if not isinstance(col, Series):
            raise Unsupported("in: not a column on the left")
        if isinstance(right, (ast.List, ast.Tuple)):
            values = [self.value(e) for e in right.elts]
        else:
            values = self.value(right)
            if type(values) not in (list, tuple):
                raise Unsupported("in: not a list")
        if not all(_plain(v) for v in values):
            raise Unsupported("in: values")
        out = col.isin(list(values))
        return ~out if negate else out


def is_mask(v) -> bool:
    """A boolean weldish Series (a filter still to be pushed into a scan counts, without
    reading it)."""
    from .series import Series
    if not isinstance(v, Series):
        return False
    d = v.__dict__.get("_defer")
    return d[1] is not None if d is not None else v.dtype.kind == "b"


def _plain(v) -> bool:
    return type(v) in (int, float, bool, str) or (
        type(v) in (list, tuple) and all(type(e) in (int, float, bool, str) for e in v))


def translate(frame, expr: str, local_dict: dict):
    """(target column or None, the expression's weldish value) or Unsupported."""
    tree = ast.parse(_rewrite(expr).strip(), mode="exec")
    if len(tree.body) != 1:
        raise Unsupported("several statements")
    stmt = tree.body[0]
    target = None
    if isinstance(stmt, ast.Assign):
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            raise Unsupported("assignment target")
        target, node = stmt.targets[0].id, stmt.value
    elif isinstance(stmt, ast.Expr):
        node = stmt.value
    else:
        raise Unsupported("statement")
    return target, _Translator(frame, local_dict).value(node)


def names_in(expr: str) -> set:
    """The plain names (and ``@`` locals) an expression string mentions."""
    try:
        return {t.string for t in tokenize.generate_tokens(io.StringIO(expr).readline)
                if t.type == tokenize.NAME}
    except (tokenize.TokenError, SyntaxError):
        return set()
