"""weldish.tensorflow against NumPy reference math (float32 and float64), TensorFlow's
dtype rules and errors, tf.function tracing, keras Sequential, and small matmuls fused
into one loop. Each group evaluates its outputs together (one pass: few kernels)."""
import math
import re

import numpy as np
import pytest

import weldish
import weldish.numpy as wnp
import weldish.tensorflow as tf
from weldish.tensorflow.errors import InvalidArgumentError

DTYPES = ["float32", "float64"]
RTOL = {"float32": 2e-5, "float64": 1e-12}


def data(dtype, shape=(3, 4), lo=0.1, hi=0.9, seed=0):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(dtype)


def check_all(pairs, dtype, rtol=None):
    """Evaluate every tensor together, compare each with its NumPy reference."""
    tensors = [t for _, t, _ in pairs]
    values = weldish.evaluate(*tensors)
    values = values if isinstance(values, tuple) else (values,)
    for (name, t, ref), got in zip(pairs, values):
        ref = np.asarray(ref)
        assert isinstance(t, tf.Tensor), name
        assert got.dtype == ref.dtype, (name, got.dtype, ref.dtype)
        assert got.shape == ref.shape, (name, got.shape, ref.shape)
        if ref.dtype.kind == "f":
            scale = np.max(np.abs(ref)) if ref.size else 1.0
            np.testing.assert_allclose(got, ref, rtol=rtol or RTOL[dtype],
                                       atol=(rtol or RTOL[dtype]) * scale, err_msg=name)
        else:
            np.testing.assert_array_equal(got, ref, err_msg=name)


def _erf(x):
    return np.vectorize(math.erf, otypes=[x.dtype])(x)


