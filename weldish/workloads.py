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


WORKLOADS = {
    "blackscholes": (black_scholes, black_scholes_inputs),
    "haversine": (haversine, haversine_inputs),
    "zscore": (zscore_stats, zscore_inputs),
}


def run(name: str, xp, inputs: dict):
    """Run workload ``name`` with module ``xp``; results as a tuple."""
    fn, _ = WORKLOADS[name]
    out = fn(xp, **inputs)
    return out if isinstance(out, tuple) else (out,)
