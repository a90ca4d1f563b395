"""Annotated pipelines equal the same calls made eagerly, on every backend, with 1 and 2
threads, and piece sizes that leave an uneven last piece."""
from __future__ import annotations

import numpy as np
import pytest

import weldish
import weldish.numpy as wnp
from weldish.annotate import ArraySplit, Broadcast, Generic, Mut, Reduce
from weldish.testing import backend_fixture

backend = backend_fixture()

exp = weldish.annotate(ArraySplit(), out=Mut(ArraySplit()), returns=ArraySplit())(np.exp)
log = weldish.annotate(ArraySplit(), returns=ArraySplit())(np.log)
add = weldish.annotate(Generic("A"), Generic("A"), returns=Generic("A"))(np.add)
total = weldish.annotate(ArraySplit(), returns=Reduce("sum"))(np.sum)
lowest = weldish.annotate(ArraySplit(), returns=Reduce("min"))(np.min)
highest = weldish.annotate(ArraySplit(), returns=Reduce("max"))(np.max)
keep = weldish.annotate(ArraySplit(), returns=Reduce("concat"))(lambda x: x[x > 0.5])


def row_norm(m):
    return np.sqrt((m * m).sum(axis=1))


def col_scale(m, w):
    return m * w[:, None]


norm_rows = weldish.annotate(ArraySplit(0), returns=ArraySplit(0))(row_norm)
scale_cols = weldish.annotate(ArraySplit(1), Broadcast(), returns=ArraySplit(1))(col_scale)
col_sums = weldish.annotate(ArraySplit(1), returns=ArraySplit(0))(lambda m: m.sum(axis=0))

N = 1003   # with pieces of 100: ten full pieces and one of 3


@pytest.fixture(params=[(1, 100), (2, 100), (2, 7)], ids=["1thread", "2threads", "tiny"])
def setting(request):
    threads, piece = request.param
    with weldish.config(num_threads=threads, split_piece=piece):
        yield


rng = np.random.default_rng(42)
X = rng.random(N) + 0.1
Y = rng.random(N)
M = rng.standard_normal((N, 6))


def close(got, expected):
    got = np.asarray(got)
    assert got.dtype == np.asarray(expected).dtype and got.shape == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def test_chain_of_calls(setting):
    got = log(add(exp(wnp.asarray(X)), wnp.asarray(Y)))
    np.testing.assert_array_equal(np.asarray(got), np.log(np.add(np.exp(X), Y)))


def test_mixed_annotated_and_lazy_numpy(setting):
    x, y = wnp.asarray(X), wnp.asarray(Y)
    got = exp(x) * 2 + wnp.sqrt(y)
    close(got, np.exp(X) * 2 + np.sqrt(Y))
    got = log(x * 3 - 0.1) + y
    close(got, np.log(X * 3 - 0.1) + Y)


def test_float32_and_weak_scalars_keep_numpy_dtypes(setting):
    x = wnp.asarray(X.astype(np.float32))
    got = exp(x) * 2.0 + 1
    expected = np.exp(X.astype(np.float32)) * 2.0 + 1
    assert np.asarray(got).dtype == np.float32
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-6)


@pytest.mark.parametrize("fn, reduce, exact", [(total, np.sum, False), (lowest, np.min, True),
                                              (highest, np.max, True)])
def test_reductions(setting, fn, reduce, exact):
    got = fn(exp(wnp.asarray(X)) - wnp.asarray(Y))
    expected = reduce(np.exp(X) - Y)
    if exact:
        np.testing.assert_array_equal(np.asarray(got), expected, strict=True)
    else:
        close(got, expected)


def test_reduction_then_broadcast_is_a_pipeline_break(setting):
    x = wnp.asarray(X)
    e = exp(x)
    got = log(e / total(e))
    text = weldish.explain(got, show=False)
    assert "stage 1" in text and "merged result of call sum" in text
    assert "interpreter" not in text   # llvm's kernel list names the calls' executor
    assert "== kernels" not in text or "an annotated black box, run by piece" in text
    close(got, np.log(np.exp(X) / np.sum(np.exp(X))))


def test_concat_reduction_runs_at_the_call(setting):
    got = keep(wnp.asarray(X) * 2)
    np.testing.assert_array_equal(np.asarray(got), (X * 2)[X * 2 > 0.5])


def test_in_place_output_of_a_lazy_array(setting):
    x = wnp.asarray(X)
    out = wnp.zeros(N)
    ret = exp(x + 1, out=out)
    assert ret is out
    np.testing.assert_array_equal(np.asarray(out), np.exp(X + 1))
    assert (X == np.asarray(x)).all()


def test_two_dimensional_along_axis_0_and_1(setting):
    m = wnp.asarray(M)
    close(norm_rows(m * 2), row_norm(M * 2))
    w = rng.random(6)
    close(scale_cols(m.T, w) + 1, col_scale(M.T, w) + 1)
    close(col_sums(wnp.abs(m.T)), np.abs(M.T).sum(axis=0))


def test_axis_conflict_breaks_the_pipeline(setting):
    square = wnp.asarray(rng.random((40, 40)))
    a = norm_rows(square)                  # rows
    b = col_sums(square * 2)               # columns of the same values
    got = a + b
    close(got, row_norm(np.asarray(square)) + (np.asarray(square) * 2).sum(axis=0))


def test_one_element_and_empty(setting):
    for n in (1, 0):
        x = np.full(n, 0.5)
        close(log(exp(wnp.asarray(x)) + 1), np.log(np.exp(x) + 1))
        close(total(wnp.asarray(x)), np.sum(x))
    with pytest.raises(ValueError):
        np.asarray(lowest(wnp.asarray(np.zeros(0))))


def test_non_contiguous_inputs(setting):
    big = rng.random((N, 4))
    col = big[:, 2]                         # strided
    close(exp(wnp.asarray(col)) + wnp.asarray(big[::-1, 1]), np.exp(col) + big[::-1, 1])


def test_a_piece_that_raises_names_its_range(setting):
    def fragile(x):
        if (x > 0.999).any():
            raise FloatingPointError("value out of range")
        return x * 2
    f = weldish.annotate(ArraySplit(), returns=ArraySplit())(fragile)
    x = np.linspace(0, 1, N)
    lazy = f(wnp.asarray(x)) + 1
    with pytest.raises(FloatingPointError, match=r"piece \[\d+, 1003\)") as info:
        np.asarray(lazy)
    assert isinstance(info.value.__cause__, FloatingPointError)


def test_same_value_every_run(setting):
    x = wnp.asarray(X)
    first = np.asarray(total(exp(x)))
    for _ in range(3):
        np.testing.assert_array_equal(np.asarray(total(exp(x))), first)


def test_numpy_errstate_reaches_the_pieces(setting):
    x = wnp.asarray(np.linspace(-1, 1, N))
    with np.errstate(invalid="raise"):
        with pytest.raises(FloatingPointError):
            np.asarray(log(x) + 1)


def test_data_dependent_result_dtype_is_an_error_not_a_cast(setting):
    def promote(x):
        return x.astype(np.float32) if (x > 0.9).any() else x
    f = weldish.annotate(ArraySplit(), returns=ArraySplit())(promote)
    with pytest.raises(TypeError, match="must not depend on the data"):
        np.asarray(f(wnp.asarray(np.linspace(0, 1, N))) + 1)