UNARY = [  # (tf function, NumPy reference)
    (tf.math.abs, np.abs), (tf.math.negative, np.negative), (tf.math.sign, np.sign),
    (tf.math.square, np.square), (tf.math.reciprocal, np.reciprocal), (tf.exp, np.exp),
    (tf.math.expm1, np.expm1), (tf.math.log, np.log), (tf.math.log1p, np.log1p),
    (tf.sqrt, np.sqrt), (tf.math.rsqrt, lambda x: 1 / np.sqrt(x)), (tf.sin, np.sin),
    (tf.cos, np.cos), (tf.math.tan, np.tan), (tf.math.asin, np.arcsin),
    (tf.math.acos, np.arccos), (tf.math.atan, np.arctan), (tf.math.sinh, np.sinh),
    (tf.math.cosh, np.cosh), (tf.tanh, np.tanh), (tf.math.asinh, np.arcsinh),
    (tf.math.atanh, np.arctanh), (tf.floor, np.floor), (tf.math.ceil, np.ceil),
    (lambda x: tf.math.acosh(x + 1), lambda x: np.arccosh(x + x.dtype.type(1))),
    (lambda x: tf.round(x * 4), lambda x: np.rint(x * x.dtype.type(4))),
    (tf.math.is_nan, np.isnan), (tf.math.is_finite, np.isfinite),
    (tf.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    (tf.math.softplus, lambda x: np.logaddexp(x.dtype.type(0), x)),
    (tf.math.log_sigmoid, lambda x: -np.logaddexp(x.dtype.type(0), -x)),
]
BINARY = [
    (tf.add, np.add), (tf.subtract, np.subtract), (tf.multiply, np.multiply),
    (tf.divide, np.divide), (tf.pow, np.power), (tf.maximum, np.maximum),
    (tf.minimum, np.minimum), (tf.math.floordiv, np.floor_divide),
    (tf.math.floormod, np.remainder), (tf.math.atan2, np.arctan2),
    (tf.math.squared_difference, lambda a, b: (a - b) ** 2),
    (tf.equal, np.equal), (tf.not_equal, np.not_equal), (tf.less, np.less),
    (tf.less_equal, np.less_equal), (tf.greater, np.greater),
    (tf.greater_equal, np.greater_equal),
    (lambda a, b: a + b, np.add), (lambda a, b: a - 2.0, lambda a, b: a - 2),
    (lambda a, b: 3 * a, lambda a, b: 3 * a), (lambda a, b: a / b, np.divide),
    (lambda a, b: a ** 2, lambda a, b: a ** 2), (lambda a, b: -a, lambda a, b: -a),
    (lambda a, b: a @ tf.transpose(b), lambda a, b: a @ b.T),
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_elementwise_ops_match_numpy(dtype):
    x, y = data(dtype), data(dtype, seed=1) + 0.5
    tx, ty = tf.constant(x), tf.constant(y)
    pairs = [(f"unary {i}", f(tx), ref(x)) for i, (f, ref) in enumerate(UNARY)]
    pairs += [(f"binary {i}", f(tx, ty), ref(x, y)) for i, (f, ref) in enumerate(BINARY)]
    pairs.append(("add_n", tf.math.add_n([tx, ty, tx]), x + y + x))
    pairs.append(("divide_no_nan", tf.math.divide_no_nan(tx, tx - tx), np.zeros_like(x)))
    check_all(pairs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_match_numpy(dtype):
    x = data(dtype, lo=-1, hi=1)
    t = tf.constant(x)
    pairs = []
    for axis, keep in ((None, False), ([0, 1], True), (-1, False)):
        ax = tuple(axis) if isinstance(axis, list) else axis
        for f, ref in [(tf.reduce_sum, np.sum), (tf.reduce_mean, np.mean),
                       (tf.reduce_max, np.max), (tf.reduce_min, np.min),
                       (tf.reduce_prod, np.prod), (tf.math.reduce_std, np.std),
                       (tf.reduce_logsumexp, lambda v, axis, keepdims: np.log(
                           np.sum(np.exp(v), axis=axis, keepdims=keepdims)))]:
            pairs.append((f"{f.__name__} {axis} {keep}", f(t, axis=axis, keepdims=keep),
                          ref(x, axis=ax, keepdims=keep).astype(dtype)))
        pairs.append((f"any {axis}", tf.reduce_any(t > 0.5, axis, keep),
                      np.any(x > 0.5, axis=ax, keepdims=keep)))
        pairs.append((f"all {axis}", tf.reduce_all(t > -0.9, axis, keep),
                      np.all(x > -0.9, axis=ax, keepdims=keep)))
    pairs += [("argmax", tf.argmax(t), np.argmax(x, axis=0)),
              ("argmin 1", tf.math.argmin(t, 1, output_type=tf.int32),
               np.argmin(x, axis=1).astype("int32")),
              ("cumsum", tf.math.cumsum(t, axis=1), np.cumsum(x, axis=1)),
              ("cumsum exclusive reverse", tf.math.cumsum(t, 1, exclusive=True, reverse=True),
               np.concatenate([np.zeros((3, 1), dtype), np.cumsum(x[:, ::-1], 1)[:, :-1]],
                              1)[:, ::-1]),
              ("cumprod reverse", tf.math.cumprod(t, 0, reverse=True),
               np.cumprod(x[::-1], 0)[::-1]),
              ("max of empty", tf.reduce_max(t[:, :0], axis=1), np.full(3, -np.inf, dtype))]
    check_all(pairs, dtype)


def test_integer_reductions_keep_the_dtype_and_truncate_the_mean():
    x = np.array([[1, -2, 4], [7, -9, 3]], dtype=np.int32)
    t = tf.constant(x)
    check_all([("sum", tf.reduce_sum(t, 1), x.sum(1).astype(np.int32)),
               ("prod", tf.reduce_prod(t), np.prod(x).astype(np.int32)),
               ("mean", tf.reduce_mean(t, 0), np.trunc(x.mean(0)).astype(np.int32)),
               ("intdiv", t / 2, x / 2), ("floordiv", t // 2, x // 2)], "float64")


@pytest.mark.parametrize("dtype", DTYPES)
def test_nn_ops_match_numpy(dtype):
    x = data(dtype, lo=-3, hi=3)
    z = (data(dtype, seed=2) > 0.5).astype(dtype)
    t = tf.constant(x)
    one = x.dtype.type(1)
    e = np.exp(x - x.max(-1, keepdims=True))
    pairs = [
        ("relu", tf.nn.relu(t), np.maximum(x, 0)),
        ("relu6", tf.nn.relu6(t * 3), np.clip(x * 3, 0, 6)),
        ("elu", tf.nn.elu(t), np.where(x > 0, x, np.expm1(x))),
        ("selu", tf.nn.selu(t), x.dtype.type(1.0507009873554805) * np.where(
            x > 0, x, x.dtype.type(1.6732632423543772) * np.expm1(x))),
        ("gelu tanh", tf.nn.gelu(t, approximate=True), 0.5 * x * (one + np.tanh(
            x.dtype.type(math.sqrt(2 / math.pi)) * (x + x.dtype.type(0.044715) * x ** 3)))),
        ("sigmoid", tf.nn.sigmoid(t), 1 / (1 + np.exp(-x))),
        ("tanh", tf.nn.tanh(t), np.tanh(x)),
        ("softmax", tf.nn.softmax(t), e / e.sum(-1, keepdims=True)),
        ("softmax 0", tf.nn.softmax(t, axis=0),
         np.exp(x - x.max(0)) / np.exp(x - x.max(0)).sum(0)),
        ("log_softmax", tf.nn.log_softmax(t), np.log(e / e.sum(-1, keepdims=True))),
        ("softplus", tf.nn.softplus(t), np.logaddexp(x.dtype.type(0), x)),
        ("sce", tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.constant(z), logits=t),
         -(z * np.log(1 / (1 + np.exp(-x))) + (1 - z) * np.log(1 - 1 / (1 + np.exp(-x))))),
        ("bias_add", tf.nn.bias_add(t, tf.constant(x[0])), x + x[0]),
    ]
    check_all(pairs, dtype, rtol=1e-5 if dtype == "float32" else 1e-9)
    gelu = tf.nn.gelu(t).numpy()  # erf runs eagerly (recorded fallback)
    np.testing.assert_allclose(gelu, 0.5 * x * (1 + _erf(x / x.dtype.type(math.sqrt(2)))),
                               rtol=RTOL[dtype], atol=RTOL[dtype])
    assert gelu.dtype == x.dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_shape_and_selection_ops_match_numpy(dtype):
    x, y = data(dtype), data(dtype, seed=1)
    tx, ty = tf.constant(x), tf.constant(y)
    pairs = [
        ("reshape", tf.reshape(tx, [2, -1]), x.reshape(2, -1)),
        ("transpose", tf.transpose(tx), x.T),
        ("transpose perm", tf.transpose(tf.reshape(tx, [3, 2, 2]), [2, 0, 1]),
         x.reshape(3, 2, 2).transpose(2, 0, 1)),
        ("concat 0", tf.concat([tx, ty], 0), np.concatenate([x, y], 0)),
        ("concat -1", tf.concat([tx, ty], axis=-1), np.concatenate([x, y], -1)),
        ("stack", tf.stack([tx, ty], axis=1), np.stack([x, y], 1)),
        ("expand_dims", tf.expand_dims(tx, 1) * 2, x[:, None] * 2),
        ("squeeze", tf.squeeze(tf.reshape(tx, [1, 3, 1, 4]), axis=[0, 2]), x),
        ("where", tf.where(tx > ty, tx, ty * 2), np.where(x > y, x, y * 2)),
        ("clip", tf.clip_by_value(tx, 0.3, 0.6), np.clip(x, 0.3, 0.6)),
        ("one_hot", tf.one_hot(tf.constant([0, 2, 5, 1]), 3, dtype=dtype),
         np.eye(3, dtype=dtype)[[0, 2, 1, 1]] * np.array([1, 1, 0, 1], dtype)[:, None]),
        ("one_hot axis 0", tf.one_hot([1, 0], 2, on_value=5.0, off_value=-1.0, axis=0),
         np.array([[-1, 5], [5, -1]], "float32")),
        ("matmul", tf.matmul(tx, ty, transpose_b=True), x @ y.T),
        ("matmul ta", tf.matmul(tx, ty, transpose_a=True), x.T @ y),
        ("batch matmul", tf.matmul(tf.stack([tx, ty]), tf.transpose(ty)),
         np.stack([x, y]) @ y.T),
        ("tensordot 1", tf.tensordot(tx, tf.transpose(ty), 1), np.tensordot(x, y.T, 1)),
        ("tensordot axes", tf.tensordot(tx, ty, [[0, 1], [0, 1]]),
         np.tensordot(x, y, [[0, 1], [0, 1]])),
        ("cast", tf.cast(tx * 10, tf.int32), (x * 10).astype(np.int32)),
        ("slice", tx[1:, ::2] + 1, x[1:, ::2] + 1),
        ("shape", tf.shape(tx), np.array([3, 4], np.int32)),
        ("zeros_like", tf.zeros_like(tx) + tx, x),
        ("range", tf.range(5), np.arange(5, dtype=np.int32)),
        ("fill", tf.fill([2, 2], 3.0), np.full((2, 2), 3.0, "float32")),
        ("gather", tf.gather(tx, [2, 0, 2], axis=1) * 2, x[:, [2, 0, 2]] * 2),
    ]
    check_all(pairs, dtype)
    rows = tf.where(tx > 0.5)   # coordinates, eagerly
    np.testing.assert_array_equal(rows.numpy(), np.argwhere(x > 0.5))


def test_dtype_rules_follow_tensorflow():
    f32 = tf.constant([1.0, 2.0])
    assert f32.dtype == tf.float32 and tf.constant([1, 2]).dtype == tf.int32
    assert tf.constant(np.ones(2)).dtype == tf.float64   # NumPy arrays keep their dtype
    assert tf.constant(2**40).dtype == tf.int64
    for other in (tf.constant(np.ones(2)), tf.constant([1, 2])):
        with pytest.raises(InvalidArgumentError, match=r"expected to be a float tensor but "
                                                       r"is a (double|int32) tensor"):
            f32 + other
    with pytest.raises(InvalidArgumentError, match="double"):
        tf.matmul(tf.constant(np.ones((2, 2))), tf.ones((2, 2)))
    # Python numbers and NumPy/weldish arrays are converted to the tensor's dtype
    assert (f32 + 1).dtype == tf.float32 and (2.5 * f32).dtype == tf.float32
    assert (f32 + np.ones(2)).dtype == tf.float32
    assert (f32 + wnp.ones(2)).dtype == tf.float32
    with pytest.raises(TypeError, match="Cannot convert"):
        tf.constant([1, 2]) + 1.5
    with pytest.raises(TypeError):
        tf.constant([1, 2]) + np.ones(2)
    assert tf.cast(f32, tf.float64).dtype == tf.float64
    assert (tf.constant([1, 2]) / tf.constant([2, 2])).dtype == tf.float64


def test_shape_errors_name_the_shapes():
    a, b = tf.ones((2, 3)), tf.ones((2, 3))
    with pytest.raises(InvalidArgumentError, match=re.escape("In[0]: [2,3], In[1]: [2,3]")):
        tf.matmul(a, b)
    with pytest.raises(InvalidArgumentError, match=re.escape("shape[0] = [2,3] vs. "
                                                             "shape[1] = [2,4]")):
        tf.concat([a, tf.ones((2, 4))], 0)
    with pytest.raises(InvalidArgumentError, match="Ranks of all input tensors"):
        tf.concat([a, tf.ones(3)], 0)
    with pytest.raises(InvalidArgumentError, match=re.escape("Incompatible shapes: [2,3] "
                                                             "vs. [4]")):
        a + tf.ones(4)
    with pytest.raises(InvalidArgumentError, match="6 values, but the requested shape has 4"):
        tf.reshape(a, [2, 2])
    with pytest.raises(InvalidArgumentError, match="Can not squeeze dim"):
        tf.squeeze(a, 0)
    with pytest.raises(InvalidArgumentError, match="Shapes of all inputs must match"):
        tf.stack([a, tf.ones((3, 2))])
    with pytest.raises(InvalidArgumentError, match="Invalid reduction dimension"):
        tf.reduce_sum(a, 2)
    with pytest.raises(InvalidArgumentError, match=re.escape("indices[1] = 3 is not in [0, 3)")):
        tf.gather(a, [0, 3], axis=1)
    with pytest.raises(TypeError):
        a[0] = 1


def test_interop_with_numpy_and_weldish_numpy():
    x = data("float64")
    t = tf.constant(x)
    assert isinstance(np.asarray(t), np.ndarray)
    lazy = wnp.exp(t) + x            # weldish.numpy on a tensor: NumPy semantics, lazy
    assert isinstance(lazy, weldish.LazyArray) and not isinstance(lazy, tf.Tensor)
    back = tf.reduce_sum(tf.convert_to_tensor(lazy), axis=0)
    np.testing.assert_allclose(np.asarray(back), (np.exp(x) + x).sum(0), rtol=1e-12)

    class FakeTF:                     # TensorFlow's own tensors convert through .numpy()
        def numpy(self):
            return x
    np.testing.assert_allclose(tf.convert_to_tensor(FakeTF()).numpy(), x)
    assert repr(tf.constant(1.5)).startswith("<tf.Tensor: shape=(), dtype=float32")


def test_function_traces_once_per_signature():
    calls = []

    @tf.function
    def score(x, w, b):
        calls.append(1)
        return tf.reduce_sum(tf.cast(tf.sigmoid(tf.matmul(x, w) + b) > 0.5, tf.int32))

    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 1))
    for n in (50, 50, 50, 7):
        x = rng.standard_normal((n, 4))
        got = score(x, w, 0.25)
        assert isinstance(got, tf.Tensor) and got.dtype == tf.int32
        assert int(got) == int(((1 / (1 + np.exp(-(x @ w + 0.25)))) > 0.5).sum())
    assert score.experimental_get_tracing_count() == 2 == len(calls)
    score(tf.constant(x), tf.constant(w), 0.5)   # a new Python value: traced again
    assert score.experimental_get_tracing_count() == 3

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float64)], jit_compile=True)
    def rowsum(x):
        return tf.reduce_sum(x, axis=1)
    np.testing.assert_allclose(rowsum(x).numpy(), x.sum(1))
    with pytest.raises(TypeError, match="input_signature"):
        rowsum(x.astype(np.float32))


