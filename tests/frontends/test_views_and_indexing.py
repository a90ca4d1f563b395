"""Indexing and views: weldish must give NumPy's values, and NumPy's aliasing.

Every scenario is one function ``scenario(xp, snap)`` run with ``numpy`` and with
``weldish.numpy``. ``snap(**arrays)`` records the state of every named array; the two runs
must record the same states (values, dtypes, shapes). Each scenario runs in two modes: with
a snapshot after every step (arrays are evaluated between writes, so writes land on
materialized values) and with a snapshot only at the end (every write stays lazy).
"""
from __future__ import annotations


import copy
import warnings

import numpy
import numpy.testing as npt
import pytest

import weldish
import weldish.numpy as wnp


class Recorder:
    def __init__(self, every_step: bool):
        self.every_step = every_step
        self.states: list[dict] = []

    def __call__(self, final: bool = False, **arrays):
        if not (self.every_step or final):
            return
        self.states.append({k: numpy.array(v, copy=True) for k, v in arrays.items()})


def compare_runs(scenario, every_step: bool):
    expected, actual = Recorder(every_step), Recorder(every_step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow warnings are irrelevant
        scenario(numpy, expected)
        scenario(wnp, actual)
    assert len(expected.states) == len(actual.states)
    assert expected.states, "scenario recorded nothing"
    for step, (e, a) in enumerate(zip(expected.states, actual.states)):
        assert e.keys() == a.keys()
        for name in e:
            msg = f"step {step}, array {name!r}"
            assert a[name].dtype == e[name].dtype, msg
            assert a[name].shape == e[name].shape, msg
            npt.assert_array_equal(a[name], e[name], err_msg=msg)


# --- write-through-view scenarios ------------------------------------------------------------
def s_chained_setitem(xp, snap):
    a = xp.arange(12).reshape(3, 4)
    r = a[1]
    a[1][2] = 5
    snap(a=a, r=r)
    a[:, 1] += 1
    snap(a=a, r=r)
    t = a.T
    t[0, 1] = 9
    snap(a=a, r=r, t=t)
    a.reshape(-1)[0] = 7
    snap(a=a, r=r, t=t)
    x = a[0]
    x[::2] = 0
    snap(a=a, r=r, t=t, x=x, final=True)


def s_siblings(xp, snap):
    a = xp.zeros((3, 4))
    row, col, diag_block = a[1], a[:, 2], a[1:, 2:]
    row[2] = 5.0
    snap(a=a, row=row, col=col, blk=diag_block)
    col += 1
    snap(a=a, row=row, col=col, blk=diag_block)
    diag_block *= 3
    snap(a=a, row=row, col=col, blk=diag_block)
    a[0, 0] = -1  # a write into the base after the views were made
    snap(a=a, row=row, col=col, blk=diag_block, final=True)


def s_view_of_view(xp, snap):
    a = xp.arange(24.0).reshape(2, 3, 4)
    v = a[1]
    w = v[::-1, 1:3]
    z = w.T
    z[1, 0] = 100.0
    snap(a=a, v=v, w=w, z=z)
    w[...] = w * 2
    snap(a=a, v=v, w=w, z=z)
    v[:, -1] = xp.array([7.0, 8.0, 9.0])
    snap(a=a, v=v, w=w, z=z, final=True)


def s_negative_steps_none_ellipsis(xp, snap):
    a = xp.arange(20).reshape(4, 5)
    b = a[::-1]
    b[0] = -1
    snap(a=a, b=b)
    c = a[None, ..., ::-2]
    c[0, 1, 0] = 55
    snap(a=a, b=b, c=c)
    d = a[..., 1]
    d[-1] = 42
    snap(a=a, b=b, c=c, d=d)
    e = a[-3:-1, ::-3]
    e[:] = 0
    snap(a=a, b=b, c=c, d=d, e=e, final=True)


def s_step_assign(xp, snap):
    x = xp.arange(10.0)
    x[::2] = 0
    snap(x=x)
    x[1::3] = xp.array([1.5, 2.5, 3.5])
    snap(x=x)
    x[::-4] = -7
    snap(x=x)
    x[8:2:-2] += 100
    snap(x=x, final=True)


def s_reshape_views_and_copies(xp, snap):
    a = xp.arange(12).reshape(3, 4)
    flat = a.reshape(-1)      # a view (contiguous)
    flat[0] = 7
    snap(a=a, flat=flat)
    rv = a.ravel()
    rv[5] = -5
    snap(a=a, flat=flat, rv=rv)
    t_copy = a.T.reshape(-1)  # a copy (non-contiguous): writes stay local
    t_copy[1] = 999
    snap(a=a, flat=flat, rv=rv, tc=t_copy)
    a[2, 3] = 33
    snap(a=a, flat=flat, rv=rv, tc=t_copy)
    col = a[:, 1]
    col2 = col.reshape(3, 1)  # reshape of a strided view: still a view in NumPy
    col2[0, 0] = 11
    snap(a=a, flat=flat, col=col, col2=col2, tc=t_copy, final=True)


def s_shape_function_views(xp, snap):
    a = xp.arange(6.0).reshape(2, 3)
    e = xp.expand_dims(a, 0)
    e[0, 1, 2] = -1.0
    snap(a=a, e=e)
    s = xp.squeeze(e)
    s[0, 0] = -2.0
    snap(a=a, e=e, s=s)
    sw = xp.swapaxes(a, 0, 1)
    sw[2, 0] = -3.0
    snap(a=a, sw=sw)
    m = xp.moveaxis(e, 0, -1)
    m[1, 1, 0] = -4.0
    snap(a=a, m=m)
    f = xp.flip(a, axis=1)
    f[0, 0] = -5.0
    snap(a=a, f=f)
    v = a.view()
    v[1, 1] = -6.0
    snap(a=a, v=v, e=e, s=s, sw=sw, m=m, f=f, final=True)


def s_inplace_on_views(xp, snap):
    a = xp.arange(1, 13, dtype=xp.int32).reshape(3, 4)
    v = a[:, 1:3]
    v *= 2
    snap(a=a, v=v)
    v -= a[:, :2]  # the right side overlaps the base
    snap(a=a, v=v)
    v //= 3
    snap(a=a, v=v)
    xp.add(v, 1, out=v)
    snap(a=a, v=v)
    r = a[2]
    r <<= 1
    snap(a=a, v=v, r=r, final=True)


def s_advanced_index_copies(xp, snap):
    a = xp.arange(10) * 10
    b = a[[1, 3, 5]]          # a copy
    b[0] = -1
    m = a[a > 40]             # a copy
    m[:] = 0
    snap(a=a, b=b, m=m)
    a[[0, 2]] = xp.array([7, 8])
    snap(a=a, b=b, m=m)
    a[[4, 4, 4]] += 1         # buffered: one increment, as NumPy
    snap(a=a, b=b, m=m, final=True)


def s_mask_assignment(xp, snap):
    a = xp.arange(-6, 6, dtype=xp.float64).reshape(3, 4)
    a[a < 0] = 0
    snap(a=a)
    m = a > 2
    a[m] = a[m] * 10
    snap(a=a)
    row = a[1]
    row[row > 5] = -1.0       # mask assignment through a view
    snap(a=a, row=row)
    a[xp.array([True, False, True])] = 3.5
    snap(a=a, row=row, final=True)


def s_int_array_assignment(xp, snap):
    a = xp.zeros((4, 3), dtype=xp.int64)
    a[[0, 2]] = 1
    snap(a=a)
    a[:, [0, 2]] = xp.array([5, 6])
    snap(a=a)
    a[xp.array([-1, 1])] += 10
    snap(a=a)
    a[1, 1] = 2.9             # truncated to int, as NumPy
    snap(a=a, final=True)


def s_overlapping_writes(xp, snap):
    a = xp.arange(10)
    a[1:] = a[:-1]            # NumPy handles the overlap as if the right side were copied
    snap(a=a)
    a[::2] += a[1::2]
    snap(a=a)
    m = xp.arange(9.0).reshape(3, 3)
    m += m.T
    snap(a=a, m=m)
    b = m[::-1]
    b += m
    snap(a=a, m=m, b=b)
    m[[1, 2]] = m[[2, 1]]
    snap(a=a, m=m, b=b, final=True)


def s_fortran_order_user_array(xp, snap):
    a = xp.array(numpy.asfortranarray(numpy.arange(6.0).reshape(2, 3)))
    r = a.reshape(-1)         # a copy for an F-ordered array
    r[0] = 50
    snap(a=a, r=r)
    t = a.T.reshape(-1)       # a view: the transpose is C-contiguous
    t[1] = 60
    snap(a=a, r=r, t=t)
    c = a[:, 1]
    c += 1
    snap(a=a, r=r, t=t, c=c, final=True)


def s_inplace_methods_and_out(xp, snap):
    a = xp.array([5, 3, 9, 1, 7, 2])
    v = a[1:5]
    v.sort()
    snap(a=a, v=v)
    a[::-1].sort()
    snap(a=a, v=v)
    w = a[2:]
    w.fill(4)
    snap(a=a, v=v, w=w)
    m = xp.arange(6.0).reshape(2, 3)
    numpy.negative(m[0], out=m[1])
    snap(a=a, m=m)
    xp.multiply(m[:, 0], 10, out=m[:, 2])
    snap(a=a, v=v, w=w, m=m, final=True)


def s_views_outlive_rebinding(xp, snap):
    a = xp.arange(6.0)
    v = a[1:4]
    a += 1                    # in place: v sees it
    snap(a=a, v=v)
    old = a
    a = a * 2                 # a new array: v keeps viewing the old one
    v[0] = 100
    snap(a=a, v=v, old=old)
    x = xp.arange(6.0).reshape(2, 3)
    row = x[1]
    x[...] = 0
    snap(a=a, v=v, old=old, row=row, final=True)


def s_mixed_index_assignment(xp, snap):
    a = xp.arange(24).reshape(2, 3, 4)
    a[..., 1] = 0
    snap(a=a)
    a[1, ..., None][0] = 5
    snap(a=a)
    a[0, [0, 2]] = 7
    snap(a=a)
    a[[1], 1:] = 8
    snap(a=a)
    a[:, xp.array([True, False, True])] = -2
    snap(a=a)
    a[xp.argmax(a[0, 0])] = 1        # a lazy 0-d index
    a[xp.int64(0), numpy.array(1)] = 3
    snap(a=a, final=True)


def s_unsigned_wrap_in_place(xp, snap):
    a = xp.arange(3, dtype=xp.uint8)
    a -= 1
    snap(a=a)
    a[0] += 250
    snap(a=a)
    v = a[1:]
    v *= 3
    snap(a=a, v=v)
    b = xp.ones(3, dtype=xp.int32)
    b[:] = numpy.array([1, -1, 3_000_000_000])   # int64 -> int32 wraps, as NumPy
    snap(a=a, v=v, b=b, final=True)


SCENARIOS = [s_overlapping_writes, s_fortran_order_user_array, s_inplace_methods_and_out,
             s_views_outlive_rebinding, s_mixed_index_assignment, s_unsigned_wrap_in_place,
             s_chained_setitem, s_siblings, s_view_of_view, s_negative_steps_none_ellipsis,
             s_step_assign, s_reshape_views_and_copies, s_shape_function_views,
             s_inplace_on_views, s_advanced_index_copies, s_mask_assignment,
             s_int_array_assignment]


@pytest.mark.parametrize("every_step", [True, False], ids=["eval-each-step", "lazy"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__[2:])
def test_scenario(scenario, every_step):
    compare_runs(scenario, every_step)


# --- reading: indexing results --------------------------------------------------------------
DATA = numpy.arange(60, dtype=numpy.float64).reshape(3, 4, 5) * 1.5 - 20
KEYS = [
    (slice(None, None, 2),), (slice(None, None, -1),), (slice(-2, None),),
    (1,), (-1,), (1, 2), (0, -1, slice(1, 4)), (slice(None), 3), (Ellipsis, 2),
    (Ellipsis, slice(None, None, -2)), (None,), (None, 1, None, Ellipsis),
    (slice(1, None), None, slice(None, None, -3)), (slice(10, 20),),
    (slice(None, None, -1), slice(3, 0, -1), slice(None, None, 4)), (slice(0, 0),),
    ([0, 2],), ([-1, 0, -1],), (slice(None), [3, 0]), (Ellipsis, [4, 4, 1]),
    (numpy.array([[0, 1], [2, 2]]),), (numpy.array([], dtype=numpy.intp),),
    (numpy.array([2, 0]), slice(None), slice(1, 3)),
    (slice(None), numpy.array([1, 2]), 0),          # advanced mixed with basic
    ([0, 1], [2, 3]),                               # two advanced indices
    (numpy.array([True, False, True]),),
    (numpy.ones((3, 4), dtype=bool),),
    (DATA > 10,), (DATA[:, :, 0] < 0,),
    (slice(None), numpy.array([True, False, False, True])),
]


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_getitem_matches_numpy(key):
    expected = DATA[key]
    lz = wnp.asarray(DATA)
    got = lz[key]
    assert isinstance(got, weldish.LazyArray) or numpy.ndim(expected) == 0
    assert got.shape == numpy.shape(expected)  # known before evaluation
    value = numpy.asarray(got)
    assert value.dtype == numpy.asarray(expected).dtype
    npt.assert_array_equal(value, expected)


def test_integer_key_gives_zero_d_scalar_value():
    lz = wnp.asarray(DATA)
    s = lz[1, 2, 3]
    assert s.shape == () and s.dtype == numpy.float64
    assert float(s) == DATA[1, 2, 3]
    assert s.item() == DATA[1, 2, 3]
    assert repr(s) == repr(DATA[1, 2, 3])
    npt.assert_array_equal(numpy.asarray(s + 1), DATA[1, 2, 3] + 1)
    a = wnp.arange(12).reshape(3, 4)
    assert int(a[1][2]) == 6 and int(a[-1, -1]) == 11


@pytest.mark.parametrize("conv", [numpy.asarray, numpy.array, weldish.evaluate],
                         ids=["asarray", "array", "evaluate"])
def test_integer_key_converts_to_0d_array(conv):
    s = wnp.asarray(DATA)[1, 2, 3]
    value = conv(s)
    assert isinstance(value, numpy.ndarray) and value.shape == ()
    assert value == DATA[1, 2, 3]


@pytest.mark.parametrize("key", KEYS[:16], ids=repr)
def test_getitem_of_lazy_expression(key):
    lz = wnp.asarray(DATA) * 2 + 1
    npt.assert_array_equal(numpy.asarray(lz[key]), (DATA * 2 + 1)[key])


def test_getitem_with_lazy_indices():
    lz = wnp.asarray(DATA)
    idx = wnp.argmax(lz[:, :, 0], axis=1)        # a lazy integer array as the index
    npt.assert_array_equal(numpy.asarray(lz[1, idx]), DATA[1, DATA[:, :, 0].argmax(axis=1)])
    mask = lz > 30                                # a lazy boolean mask
    npt.assert_array_equal(numpy.asarray(lz[mask]), DATA[DATA > 30])
    npt.assert_array_equal(numpy.asarray(wnp.take(lz, [3, 1], axis=2)),
                           numpy.take(DATA, [3, 1], axis=2))


# --- user arrays are never written -----------------------------------------------------------
def test_inplace_on_lazy_from_user_array_leaves_user_array():
    user = numpy.arange(12.0).reshape(3, 4)
    keep = user.copy()
    lz = wnp.asarray(user)
    lz += 1
    lz[0] = -1
    lz[:, 1] *= 2
    v = lz.T
    v[0, 2] = 99
    lz[lz > 8] = 0
    numpy.asarray(lz)
    npt.assert_array_equal(user, keep)
    expected = keep + 1
    expected[0] = -1
    expected[:, 1] *= 2
    expected.T[0, 2] = 99
    expected[expected > 8] = 0
    npt.assert_array_equal(numpy.asarray(lz), expected)


def test_inplace_on_view_of_user_array_leaves_user_array():
    user = numpy.arange(10)
    keep = user.copy()
    lz = wnp.asarray(user)
    numpy.asarray(lz)  # materialized: its value is the user's array itself
    v = lz[2:6]
    v += 100
    numpy.add(lz, 1, out=lz)
    lz.sort()
    npt.assert_array_equal(user, keep)
    expected = keep.copy()
    expected[2:6] += 100
    expected += 1
    expected.sort()
    npt.assert_array_equal(numpy.asarray(lz), expected)


def test_ufunc_out_lazy_and_user_out():
    x = wnp.arange(5.0)
    out = wnp.zeros(5)
    res = numpy.multiply(x, 3, out=out)
    assert res is out
    npt.assert_array_equal(numpy.asarray(out), numpy.arange(5.0) * 3)


# --- aliasing of evaluated values ------------------------------------------------------------
def test_asarray_of_materialized_value_is_same_object():
    x = wnp.exp(wnp.arange(6.0)) * 2
    h1 = numpy.asarray(x)
    h2 = numpy.asarray(x)
    assert h1 is h2
    assert numpy.asarray(x) is weldish.evaluate(x)
    v = x[1:4]
    assert numpy.shares_memory(numpy.asarray(v), h1)


def test_user_write_into_evaluated_value_is_visible():
    x = wnp.arange(6.0) * 2
    row = x[1:]
    h = numpy.asarray(x)
    h[0] = 100.0
    h[2] = -3.0
    assert float(x[0]) == 100.0
    npt.assert_array_equal(numpy.asarray(x), [100, 2, -3, 6, 8, 10])
    npt.assert_array_equal(numpy.asarray(row), [2, -3, 6, 8, 10])
    npt.assert_array_equal(numpy.asarray(x + 1), [101, 3, -2, 7, 9, 11])
    assert float(x.sum()) == 123.0


def _copies(x):
    out = {"x.copy()": x.copy(), "wnp.array(x)": wnp.array(x), "wnp.copy(x)": wnp.copy(x),
           "copy.copy(x)": copy.copy(x), "copy.deepcopy(x)": copy.deepcopy(x)}
    out["numpy.array(x)"] = numpy.array(x)  # last: it evaluates x
    return out


def test_copies_of_lazy_value_are_independent():
    x = wnp.arange(5.0) + 1
    copies = _copies(x)  # made while x is still a lazy expression
    h = numpy.asarray(x)
    h[0] = -1.0          # user writes into the handed-out value
    x[1] = -2.0          # and through the lazy array
    assert type(copies["numpy.array(x)"]) is numpy.ndarray
    for name, y in copies.items():
        if name != "numpy.array(x)":
            assert isinstance(y, weldish.LazyArray), name
        npt.assert_array_equal(numpy.asarray(y), [1, 2, 3, 4, 5], err_msg=name)
    c = copies["x.copy()"]
    c[2] = 0.0
    npt.assert_array_equal(numpy.asarray(x), [-1, -2, 3, 4, 5])
    npt.assert_array_equal(numpy.asarray(c), [1, 2, 0, 4, 5])
    for name, y in copies.items():
        assert not numpy.shares_memory(numpy.asarray(y), numpy.asarray(x)), name


def test_copies_of_evaluated_value_ignore_lazy_writes():
    x = wnp.arange(5.0) + 1
    numpy.asarray(x)
    copies = _copies(x)
    x[1] = -2.0
    x += 1
    for name, y in copies.items():
        npt.assert_array_equal(numpy.asarray(y), [1, 2, 3, 4, 5], err_msg=name)


def test_copies_of_evaluated_value_ignore_user_writes():
    x = wnp.arange(5.0) + 1
    h = numpy.asarray(x)
    copies = _copies(x)
    h[0] = -1.0
    for name, y in copies.items():
        npt.assert_array_equal(numpy.asarray(y), [1, 2, 3, 4, 5], err_msg=name)


def test_broadcast_to_is_read_only():
    for xp in (numpy, wnp):
        b = xp.broadcast_to(xp.arange(3), (4, 3))
        with pytest.raises(ValueError):
            b[0, 0] = 5
        with pytest.raises(ValueError):
            b += 1
    b = wnp.broadcast_to(wnp.arange(3.0), (2, 3))
    assert not numpy.asarray(b).flags.writeable
    npt.assert_array_equal(numpy.asarray(b), numpy.broadcast_to(numpy.arange(3.0), (2, 3)))


def test_lazy_write_reaches_handed_out_value():
    for xp in (numpy, wnp):
        x = xp.arange(3.0)
        h = numpy.asarray(x)
        x[1] = 5.0
        npt.assert_array_equal(h, [0.0, 5.0, 2.0], err_msg=xp.__name__)


@pytest.mark.xfail(strict=True, reason="weldish bug: a lazy result built before the user "
                   "writes into an input array sees the write (NumPy computed it before)")
def test_result_recorded_before_user_write_keeps_old_value():
    user = numpy.arange(3.0)
    y = wnp.asarray(user) * 2
    user[0] = 100.0
    npt.assert_array_equal(numpy.asarray(y), [0.0, 2.0, 4.0])


@pytest.mark.xfail(strict=True, reason="weldish bug: a lazy result built from an evaluated "
                   "array sees later user writes into its handed-out value")
def test_result_recorded_before_write_into_handed_out_value():
    x = wnp.arange(3.0)
    h = numpy.asarray(x)
    y = x * 2
    h[0] = 100.0
    npt.assert_array_equal(numpy.asarray(y), [0.0, 2.0, 4.0])
