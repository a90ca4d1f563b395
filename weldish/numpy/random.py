"""``weldish.numpy.random``: NumPy's random functions; array results become lazy inputs."""
import numpy as _np

from ._api import module_attr as _attr


def __getattr__(name):
    return _attr(_np.random, name, "numpy.random")


def __dir__():
    return dir(_np.random)