def test_variables_are_read_at_each_call():
    v = tf.Variable([1.0, 2.0])
    before = v * 10                    # built before the assignment: keeps the old value
    f = tf.function(lambda x: tf.reduce_sum(x * v))
    assert float(f(np.ones(2, np.float32))) == 3.0
    v.assign([5.0, 5.0])
    assert float(f(np.ones(2, np.float32))) == 10.0 and f.experimental_get_tracing_count() == 1
    np.testing.assert_array_equal(before.numpy(), [10.0, 20.0])
    v.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(v.numpy(), [6.0, 6.0])
    with pytest.raises(ValueError, match="Shape mismatch"):
        v.assign([1.0, 2.0, 3.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_keras_sequential_matches_numpy(dtype):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 6))
    w1, b1 = rng.standard_normal((6, 5)), rng.standard_normal(5)
    w2, b2 = rng.standard_normal((5, 1)), rng.standard_normal(1)
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(6,)),
        tf.keras.layers.Dense(5, activation="relu", dtype=dtype),
        tf.keras.layers.Dense(1, activation="sigmoid", dtype=dtype)])
    model.set_weights([w.astype(dtype) for w in (w1, b1, w2, b2)])
    xd = x.astype(dtype)    # Keras casts the float64 input to the layer's dtype
    h = np.maximum(xd @ w1.astype(dtype) + b1.astype(dtype), 0)
    ref = 1 / (1 + np.exp(-(h @ w2.astype(dtype) + b2.astype(dtype))))
    got = model.predict(x)
    assert got.dtype == np.dtype(dtype) and got.shape == (64, 1)
    np.testing.assert_allclose(got, ref, rtol=RTOL[dtype], atol=RTOL[dtype])
    assert [w.shape for w in model.get_weights()] == [(6, 5), (5,), (5, 1), (1,)]


