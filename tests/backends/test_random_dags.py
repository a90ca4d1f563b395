"""Property test: random DAGs of lazy ops give NumPy's values and dtypes.

A program is a list of instructions over a few input arrays (elementwise unary/binary ops
with arrays or scalars, comparisons + where, reductions, scans, slicing, reshape,
transpose, astype). ``run_program(xp, ...)`` runs the same program with ``xp = numpy`` and
with ``xp = weldish.numpy``; every intermediate value is compared (dtype, shape, value,
sign of zeros), evaluated all together in one weldish pass and, separately, the last one
alone (shared subexpressions and the optimizer must not change any answer).

Programs are generated step by step against NumPy's results, so every instruction is valid
in NumPy (instructions NumPy rejects are left out: error behaviour is the subject of
``test_ops_differential.py``). The scalars include the constants that simplification
and hash-consing must keep apart (-0.0 vs 0.0, -NaN vs NaN, 1 vs 1.0 vs True).
"""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

import weldish
import weldish.numpy as wnp
from weldish.testing import Raised, assert_same, backend_is_exact, outcome, quiet, sample

UNARY = ("negative", "absolute", "sqrt", "exp", "log1p", "sin", "tanh", "floor", "square",
         "sign", "isnan", "logical_not", "invert", "reciprocal", "cbrt", "rint")
BINARY = ("add", "subtract", "multiply", "divide", "floor_divide", "remainder", "power",
          "maximum", "minimum", "fmax", "arctan2", "hypot", "copysign", "bitwise_and",
          "left_shift", "logaddexp", "equal", "less", "logical_xor", "heaviside")
COMPARE = ("less", "greater_equal", "not_equal", "isfinite")
REDUCE = ("sum", "prod", "min", "max", "mean", "std", "argmax", "any", "nansum", "nanmax",
          "nanmean")
SCAN = ("cumsum", "cumprod")
SCALARS = (2, 2.5, True, -1, 0, 1, 1.0, 0.0, -0.0, 0.5, 3, float("nan"), -float("nan"),
           float("inf"), np.float32(2), np.int64(3), np.uint8(7), np.float64(-0.0),
           np.float32(1))
INPUT_SPECS = (("float64", (3, 4)), ("float32", (4,)), ("int32", (3, 1)), ("uint8", (3, 4)),
               ("int64", ()), ("bool", (4,)), ("float64", (2, 3, 4)), ("int16", (0, 4)))


# --- the program interpreter: one code path for NumPy and weldish -------------------------
def run_program(xp, inputs, program):
    """All values of ``program`` run with module ``xp`` (inputs first)."""
    vals = [xp.asarray(a) for a in inputs]
    with quiet():
        for instr in program:
            vals.append(step(xp, vals, instr))
    return vals


def step(xp, vals, instr):
    kind, *a = instr
    if kind == "unary":
        name, i = a
        return getattr(xp, name)(vals[i])
    if kind == "binary":
        name, i, j = a
        return getattr(xp, name)(vals[i], vals[j])
    if kind == "scalar":
        name, i, s, left = a
        return getattr(xp, name)(s, vals[i]) if left else getattr(xp, name)(vals[i], s)
    if kind == "operator":
        sym, i, other = a
        y = vals[other] if isinstance(other, int) and not isinstance(other, bool) else \
            other[0]  # a scalar travels wrapped in a 1-tuple
        x = vals[i]
        return {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y,
                "/": lambda: x / y, "r-": lambda: y - x, "neg": lambda: -x,
                ">": lambda: x > y}[sym]()
    if kind == "where":
        c, i, j = a
        y = vals[j] if isinstance(j, int) and not isinstance(j, bool) else j[0]
        return xp.where(vals[c], vals[i], y)
    if kind == "reduce":
        name, i, kwargs = a
        return getattr(xp, name)(vals[i], **kwargs)
    if kind == "scan":
        name, i, axis = a
        return getattr(xp, name)(vals[i], axis=axis)
    if kind == "getitem":
        i, key = a
        return vals[i][key]
    if kind == "reshape":
        i, shape = a
        return xp.reshape(vals[i], shape)
    if kind == "transpose":
        (i,) = a
        return xp.transpose(vals[i])
    if kind == "astype":
        i, dtype = a
        return vals[i].astype(dtype)
    if kind == "clip":
        i, lo, hi = a
        return xp.clip(vals[i], lo, hi)
    raise AssertionError(kind)


