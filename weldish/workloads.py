"""Realistic array pipelines written once against a NumPy-like module ``xp``.

The demo, the benchmarks and the tests run each of them with ``numpy`` and with
``weldish.numpy`` and compare.
"""
from __future__ import annotations

import numpy


def normal_cdf(xp, x):
    """Standard normal CDF via erf's Abramowitz-Stegun 7.1.26 form (elementwise only)."""
    z = xp.abs(x) / numpy.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (
        -1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * xp.exp(-z * z)
    return 0.5 * (1.0 + xp.where(x >= 0, erf, -erf))


def black_scholes(xp, price, strike, t, rate, vol):
    """European call and put prices."""
    sqrt_t = xp.sqrt(t)
    d1 = (xp.log(price / strike) + (rate + 0.5 * vol * vol) * t) / (vol * sqrt_t)
    d2 = d1 - vol * sqrt_t
    discount = strike * xp.exp(-rate * t)
    call = price * normal_cdf(xp, d1) - discount * normal_cdf(xp, d2)
    put = discount * normal_cdf(xp, -d2) - price * normal_cdf(xp, -d1)
    return call, put


def black_scholes_inputs(n: int, seed: int = 0):
    rng = numpy.random.default_rng(seed)
    return dict(price=rng.uniform(10, 100, n), strike=rng.uniform(10, 100, n),
                t=rng.uniform(0.1, 2.0, n), rate=0.02, vol=rng.uniform(0.1, 0.5, n))


def haversine(xp, lat1, lon1, lat2, lon2):
    """Great-circle distance in km between coordinate arrays given in degrees."""
    lat1, lon1, lat2, lon2 = (xp.radians(v) for v in (lat1, lon1, lat2, lon2))
    a = xp.sin((lat2 - lat1) / 2) ** 2 + \
        xp.cos(lat1) * xp.cos(lat2) * xp.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * xp.arcsin(xp.sqrt(a))


def haversine_inputs(n: int, seed: int = 0):
    rng = numpy.random.default_rng(seed)
    return dict(lat1=rng.uniform(-90, 90, n), lon1=rng.uniform(-180, 180, n),
                lat2=40.6413, lon2=-73.7781)


def zscore_stats(xp, x):
    """Standardize columns, then per-row summary: a reduction-heavy pipeline."""
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    return xp.sqrt((z * z).sum(axis=1)), xp.abs(z).max(axis=1)


def zscore_inputs(n: int, seed: int = 0):
    rng = numpy.random.default_rng(seed)
    return dict(x=rng.standard_normal((max(n // 8, 1), 8)))


def nbody_accel(xp, x, y, z, m, eps2=1e-4, g=1.0):
    """Gravitational acceleration on each of N bodies from all others (softened, O(N^2)).

    Pairwise differences by broadcasting: N x N temporaries (4096 bodies: 128 MB each).
    """
    dx = x[:, None] - x[None, :]
    dy = y[:, None] - y[None, :]
    dz = z[:, None] - z[None, :]
    r2 = dx * dx + dy * dy + dz * dz + eps2
    w = m[None, :] / (r2 * xp.sqrt(r2))
    return -g * (dx * w).sum(axis=1), -g * (dy * w).sum(axis=1), -g * (dz * w).sum(axis=1)


def nbody_inputs(n: int, seed: int = 0):
    """``n`` pair interactions: sqrt(n) bodies in the unit cube."""
    rng = numpy.random.default_rng(seed)
    bodies = max(int(round(numpy.sqrt(n))), 2)
    x, y, z = rng.uniform(0.0, 1.0, (3, bodies))
    return dict(x=x, y=y, z=z, m=rng.uniform(0.5, 1.5, bodies) / bodies)


def shallow_water_step(xp, h, u, v, dt, dx, g, depth):
    """One forward-backward step of the linearized shallow-water equations on a periodic grid
    (centered differences via roll): velocities from the old height, height from the new
    velocities."""
    c = dt / (2 * dx)
    u = u - (c * g) * (xp.roll(h, -1, axis=1) - xp.roll(h, 1, axis=1))
    v = v - (c * g) * (xp.roll(h, -1, axis=0) - xp.roll(h, 1, axis=0))
    div = (xp.roll(u, -1, axis=1) - xp.roll(u, 1, axis=1)) + \
        (xp.roll(v, -1, axis=0) - xp.roll(v, 1, axis=0))
    h = h - (c * depth) * div
    return h, u, v


def shallow_water(xp, h, u, v, steps=5, dt=0.1, dx=1.0, g=9.81, depth=0.1):
    """``steps`` steps of ``shallow_water_step``; the final height and velocities."""
    for _ in range(steps):
        h, u, v = shallow_water_step(xp, h, u, v, dt, dx, g, depth)
    return h, u, v


def shallow_water_inputs(n: int, seed: int = 0):
    """A square grid of about ``n`` cells: a Gaussian bump on a still surface, plus noise."""
    rng = numpy.random.default_rng(seed)
    side = max(int(round(numpy.sqrt(n))), 4)
    r = numpy.linspace(-1.0, 1.0, side)
    bump = numpy.exp(-((r[:, None] / 0.2) ** 2 + (r[None, :] / 0.2) ** 2))
    h = 1.0 + 0.1 * bump + 0.001 * rng.standard_normal((side, side))
    return dict(h=h, u=numpy.zeros((side, side)), v=numpy.zeros((side, side)))


def sqdiff_sum(xp, a, b, c):
    """Weighted squared distance ``sum((a - b)**2 * c)``: one fused pass over three arrays."""
    return xp.sum((a - b) ** 2 * c)


def sqdiff_inputs(n: int, seed: int = 0):
    rng = numpy.random.default_rng(seed)
    return dict(a=rng.standard_normal(n), b=rng.standard_normal(n), c=rng.uniform(0, 1, n))


def exp_dot(xp, a, b):
    """``sum(exp(a) * b)``: a transcendental in a reduction."""
    return xp.sum(xp.exp(a) * b)


def exp_dot_inputs(n: int, seed: int = 0):
    rng = numpy.random.default_rng(seed)
    return dict(a=rng.uniform(-1, 1, n), b=rng.uniform(0, 1, n))


# name -> (pipeline(xp, **inputs), inputs(n elements)).
WORKLOADS = {
    "blackscholes": (black_scholes, black_scholes_inputs),
    "haversine": (haversine, haversine_inputs),
    "zscore": (zscore_stats, zscore_inputs),
    "nbody": (nbody_accel, nbody_inputs),
    "shallow_water": (shallow_water, shallow_water_inputs),
    "sqdiff_sum": (sqdiff_sum, sqdiff_inputs),
    "exp_dot": (exp_dot, exp_dot_inputs),
}

# Elements at benchmark scale 1 (``python -m benchmarks --scale S`` multiplies them). The 2-D
# workloads count N x N cells: 4096 bodies, a 2048 x 2048 grid; their side scales by sqrt(S).
BENCH_SIZES = {
    "blackscholes": 10_000_000,
    "haversine": 10_000_000,
    "zscore": 10_000_000,
    "nbody": 4096 * 4096,
    "shallow_water": 2048 * 2048,
    "sqdiff_sum": 20_000_000,
    "exp_dot": 20_000_000,
}


def run(name: str, xp, inputs: dict):
    """Run workload ``name`` with module ``xp``; results as a tuple.

    Array inputs go through ``xp.asarray`` first (NumPy: the same array; weldish: a lazy
    input), so the whole pipeline, not just what follows the first ``xp`` call, is recorded.
    """
    fn, _ = WORKLOADS[name]
    out = fn(xp, **{k: xp.asarray(v) if isinstance(v, numpy.ndarray) else v
                    for k, v in inputs.items()})
    return out if isinstance(out, tuple) else (out,)


# --- the cross-library pipeline: pandas cleaning -> NumPy features -> a TF-style model -----
CREDIT_COLUMNS = [f"f{i}" for i in range(8)]


def credit_inputs(n: int, seed: int = 0) -> dict:
    """A frame of ``n`` rows x 8 float columns with 5% missing values, and a dense layer's
    weights (8 x 1) and bias."""
    import pandas
    rng = numpy.random.default_rng(seed)
    values = rng.normal(3.0, 2.0, (n, len(CREDIT_COLUMNS)))
    values[rng.random(values.shape) < 0.05] = numpy.nan
    df = pandas.DataFrame({c: numpy.ascontiguousarray(values[:, i])
                           for i, c in enumerate(CREDIT_COLUMNS)})
    w = numpy.random.default_rng(seed + 1).normal(0.0, 0.5, (len(CREDIT_COLUMNS), 1))
    return dict(df=df, w=w, b=0.1)


def standardize(clean, how: str, pdlib):
    """Each column to mean 0, std 1: ``frame`` is the idiomatic ``(df - df.mean()) /
    df.std()``, ``columns`` one expression per column (``pdlib``: pandas or
    weldish.pandas)."""
    if how == "frame":
        return (clean - clean.mean()) / clean.std()
    return pdlib.DataFrame({c: (clean[c] - clean[c].mean()) / clean[c].std()
                            for c in clean.columns})


def credit_score_eager(df, w, b, how: str = "frame") -> int:
    """pandas + NumPy, each call computed when it is made: how many rows score > 0.5."""
    import pandas
    x = standardize(df.fillna(0.0), how, pandas).to_numpy()
    prob = 1.0 / (1.0 + numpy.exp(-(x @ w + b)))
    return int(numpy.count_nonzero(prob > 0.5))


def credit_score_lazy(df, w, b, how: str = "frame"):
    """The same with weldish.pandas, weldish.numpy (``to_numpy``) and weldish.tensorflow:
    one lazy graph (a count, lazy until read)."""
    import weldish.pandas as wpd
    import weldish.tensorflow as tf
    x = standardize(wpd.DataFrame(df).fillna(0.0), how, wpd).to_numpy()
    logits = tf.matmul(x, w) + b
    return tf.reduce_sum(tf.cast(tf.sigmoid(logits) > 0.5, tf.int64))