def _kernels(*arrays):
    text = weldish.explain(*arrays, show=False)
    return len(re.findall(r"^kernel \d+:", text, re.M)), text


def test_logistic_regression_score_is_one_kernel(backend):
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((200, 8)), rng.standard_normal(8)
    b = 0.1
    score = tf.reduce_sum(tf.cast(tf.sigmoid(tf.linalg.matmul(
        x, tf.reshape(w, [8, 1])) + b) > 0.5, tf.int64))
    lazy = wnp.sum(1 / (1 + wnp.exp(-(wnp.asarray(x) @ w + b))) > 0.5)
    expected = int(((1 / (1 + np.exp(-(x @ w + b)))) > 0.5).sum())
    if backend == "llvm":
        assert _kernels(score)[0] == 1
        assert _kernels(lazy)[0] == 1
    assert int(score) == expected == int(lazy)


def test_small_matmul_through_elementwise_and_columns(backend):
    """Columns are taken where they are made (through a stack of columns and elementwise
    ops): a two-layer scorer is one loop; wider outputs agree with NumPy; a large product
    stays on BLAS."""
    rng = np.random.default_rng(6)
    cols = [rng.standard_normal(100) for _ in range(3)]
    w1, w2 = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    x = wnp.stack([wnp.asarray(c) for c in cols], axis=1)
    xn = np.stack(cols, axis=1)
    hidden = wnp.tanh((x - 0.5) * 2 @ w1 + 1)
    ref_hidden = np.tanh((xn - 0.5) * 2 @ w1 + 1)
    score = (hidden @ w2[:, :1]).sum()
    if backend == "llvm":
        assert _kernels(score)[0] == 1
    np.testing.assert_allclose(float(score), (ref_hidden @ w2[:, :1]).sum(), rtol=1e-12)
    out = hidden @ w2
    np.testing.assert_allclose(np.asarray(out.sum(axis=0)), (ref_hidden @ w2).sum(0),
                               rtol=1e-12)
    np.testing.assert_allclose(np.asarray(out), ref_hidden @ w2, rtol=1e-12)
    big = rng.standard_normal((70, 70))
    text = _kernels(wnp.asarray(big) @ big + 1)[1]
    assert "matmul" in text.split("== optimized")[1]