# --- generating valid programs ------------------------------------------------------------
def _broadcastable(s1, s2):
    try:
        np.broadcast_shapes(s1, s2)
        return True
    except ValueError:
        return False


def _slice_key(draw, shape):
    key = []
    for n in shape:
        choice = draw(st.integers(0, 4))
        if choice == 0:
            key.append(slice(None))
        elif choice == 1 and n:
            key.append(draw(st.integers(-n, n - 1)))
        else:
            start = draw(st.one_of(st.none(), st.integers(-n - 1, n + 1)))
            stop = draw(st.one_of(st.none(), st.integers(-n - 1, n + 1)))
            stepv = draw(st.sampled_from([None, 1, 2, -1, -2, 3]))
            key.append(slice(start, stop, stepv))
    if draw(st.booleans()):
        key.insert(draw(st.integers(0, len(key))), None)
    if shape and draw(st.integers(0, 3)) == 0:
        k = draw(st.integers(0, len(key)))
        key = key[:k] + [Ellipsis]
    return tuple(key)


def _reshape_target(draw, shape):
    size = int(np.prod(shape, dtype=np.int64))
    options = [(-1,), (size,), (1, -1), shape[::-1] if size else (0, 1)]
    divisors = [d for d in range(2, 7) if size and size % d == 0]
    if divisors:
        d = draw(st.sampled_from(divisors))
        options += [(d, -1), (-1, d), (d, 1, size // d)]
    return draw(st.sampled_from(options))


@st.composite
def programs(draw):
    """(inputs, program) with every instruction valid in NumPy."""
    picks = draw(st.lists(st.integers(0, len(INPUT_SPECS) - 1), min_size=2, max_size=4))
    seed = draw(st.integers(0, 2**16))
    inputs = [sample(INPUT_SPECS[p][0], INPUT_SPECS[p][1], seed + k, special=draw(st.booleans()))
              for k, p in enumerate(picks)]
    vals = list(inputs)  # NumPy's values, to know shapes and dtypes while generating
    program = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["unary", "binary", "binary", "scalar", "operator",
                                     "where", "reduce", "scan", "getitem", "reshape",
                                     "transpose", "astype", "clip"]))
        i = draw(st.integers(0, len(vals) - 1))
        x = np.asarray(vals[i])
        partners = [j for j, v in enumerate(vals) if _broadcastable(np.shape(v), x.shape)]
        if kind == "unary":
            instr = ("unary", draw(st.sampled_from(UNARY)), i)
        elif kind == "binary":
            instr = ("binary", draw(st.sampled_from(BINARY)), i, draw(st.sampled_from(partners)))
        elif kind == "scalar":
            instr = ("scalar", draw(st.sampled_from(BINARY)), i, draw(st.sampled_from(SCALARS)),
                     draw(st.booleans()))
        elif kind == "operator":
            sym = draw(st.sampled_from(["+", "-", "*", "/", "r-", "neg", ">"]))
            other = draw(st.one_of(st.sampled_from(partners),
                                   st.sampled_from(SCALARS).map(lambda s: (s,))))
            instr = ("operator", sym, i, other)
        elif kind == "where":
            conds = [j for j in partners if np.asarray(vals[j]).dtype == bool]
            if not conds:
                name = draw(st.sampled_from(COMPARE))
                instr = ("unary", "isfinite", i) if name == "isfinite" else \
                    ("scalar", name, i, draw(st.sampled_from(SCALARS)), False)
            else:
                c = draw(st.sampled_from(conds))
                other = draw(st.one_of(st.sampled_from(partners),
                                       st.sampled_from(SCALARS).map(lambda s: (s,))))
                instr = ("where", c, i, other)
        elif kind == "reduce":
            axes = [None] + list(range(-x.ndim, x.ndim))
            kwargs = {"axis": draw(st.sampled_from(axes))}
            if draw(st.booleans()):
                kwargs["keepdims"] = True
            name = draw(st.sampled_from(REDUCE))
            if name == "std" and draw(st.booleans()):
                kwargs["ddof"] = 1
            instr = ("reduce", name, i, kwargs)
        elif kind == "scan":
            axis = draw(st.sampled_from([None] + list(range(x.ndim))))
            instr = ("scan", draw(st.sampled_from(SCAN)), i, axis)
        elif kind == "getitem":
            instr = ("getitem", i, _slice_key(draw, x.shape))
        elif kind == "reshape":
            instr = ("reshape", i, _reshape_target(draw, x.shape))
        elif kind == "transpose":
            instr = ("transpose", i)
        elif kind == "astype":
            instr = ("astype", i, draw(st.sampled_from(["float32", "float64", "int16", "uint8",
                                                        "bool", "int64"])))
        else:
            lo = draw(st.sampled_from([-1, 0, 0.5, np.float32(-2)]))
            instr = ("clip", i, lo, draw(st.sampled_from([1, 2.5, 3])))
        result = outcome(step, np, vals, instr)
        if isinstance(result, Raised) or np.asarray(result).dtype.kind not in "biuf":
            continue  # NumPy rejects it (dtype, axis...): not part of this program
        vals.append(result)
        program.append(instr)
    return inputs, program


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_random_dag_matches_numpy(prog):
    inputs, program = prog
    with quiet():
        expected = run_program(np, inputs, program)
    lazy = run_program(wnp, inputs, program)
    with quiet():
        values = weldish.evaluate(*lazy)  # one pass: shared work done once
    values = values if isinstance(values, tuple) else (values,)
    exact = backend_is_exact()
    for k, (got, lz, exp) in enumerate(zip(values, lazy, expected)):
        what = f"value {k} of {program}"
        assert isinstance(lz, wnp.LazyArray), what
        assert lz.dtype == np.asarray(exp).dtype, what  # traced dtype
        assert lz.shape == np.shape(exp), what
        if not exact and k >= len(inputs):
            # Compiled math is within ULPS of NumPy per operation; along a chain the
            # errors compound by the chain's conditioning (sin(arctan2(..)) near pi), which
            # is the math's, not the compiler's: each value is compared with NumPy's op
            # applied to weldish's own operands.
            with quiet():
                exp = step(np, list(values[:k]), program[k - len(inputs)])
        assert_same(got, exp, context=what)
    # The last value alone, from a fresh trace (nothing memoized by the pass above).
    last = run_program(wnp, inputs, program)[-1]
    with quiet():
        if exact:
            assert_same(last, expected[-1], context=f"last value alone of {program}")
        else:  # fused differently: same dtype, shape, NaNs; values to chain accuracy
            got, want = np.asarray(last), np.asarray(values[-1])
            assert got.dtype == want.dtype and got.shape == want.shape
            if want.dtype.kind == "f":
                scale = float(np.nanmax(np.abs(np.where(np.isinf(want), 0, want)),
                                        initial=0.0))
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6 * scale,
                                           equal_nan=True, err_msg=str(program))
            else:
                np.testing.assert_array_equal(got, want, err_msg=str(program))


def test_program_interpreter_runs_both_modules():
    """The harness itself: a fixed program, all instruction kinds, same answers."""
    inputs = [sample("float64", (3, 4), 0, special=True), sample("int32", (3, 1), 1),
              sample("bool", (4,), 2)]
    program = [
        ("unary", "sin", 0), ("binary", "add", 0, 1), ("scalar", "multiply", 3, 2.5, True),
        ("operator", "r-", 4, (np.float32(2),)), ("where", 2, 5, (0.5,)),
        ("reduce", "nanmax", 6, {"axis": -1, "keepdims": True}), ("scan", "cumsum", 6, 1),
        ("getitem", 8, (slice(None, None, -2), None, Ellipsis)), ("reshape", 9, (-1,)),
        ("transpose", 6), ("astype", 11, "float32"), ("clip", 12, -1, 2.5),
    ]
    with quiet():
        expected = run_program(np, inputs, program)
        got = weldish.evaluate(*run_program(wnp, inputs, program))
    assert len(got) == len(expected) == len(inputs) + len(program)
    for g, e in zip(got, expected):
        assert_same(g, e)
