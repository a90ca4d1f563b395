"""Black-Scholes call and put (``workloads.black_scholes``): numexpr and numba versions."""
from __future__ import annotations

import math

import numba
import numpy
from numba import prange

SQRT2 = math.sqrt(2.0)


def _cdf_expr(x: str) -> str:
    """normal_cdf(x) as one numexpr expression (numexpr has no common subexpressions, so z
    and t are recomputed in place: faster here than storing them as arrays)."""
    z = f"(abs({x}) / s2)"
    t = f"(1.0 / (1.0 + 0.3275911 * {z}))"
    poly = f"{t} * (0.254829592 + {t} * (-0.284496736 + {t} * (1.421413741 + {t} * (" \
        f"-1.453152027 + {t} * 1.061405429))))"
    erf = f"(1.0 - {poly} * exp(-{z} * {z}))"
    return f"(0.5 * (1.0 + where({x} >= 0, {erf}, -{erf})))"


_CALL = f"price * {_cdf_expr('d1')} - discount * {_cdf_expr('d2')}"
_PUT = f"discount * {_cdf_expr('(-d2)')} - price * {_cdf_expr('(-d1)')}"


def with_numexpr(ne, price, strike, t, rate, vol):
    d1 = ne.evaluate("(log(price / strike) + (rate + 0.5 * vol * vol) * t) / (vol * sqrt(t))")
    d2 = ne.evaluate("d1 - vol * sqrt(t)")
    discount = ne.evaluate("strike * exp(-rate * t)")
    names = dict(price=price, d1=d1, d2=d2, discount=discount, s2=SQRT2)
    return ne.evaluate(_CALL, local_dict=names), ne.evaluate(_PUT, local_dict=names)


@numba.njit(fastmath=False)
def _cdf(x):
    z = abs(x) / SQRT2
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (
        -1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * math.exp(-z * z)
    return 0.5 * (1.0 + (erf if x >= 0 else -erf))


@numba.njit(parallel=True, fastmath=False)
def _black_scholes(price, strike, t, rate, vol, call, put):
    for i in prange(price.size):
        sqrt_t = math.sqrt(t[i])
        d1 = (math.log(price[i] / strike[i]) + (rate + 0.5 * vol[i] * vol[i]) * t[i]) / (
            vol[i] * sqrt_t)
        d2 = d1 - vol[i] * sqrt_t
        discount = strike[i] * math.exp(-rate * t[i])
        call[i] = price[i] * _cdf(d1) - discount * _cdf(d2)
        put[i] = discount * _cdf(-d2) - price[i] * _cdf(-d1)


def with_numba(price, strike, t, rate, vol):
    """1-D float64 arrays and a scalar rate (what ``black_scholes_inputs`` makes)."""
    call, put = numpy.empty_like(price), numpy.empty_like(price)
    _black_scholes(price, strike, t, float(rate), vol, call, put)
    return call, put