def test_small_matmul_dtypes_batches_and_dot(backend):
    """The loop form keeps NumPy's dtypes (integers exact, mixed dtypes promoted) and
    handles batch dimensions and np.dot."""
    rng = np.random.default_rng(8)
    a = rng.integers(-50, 50, (2, 5, 3)).astype(np.int32)
    b = rng.integers(-50, 50, (3, 2)).astype(np.int32)
    f = rng.standard_normal((5, 3)).astype(np.float32)
    v = rng.standard_normal(3)
    got = weldish.evaluate(wnp.asarray(a) @ b, wnp.dot(wnp.asarray(f), v),
                           wnp.asarray(f) @ v + 1)
    for g, ref in zip(got, (a @ b, np.dot(f, v), f @ v + 1)):
        assert g.dtype == ref.dtype and g.shape == ref.shape
        np.testing.assert_allclose(g, ref, rtol=1e-12)


def test_cross_library_pipeline_matches_pandas_and_numpy(backend):
    """weldish.pandas cleaning -> weldish.numpy features -> a tf dense layer + sigmoid ->
    threshold -> count: the count pandas + NumPy give; the scoring stage is one loop."""
    pd = pytest.importorskip("pandas")
    import weldish.pandas as wpd
    rng = np.random.default_rng(7)
    values = rng.normal(3.0, 2.0, (300, 4))
    values[rng.random(values.shape) < 0.1] = np.nan
    df = pd.DataFrame(values, columns=list("abcd"))
    w, b = rng.normal(0, 0.5, (4, 1)), 0.1

    def features(frame, lib):
        clean = frame.fillna(0.0)
        return (clean - clean.mean()) / clean.std()

    def by_column(frame, lib):
        clean = frame.fillna(0.0)
        return lib.DataFrame({c: (clean[c] - clean[c].mean()) / clean[c].std()
                              for c in clean.columns})

    x = features(df, pd).to_numpy()
    expected = int(((1 / (1 + np.exp(-(x @ w + b)))) > 0.5).sum())
    z = features(wpd.DataFrame(df), wpd)
    count = tf.reduce_sum(tf.cast(tf.sigmoid(tf.matmul(z.to_numpy(), w) + b) > 0.5,
                                  tf.int64))
    direct = tf.reduce_sum(tf.cast(tf.sigmoid(tf.matmul(z, w) + b) > 0.5, tf.int64))
    columns = by_column(wpd.DataFrame(df), wpd)
    per_column = tf.reduce_sum(tf.cast(tf.sigmoid(tf.matmul(columns, w) + b) > 0.5,
                                       tf.int64))
    if backend == "llvm":
        assert _kernels(count)[0] == 1
    assert int(count) == int(direct) == int(per_column) == expected


def test_crosslib_benchmark_runs(backend):
    """``python -m benchmarks.crosslib`` at a tiny size (from a repo checkout only)."""
    import pathlib
    import sys
    root = pathlib.Path(__file__).resolve().parents[2]
    if backend != "llvm" or not (root / "benchmarks" / "crosslib.py").is_file():
        pytest.skip("benchmarks/ is not next to tests/ (or not the llvm run)")
    sys.path.append(str(root))
    try:
        crosslib = pytest.importorskip("benchmarks.crosslib")
    finally:
        sys.path.remove(str(root))
    rows = crosslib.run(n=2000, repeat=1, threads=1)
    assert [r["standardize"] for r in rows] == ["frame", "columns"]
    assert all(r["equal"] and r["weldish_s"] > 0 for r in rows), rows
    assert rows[1]["kernels"] == 1   # the scoring stage: one loop (fallbacks are printed)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_real_tensorflow_when_installed(dtype):
    real = pytest.importorskip("tensorflow")
    x, y = data(dtype, lo=-0.9, hi=0.9), data(dtype, seed=1) + 0.5
    names = ["abs", "exp", "log1p", "sigmoid", "softplus", "tanh", "square", "round",
             "atan", "sign"]
    pairs = [(n, getattr(tf.math, n)(tf.constant(x)), getattr(real.math, n)(x).numpy())
             for n in names]
    pairs += [(n, getattr(tf.math, n)(x, y), getattr(real.math, n)(x, y).numpy())
              for n in ["add", "divide", "maximum", "floormod", "pow", "less"]]
    pairs += [(n, getattr(tf.nn, n)(tf.constant(x)), getattr(real.nn, n)(x).numpy())
              for n in ["relu", "relu6", "elu", "selu", "softmax", "log_softmax"]]
    pairs += [("sum", tf.reduce_sum(real.constant(x), 1), real.reduce_sum(x, 1).numpy()),
              ("logsumexp", tf.reduce_logsumexp(x), real.reduce_logsumexp(x).numpy()),
              ("matmul", tf.matmul(x, y.T), real.matmul(x, y.T).numpy()),
              ("one_hot", tf.one_hot([0, 2, 1], 3), real.one_hot([0, 2, 1], 3).numpy())]
    check_all(pairs, dtype, rtol=1e-5 if dtype == "float32" else 1e-12)
